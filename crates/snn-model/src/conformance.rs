//! Conformance of the fused kernels with the straightforward versions, on any device.
//!
//! The contract every backend meets (and the test suite and `snn-train self-test` check):
//! - the fused LIF scan gives exactly the spikes of the per-step reference loop, and gradients
//!   (w.r.t. the input current and a learnable β) within [`GRAD_TOLERANCE`] of the gradient's
//!   scale, `max |a − b| / max |b|` ([`gradient_error`]);
//! - the Poisson encoder's device kernel draws exactly the spikes of the host generator for the
//!   same seed draws.
//!
//! Inputs are deterministic (SplitMix64, [`uniform`]), independent of any backend RNG, so a
//! failure reproduces. A comparison in which nothing or everything spikes proves nothing and
//! fails too.

use burn::backend::Dispatch;
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::lif::{LearnBeta, LifConfig, LifImpl, Reset};
use crate::ops::SnnOps;
use crate::ops::host::poisson::{probabilities, seed_from_draws};
use crate::ops::host::poisson_spikes;
use crate::ops::surrogate::Surrogate;

/// Largest gradient error accepted between a fused path and its reference, relative to the
/// gradient's largest element ([`gradient_error`]).
///
/// Relative to the scale, not to each element: a gradient element is a sum of terms of both
/// signs over time, and where they cancel to near zero, f32 rounding alone is a large part of
/// it. Two correct f32 computations that round differently (CUDA's fused kernel and Burn's
/// fused element-wise kernels) differed there by 2.2e-4 of the element, and the scan's f32
/// gradients differ from the same equations in f64 by more than 1e-4 of an element in most
/// random draws (test `fused_gradients_match_the_equations_in_f64`), while staying within
/// about 1e-5 of the scale. A wrong term moves elements by a share of the scale and fails.
pub const GRAD_TOLERANCE: f32 = 1e-4;

/// The outcome of one comparison of a fused path with its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What was compared, with its settings and shape.
    pub name: String,
    /// Spike slots compared.
    pub slots: usize,
    /// Slots where the two paths' spikes differ (must be 0).
    pub spike_mismatches: usize,
    /// Fraction of slots that spiked in the reference.
    pub spike_fraction: f32,
    /// The larger gradient error of the two, relative to each gradient's scale
    /// ([`gradient_error`]; `None` for a check without gradients; infinite when a gradient holds
    /// NaN or infinity).
    pub grad_rel_err: Option<f32>,
    /// The element where that error is reached (`None` without gradients or when they agree).
    pub grad_worst: Option<GradWorst>,
}

/// The gradient element a comparison is worst at: enough to tell rounding on an element that
/// cancels to near zero from a wrong value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GradWorst {
    /// Which gradient: `"current"` (`[T, B, N]`, flat index) or `"beta"`.
    pub gradient: &'static str,
    pub index: usize,
    pub fused: f32,
    pub reference: f32,
    /// The largest `|reference|` of that gradient.
    pub scale: f32,
}

impl Comparison {
    /// `Ok` when the contract holds, else a sentence saying how it is broken.
    pub fn verdict(&self) -> Result<(), String> {
        if self.spike_mismatches > 0 {
            return Err(format!(
                "{}: {} of {} spikes differ from the reference",
                self.name, self.spike_mismatches, self.slots
            ));
        }
        if self.spike_fraction <= 0.0 || self.spike_fraction >= 1.0 {
            return Err(format!(
                "{}: degenerate input (spike fraction {}), the comparison proves nothing",
                self.name, self.spike_fraction
            ));
        }
        match self.grad_rel_err {
            Some(err) if err.is_nan() || err > GRAD_TOLERANCE => Err(format!(
                "{}: gradient error {err:e} of the gradient's scale, over {GRAD_TOLERANCE:e}{}",
                self.name,
                self.grad_worst
                    .map(|w| format!(
                        " (worst: {}[{}], fused {:e}, reference {:e}, largest |reference| {:e})",
                        w.gradient, w.index, w.fused, w.reference, w.scale
                    ))
                    .unwrap_or_default()
            )),
            _ => Ok(()),
        }
    }
}

/// `n` deterministic pseudo-random values in `[lo, hi)` (SplitMix64).
pub fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// Largest `|a − b| / max(|b|, floor)`; infinite when either slice holds a NaN or an infinity
/// (a broken gradient never passes as close). Panics if the lengths differ.
pub fn max_rel_err(a: &[f32], b: &[f32], floor: f32) -> f32 {
    worst_rel_err(a, b, floor).0
}

/// [`max_rel_err`] and the index where it is reached (the first non-finite element when there
/// is one; `None` when the slices are equal). Panics if the lengths differ.
pub fn worst_rel_err(a: &[f32], b: &[f32], floor: f32) -> (f32, Option<usize>) {
    assert_eq!(a.len(), b.len(), "compared slices differ in length");
    if let Some(i) = (0..a.len()).find(|&i| !a[i].is_finite() || !b[i].is_finite()) {
        return (f32::INFINITY, Some(i));
    }
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| ((x - y).abs() / y.abs().max(floor), Some(i)))
        .fold((0.0, None), |m, e| if e.0 > m.0 { e } else { m })
}

/// The contract's gradient error, `max |a − b| / max |b|`, and the element where it is worst;
/// infinite (without an element) when the lengths differ or the reference is empty, or when
/// either holds a NaN or an infinity.
pub fn gradient_error(
    gradient: &'static str,
    fused: &[f32],
    reference: &[f32],
) -> (f32, Option<GradWorst>) {
    if fused.len() != reference.len() || reference.is_empty() {
        return (f32::INFINITY, None);
    }
    let scale = reference.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let (err, index) = worst_rel_err(fused, reference, scale);
    let worst = index.map(|index| GradWorst {
        gradient,
        index,
        fused: fused[index],
        reference: reference[index],
        scale,
    });
    (err, worst)
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

fn mismatches(a: &[f32], b: &[f32]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count() + a.len().abs_diff(b.len())
}

fn fraction(spikes: &[f32]) -> f32 {
    spikes.iter().filter(|&&s| s == 1.0).count() as f32 / spikes.len().max(1) as f32
}

/// Fused scan against the reference loop for one configuration and shape `[T, B, N]`: spikes,
/// and the gradients of `Σ spikes·w` (w fixed, random) w.r.t. the current and a learnable β.
pub fn lif_scan(device: &Device, cfg: &LifConfig, [t, b, n]: [usize; 3], seed: u64) -> Comparison {
    let ad = device.clone().autodiff();
    let current = uniform(t * b * n, -0.5, 1.2, seed);
    let upstream = uniform(t * b * n, -1.0, 1.0, seed + 1);
    let lif = cfg.init(n, &ad);
    let run = |implementation: LifImpl| {
        let lif = lif.clone().with_implementation(implementation);
        let x = tensor(current.clone(), [t, b, n], &ad).require_grad();
        let spikes = lif.forward(x.clone());
        let w: Tensor<3> = tensor(upstream.clone(), [t, b, n], &ad);
        let grads = (spikes.clone() * w).sum().backward();
        let gx = x.grad(&grads).map(to_vec).unwrap_or_default();
        let gb = lif
            .beta_logit
            .as_ref()
            .map(|p| p.grad(&grads).map(to_vec).unwrap_or_default());
        (to_vec(spikes), gx, gb)
    };
    let (s_f, gx_f, gb_f) = run(LifImpl::Fused);
    let (s_r, gx_r, gb_r) = run(LifImpl::Reference);
    let (mut err, mut grad_worst) = gradient_error("current", &gx_f, &gx_r);
    if let (Some(a), Some(b)) = (gb_f, gb_r) {
        let (beta_err, beta_worst) = gradient_error("beta", &a, &b);
        if beta_err > err {
            (err, grad_worst) = (beta_err, beta_worst);
        }
    }
    Comparison {
        name: format!(
            "lif scan reset={:?} detach={} learn_beta={:?} surrogate={:?} [T,B,N]=[{t},{b},{n}]",
            cfg.reset, cfg.detach_reset, cfg.learn_beta, cfg.surrogate
        ),
        slots: t * b * n,
        spike_mismatches: mismatches(&s_f, &s_r),
        spike_fraction: fraction(&s_r),
        grad_rel_err: Some(err),
        grad_worst,
    }
}

/// `[T, B, N]` of the suite's longest checks, one per surrogate.
pub const LONG_SHAPE: [usize; 3] = [30, 2, 37];

/// The settings of the suite's longest checks: τ = 8, β learnt per neuron, the given surrogate
/// (subtract reset, detached, θ = 1).
pub fn long_config(surrogate: Surrogate) -> LifConfig {
    LifConfig {
        tau: Some(8.0),
        surrogate,
        learn_beta: LearnBeta::Neuron,
        ..LifConfig::default()
    }
}

/// The LIF settings every backend is checked on: both resets, detached or not, β fixed or
/// learnt per layer or neuron, each surrogate, odd shapes and a single step.
pub fn lif_suite(device: &Device) -> Vec<Comparison> {
    let mut out = Vec::new();
    let mut seed = 10;
    for reset in [Reset::Subtract, Reset::Zero] {
        for detach_reset in [true, false] {
            for learn_beta in [LearnBeta::None, LearnBeta::Layer, LearnBeta::Neuron] {
                let cfg = LifConfig {
                    beta: Some(0.9),
                    reset,
                    detach_reset,
                    learn_beta,
                    surrogate: Surrogate::Sigmoid { slope: 4.0 },
                    ..LifConfig::default()
                };
                out.push(lif_scan(device, &cfg, [12, 3, 5], seed));
                seed += 7;
            }
        }
    }
    for (i, surrogate) in [
        Surrogate::Sigmoid { slope: 25.0 },
        Surrogate::FastSigmoid { slope: 10.0 },
        Surrogate::Atan { alpha: 2.0 },
    ]
    .into_iter()
    .enumerate()
    {
        out.push(lif_scan(
            device,
            &long_config(surrogate),
            LONG_SHAPE,
            100 + i as u64,
        ));
    }
    out.push(lif_scan(device, &LifConfig::default(), [1, 4, 9], 200));
    out
}

/// The Poisson encoder on `device` against the host generator, same seed draws, shape
/// `[steps, batch, n]`.
pub fn poisson(device: &Device, steps: usize, batch: usize, n: usize, gain: f32) -> Comparison {
    let x = uniform(batch * n, -0.1, 1.1, (steps * n) as u64);
    let draws = vec![0.371_234_5, 0.812_345_6];
    let mut expected = vec![0.0; steps * batch * n];
    poisson_spikes(
        &probabilities(&x, gain),
        seed_from_draws(&draws),
        &mut expected,
    );
    let spikes: Tensor<3> = Tensor::from_dispatch(<Dispatch as SnnOps>::poisson_encode(
        tensor(x, [batch, n], device).into_dispatch(),
        tensor(draws, [2], device).into_dispatch(),
        steps,
        gain,
    ));
    let dims = spikes.dims();
    let got = to_vec(spikes);
    Comparison {
        name: format!("poisson encoder gain={gain} [T,B,N]=[{steps},{batch},{n}] (got {dims:?})"),
        slots: expected.len(),
        spike_mismatches: if dims == [steps, batch, n] {
            mismatches(&got, &expected)
        } else {
            expected.len()
        },
        spike_fraction: fraction(&expected),
        grad_rel_err: None,
        grad_worst: None,
    }
}

/// The Poisson shapes every backend is checked on.
pub fn poisson_suite(device: &Device) -> Vec<Comparison> {
    [(7, 3, 77, 1.3), (1, 5, 784, 1.0), (100, 2, 33, 0.7)]
        .into_iter()
        .map(|(t, b, n, gain)| poisson(device, t, b, n, gain))
        .collect()
}
