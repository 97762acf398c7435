//! A NIR neuron node as ours: Euler steps of `dt` give per neuron `a = dt/τ`, decay
//! `β = 1 − a`, input gain `g = a·r` (taken as 1 within 1e-9), constant input `a·v_leak`,
//! threshold `θ`; what our neurons cannot hold (gain, leak, per-neuron thresholds) is folded
//! into the weight layer before them ([`fold`]).

use anyhow::{Result, bail};
use snn_nir::Array;

use super::spec::Spec;

/// What a neuron node means for us, before folding.
pub struct Neuron {
    pub beta: Vec<f32>,
    pub gain: Vec<f64>,
    pub leak: Vec<f64>,
    pub threshold: Vec<f64>,
}

pub fn neuron(
    name: &str,
    tau: &Array,
    r: &Array,
    v_leak: &Array,
    v_threshold: Option<&Array>,
    dt: f64,
) -> Result<Neuron> {
    let n = tau.len();
    if n == 0 {
        bail!("NIR node `{name}` has no neurons (tau is empty)");
    }
    for (key, a) in [("r", r), ("v_leak", v_leak)]
        .into_iter()
        .chain(v_threshold.map(|t| ("v_threshold", t)))
    {
        if a.len() != n {
            bail!(
                "NIR node `{name}`: {key} has {} values but tau has {n}",
                a.len()
            );
        }
    }
    let mut out = Neuron {
        beta: Vec::with_capacity(n),
        gain: Vec::with_capacity(n),
        leak: Vec::with_capacity(n),
        threshold: Vec::with_capacity(n),
    };
    for i in 0..n {
        let a = dt / tau.values[i];
        if !(a > 0.0 && a < 1.0) {
            bail!(
                "NIR node `{name}`: tau = {} s with dt = {dt} s gives a decay 1 − dt/tau = {} \
                 outside (0, 1); pass a --dt smaller than every tau",
                tau.values[i],
                1.0 - a
            );
        }
        let beta = (1.0 - a) as f32;
        if !(beta > 0.0 && beta < 1.0) {
            bail!(
                "NIR node `{name}`: decay {beta} rounds outside (0, 1) in f32; pass another --dt"
            );
        }
        out.beta.push(beta);
        let g = a * r.values[i];
        out.gain.push(if (g - 1.0).abs() <= 1e-9 { 1.0 } else { g });
        out.leak.push(a * v_leak.values[i]);
        let theta = v_threshold.map_or(1.0, |t| t.values[i]);
        if !(theta.is_finite() && theta > 0.0) {
            bail!("NIR node `{name}`: v_threshold {theta} must be > 0");
        }
        out.threshold.push(theta);
    }
    Ok(out)
}

pub fn uniform(values: &[f64]) -> bool {
    values.iter().all(|&v| v == values[0])
}

/// Folds per-neuron `scale` and `offset` into the weight layer before the neurons: row `o` of
/// an affine, or channel `c` of a conv when uniform over the map: `W' = s·W`, `b' = s·b + c`.
pub fn fold(spec: Option<&mut Spec>, name: &str, scale: &[f64], offset: &[f64]) -> Result<()> {
    let identity = scale.iter().all(|&s| s == 1.0) && offset.iter().all(|&o| o == 0.0);
    if identity {
        return Ok(());
    }
    let w = match spec {
        Some(Spec::Linear(w, _)) | Some(Spec::Conv(w, ..)) => w,
        _ => bail!(
            "NIR node `{name}`: its input gain r·dt/tau, leak current or thresholds can only be \
             folded into an Affine, Linear or Conv2d node right before it"
        ),
    };
    let per_output = scale.len() / w.outputs;
    if per_output * w.outputs != scale.len() {
        bail!(
            "NIR node `{name}` has {} neurons but `{}` has {} outputs",
            scale.len(),
            w.node,
            w.outputs
        );
    }
    let rows = w.values.len() / w.outputs;
    for o in 0..w.outputs {
        let group = o * per_output..(o + 1) * per_output;
        if !uniform(&scale[group.clone()]) || !uniform(&offset[group]) {
            bail!(
                "NIR node `{name}`: its gain or leak varies within channel {o} of the conv \
                 `{}`, which one conv kernel cannot express",
                w.node
            );
        }
        let (s, c) = (scale[o * per_output], offset[o * per_output]);
        for v in &mut w.values[o * rows..(o + 1) * rows] {
            *v = (*v as f64 * s) as f32;
        }
        w.bias[o] = (w.bias[o] as f64 * s + c) as f32;
    }
    Ok(())
}
