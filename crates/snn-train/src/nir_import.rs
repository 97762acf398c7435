//! A NIR graph as a network of ours (`snn-train import`): a run directory (`config.toml` +
//! `model.bpk`) that eval, report, plot and predict open like a trained run.
//!
//! The graph must be one chain `Input → … → Output` of `Affine`/`Linear`, `Conv2d` (square
//! kernel, no dilation or groups), `AvgPool2d`/`SumPool2d`, `Flatten`, `LIF` and, last, `LI`
//! (membrane readout) or `LIF` (spike-count readout). Each neuron node is discretised with Euler
//! steps of `dt`, the inverse of the mapping in [`crate::nir_export`]: per neuron `a = dt/τ`,
//!
//! ```text
//! β = 1 − a,   input gain g = a·r,   constant input a·v_leak,   θ = v_threshold
//! ```
//!
//! Our neurons take their input with gain 1 and no leak current, so `g` and `a·v_leak` are folded
//! into the weight layer right before the neuron (row `o` of an affine, or channel `c` of a conv
//! when uniform over the map): `W' = g·W`, `b' = g·b + a·v_leak`. Different thresholds within a
//! layer are folded the same way (`W'/θ`, `θ = 1`). A `SumPool2d` is an average pool whose `k²`
//! goes into the next weight layer. `v_reset` must be 0; the reset is NIR's (to zero) unless the
//! file's metadata says `reset = subtract` (our own exports). A gain within 1e-9 of 1 is taken
//! as 1, so an export → import round trip keeps every weight bit for bit.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use snn_model::layer::Layer;
use snn_model::readout::Readout;
use snn_model::{EncoderConfig, FeatureShape, LayerConfig, LearnBeta, ReadoutConfig, Reset};
use snn_nir::{Array, Graph, Node};

use crate::classifier::Classifier;
use crate::config::{RunConfig, TrainConfig};

/// Settings the graph may not carry (its metadata wins where our exporter wrote it).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Euler time step in seconds.
    pub dt: Option<f64>,
    /// Time steps per example.
    pub steps: Option<usize>,
    /// Input encoder (default: the file's, else Poisson).
    pub encoder: Option<EncoderConfig>,
}

/// A weight layer with NIR's `(out, in)` weights (conv: `(C_out, C_in, k, k)`).
#[derive(Debug, Clone)]
struct Weights {
    node: String,
    values: Vec<f32>,
    bias: Vec<f32>,
    /// Outputs (rows, or channels).
    outputs: usize,
}

#[derive(Debug, Clone)]
enum Spec {
    Linear(Weights, usize),
    Conv(Weights, [usize; 4], usize, usize),
    AvgPool(usize, usize),
    Flatten,
    Lif {
        node: String,
        beta: Vec<f32>,
        threshold: f32,
        reset: Reset,
    },
}

/// A spike-count readout's neurons: β per class, threshold, reset.
type OutputLif = (Vec<f32>, f32, Reset);

/// What a neuron node means for us, before folding.
struct Neuron {
    beta: Vec<f32>,
    gain: Vec<f64>,
    leak: Vec<f64>,
    threshold: Vec<f64>,
}

fn neuron(
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

fn uniform(values: &[f64]) -> bool {
    values.iter().all(|&v| v == values[0])
}

/// Folds per-neuron `scale` and `offset` into the weight layer before the neurons.
fn fold(spec: Option<&mut Spec>, name: &str, scale: &[f64], offset: &[f64]) -> Result<()> {
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

fn last_weights(specs: &mut [Spec]) -> Option<&mut Spec> {
    specs
        .last_mut()
        .filter(|s| matches!(s, Spec::Linear(..) | Spec::Conv(..)))
}

fn feature_shape(name: &str, shape: &[i64]) -> Result<FeatureShape> {
    let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    Ok(match dims[..] {
        [n] => FeatureShape::Flat(n),
        [h, w] => FeatureShape::Map {
            channels: 1,
            height: h,
            width: w,
        },
        [c, h, w] => FeatureShape::Map {
            channels: c,
            height: h,
            width: w,
        },
        _ => bail!("NIR node `{name}`: input shape {shape:?} is not [n], [h, w] or [c, h, w]"),
    })
}

fn reset_of(graph: &Graph, node: &str) -> Result<Reset> {
    let mode = match graph.meta("reset") {
        None => "zero",
        Some(all) if !all.contains(':') => all,
        Some(pairs) => pairs
            .split(',')
            .find_map(|p| p.strip_prefix(&format!("{node}:")))
            .unwrap_or("zero"),
    };
    match mode {
        "zero" => Ok(Reset::Zero),
        "subtract" => Ok(Reset::Subtract),
        other => bail!("the NIR file's metadata says reset = {other}; expected zero or subtract"),
    }
}

/// The run config and network a NIR graph describes.
pub fn import(
    graph: &Graph,
    options: &ImportOptions,
    device: &Device,
) -> Result<(RunConfig, Classifier)> {
    let dt = match (options.dt, graph.meta("dt")) {
        (Some(dt), _) => dt,
        (None, Some(dt)) => dt
            .parse()
            .with_context(|| format!("the NIR file's metadata dt = {dt} is not a number"))?,
        (None, None) => bail!(
            "the NIR file does not say which time step its time constants assume: pass --dt \
             SECONDS (snnTorch exports with 1e-4, Norse with 1e-3)"
        ),
    };
    if !(dt.is_finite() && dt > 0.0) {
        bail!(
            "the time step dt = {dt} (--dt, or the file's metadata) must be a number of seconds > 0"
        );
    }
    let steps = match (options.steps, graph.meta("steps")) {
        (Some(s), _) => s,
        (None, Some(s)) => s
            .parse()
            .with_context(|| format!("the NIR file's metadata steps = {s} is not a count"))?,
        (None, None) => bail!(
            "the NIR file does not say for how many time steps the network runs: pass --steps N"
        ),
    };
    let encoder = match (options.encoder, graph.meta("encoder")) {
        (Some(e), _) => e,
        (None, Some(text)) => toml::from_str(text)
            .with_context(|| format!("the NIR file's metadata encoder = {text:?}"))?,
        (None, None) => EncoderConfig::default(),
    };
    let chain = graph.chain()?;
    let (input_name, input) = chain[0];
    let Node::Input { shape } = input else {
        unreachable!("chain starts at the Input")
    };
    let input_shape = feature_shape(input_name, shape)?;
    let mut specs: Vec<Spec> = Vec::new();
    let mut pending_scale = 1.0f64;
    let mut readout: Option<(ReadoutConfig, Option<OutputLif>)> = None;
    // The readout neuron node's name and size, checked against the readout weights below.
    let mut readout_neurons = (String::new(), 0);
    let body = &chain[1..chain.len() - 1];
    for (i, &(name, node)) in body.iter().enumerate() {
        let last = i + 1 == body.len();
        match node {
            Node::Affine { weight, .. } | Node::Linear { weight } if weight.shape.len() == 2 => {
                let (outputs, inputs) = (weight.shape[0], weight.shape[1]);
                let bias = match node {
                    Node::Affine { bias, .. } => bias.to_f32(),
                    _ => vec![0.0; outputs],
                };
                let mut values = weight.to_f32();
                if pending_scale != 1.0 {
                    values
                        .iter_mut()
                        .for_each(|v| *v = (*v as f64 * pending_scale) as f32);
                    pending_scale = 1.0;
                }
                if bias.len() != outputs {
                    bail!(
                        "NIR node `{name}`: bias has {} values for {outputs} outputs",
                        bias.len()
                    );
                }
                let w = Weights {
                    node: name.into(),
                    values,
                    bias,
                    outputs,
                };
                specs.push(Spec::Linear(w, inputs));
            }
            Node::Conv2d {
                weight,
                bias,
                stride,
                padding,
                dilation,
                groups,
                ..
            } => {
                let [c_out, c_in, kh, kw] = weight.shape[..] else {
                    bail!(
                        "NIR node `{name}`: weight shape {:?} is not (C_out, C_in, kH, kW)",
                        weight.shape
                    );
                };
                if kh != kw || stride[0] != stride[1] || padding[0] != padding[1] {
                    bail!(
                        "NIR node `{name}`: only square kernels, strides and paddings are supported \
                         (kernel {kh}x{kw}, stride {stride:?}, padding {padding:?})"
                    );
                }
                if *dilation != [1, 1] || *groups != 1 {
                    bail!(
                        "NIR node `{name}`: dilation {dilation:?} and groups {groups} are not \
                         supported (1 only)"
                    );
                }
                let mut values = weight.to_f32();
                if pending_scale != 1.0 {
                    values
                        .iter_mut()
                        .for_each(|v| *v = (*v as f64 * pending_scale) as f32);
                    pending_scale = 1.0;
                }
                if bias.len() != c_out {
                    bail!(
                        "NIR node `{name}`: bias has {} values for {c_out} output channels",
                        bias.len()
                    );
                }
                let w = Weights {
                    node: name.into(),
                    values,
                    bias: bias.to_f32(),
                    outputs: c_out,
                };
                specs.push(Spec::Conv(
                    w,
                    [c_out, c_in, kh, kw],
                    stride[0].max(1) as usize,
                    padding[0].max(0) as usize,
                ));
            }
            Node::AvgPool2d {
                kernel_size,
                stride,
                padding,
            }
            | Node::SumPool2d {
                kernel_size,
                stride,
                padding,
            } => {
                if kernel_size[0] != kernel_size[1] || stride[0] != stride[1] || *padding != [0, 0]
                {
                    bail!("NIR node `{name}`: only square pooling without padding is supported");
                }
                if matches!(node, Node::SumPool2d { .. }) {
                    pending_scale *= (kernel_size[0] * kernel_size[1]) as f64;
                }
                specs.push(Spec::AvgPool(kernel_size[0] as usize, stride[0] as usize));
            }
            Node::Flatten { .. } => specs.push(Spec::Flatten),
            Node::Lif {
                tau,
                r,
                v_leak,
                v_threshold,
                v_reset,
            } => {
                if v_reset.values.iter().any(|&v| v != 0.0) {
                    bail!(
                        "NIR node `{name}`: v_reset ≠ 0 is not supported (our neurons reset to 0 \
                         or by subtraction)"
                    );
                }
                let n = neuron(name, tau, r, v_leak, Some(v_threshold), dt)?;
                let reset = reset_of(graph, name)?;
                let (threshold, scale, offset): (f32, Vec<f64>, Vec<f64>) = if uniform(&n.threshold)
                {
                    (n.threshold[0] as f32, n.gain.clone(), n.leak.clone())
                } else {
                    let scale = n
                        .gain
                        .iter()
                        .zip(&n.threshold)
                        .map(|(g, t)| g / t)
                        .collect();
                    let offset = n
                        .leak
                        .iter()
                        .zip(&n.threshold)
                        .map(|(l, t)| l / t)
                        .collect();
                    (1.0, scale, offset)
                };
                fold(last_weights(&mut specs), name, &scale, &offset)?;
                if last {
                    readout_neurons = (name.to_string(), n.beta.len());
                    readout = Some((
                        ReadoutConfig::SpikeCount {
                            surrogate: snn_model::Surrogate::Atan { alpha: 2.0 },
                        },
                        Some((n.beta, threshold, reset)),
                    ));
                } else {
                    specs.push(Spec::Lif {
                        node: name.into(),
                        beta: n.beta,
                        threshold,
                        reset,
                    });
                }
            }
            Node::Li { tau, r, v_leak } if last => {
                let n = neuron(name, tau, r, v_leak, None, dt)?;
                if !n.beta.iter().all(|&b| b == n.beta[0]) {
                    bail!(
                        "NIR node `{name}`: a readout LI with different time constants per class is \
                         not supported"
                    );
                }
                fold(last_weights(&mut specs), name, &n.gain, &n.leak)?;
                readout_neurons = (name.to_string(), n.beta.len());
                readout = Some((
                    ReadoutConfig::Membrane {
                        beta: Some(n.beta[0]),
                    },
                    None,
                ));
            }
            other => bail!(
                "NIR node `{name}` has type {}{}: snn-train imports chains of Affine, Linear, \
                 Conv2d, AvgPool2d, SumPool2d, Flatten and LIF nodes ending in an LI or LIF \
                 readout",
                other.type_name(),
                if matches!(other, Node::Li { .. }) {
                    " before the last layer"
                } else {
                    ""
                }
            ),
        }
    }
    let Some((readout, readout_lif)) = readout else {
        bail!(
            "the NIR graph does not end in an LI or LIF node before its Output: there is no \
             readout to classify with"
        );
    };
    let Some(Spec::Linear(readout_weights, readout_inputs)) = specs.pop() else {
        bail!("the NIR graph's readout neurons must follow an Affine or Linear node");
    };
    if pending_scale != 1.0 {
        bail!(
            "a SumPool2d must be followed by a weight layer (its sum is folded into the next \
             weights)"
        );
    }
    let (_, Node::Output { shape }) = chain[chain.len() - 1] else {
        unreachable!("chain ends at the Output")
    };
    let classes = shape
        .iter()
        .try_fold(1i64, |n, &d| n.checked_mul(d))
        .map_or(0, |n| n.max(0) as usize);
    if classes != readout_weights.outputs {
        bail!(
            "the NIR Output has {classes} values but the readout `{}` has {} outputs",
            readout_weights.node,
            readout_weights.outputs
        );
    }
    let lif_entry = |beta: &[f32], threshold: f32, reset: Reset| {
        let same = beta.iter().all(|&b| b == beta[0]);
        LayerConfig::Lif {
            beta: Some(beta[0]),
            tau: None,
            learn_beta: Some(if same {
                LearnBeta::None
            } else {
                LearnBeta::Neuron
            }),
            threshold: Some(threshold),
            reset: Some(reset),
            detach_reset: None,
            surrogate: None,
            implementation: None,
        }
    };
    let layers: Vec<LayerConfig> = specs
        .iter()
        .map(|s| match s {
            Spec::Linear(w, _) => LayerConfig::Linear {
                size: w.outputs,
                bias: true,
            },
            Spec::Conv(w, dims, stride, padding) => LayerConfig::Conv2d {
                channels: w.outputs,
                kernel: dims[2],
                stride: *stride,
                padding: *padding,
                bias: true,
            },
            Spec::AvgPool(kernel, stride) => LayerConfig::AvgPool {
                kernel: *kernel,
                stride: Some(*stride),
            },
            Spec::Flatten => LayerConfig::Flatten {},
            Spec::Lif {
                beta,
                threshold,
                reset,
                ..
            } => lif_entry(beta, *threshold, *reset),
        })
        .collect();
    let mut model = snn_model::SnnConfig {
        inputs: input_shape.len(),
        input_shape: match input_shape {
            FeatureShape::Map {
                channels,
                height,
                width,
            } => Some([channels, height, width]),
            FeatureShape::Flat(_) => None,
        },
        // No layers between input and readout is `hidden = []` (an empty `layers` would mean
        // the default hidden layer).
        hidden: layers.is_empty().then(Vec::new),
        layers,
        classes,
        steps,
        encoder,
        readout,
        ..Default::default()
    };
    if let Some((beta, threshold, reset)) = &readout_lif {
        model.lif.beta = Some(beta[0]);
        model.lif.tau = None;
        model.lif.threshold = *threshold;
        model.lif.reset = *reset;
        if !beta.iter().all(|&b| b == beta[0]) {
            model.lif.learn_beta = LearnBeta::Neuron;
        }
    }
    let config = RunConfig {
        model,
        train: TrainConfig::default(),
    };
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("the imported network: {e}"))?;
    let mut snn = config.model.init(device);
    // The graph's own shapes must agree with the ones the layers imply (nir.read's type check);
    // a file written without it would otherwise give a run whose weights do not fit.
    let plan = snn.plan().to_vec();
    let mut weights = specs.iter();
    for (layer, planned) in snn.layers.iter_mut().zip(&plan) {
        match layer {
            Layer::Linear(linear) => {
                let Some(Spec::Linear(w, inputs)) = weights.next() else {
                    unreachable!("same order")
                };
                fits(&w.node, "inputs", *inputs, planned.input.len())?;
                set_linear(linear, w, *inputs, device);
            }
            Layer::Conv2d(conv) => {
                let Some(Spec::Conv(w, dims, ..)) = weights.next() else {
                    unreachable!("same order")
                };
                let FeatureShape::Map { channels, .. } = planned.input else {
                    unreachable!("the plan puts maps before conv layers")
                };
                fits(&w.node, "input channels", dims[1], channels)?;
                conv.conv.weight = Param::from_tensor(Tensor::from_data(
                    TensorData::new(w.values.clone(), *dims),
                    device,
                ));
                conv.conv.bias = Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(w.bias.clone(), [w.outputs]),
                    device,
                )));
            }
            Layer::Lif(lif) => {
                let Some(Spec::Lif { node, beta, .. }) = weights.next() else {
                    unreachable!("same order")
                };
                fits(node, "neurons", beta.len(), planned.output.len())?;
                if lif.beta_logit.is_some() {
                    lif.beta_logit = Some(logits(beta, device));
                }
            }
            Layer::AvgPool(_) | Layer::Flatten(_) => {
                weights.next();
            }
            other => unreachable!("not made by import: {other:?}"),
        }
    }
    let features = plan
        .last()
        .map_or(config.model.input_features().len(), |p| p.output.len());
    fits(&readout_weights.node, "inputs", readout_inputs, features)?;
    let (node, neurons) = &readout_neurons;
    fits(node, "neurons", *neurons, readout_weights.outputs)?;
    match &mut snn.readout {
        Readout::Membrane(m) => set_linear(&mut m.linear, &readout_weights, readout_inputs, device),
        Readout::SpikeCount(r) => {
            set_linear(&mut r.linear, &readout_weights, readout_inputs, device);
            if let (Some(_), Some((beta, ..))) = (&r.lif.beta_logit, &readout_lif) {
                r.lif.beta_logit = Some(logits(beta, device));
            }
        }
    }
    Ok((
        config,
        Classifier {
            snn,
            sparsity: None,
        },
    ))
}

/// An error unless NIR node `node` has as many `what` as the layer before it gives.
fn fits(node: &str, what: &str, got: usize, expected: usize) -> Result<()> {
    if got != expected {
        bail!(
            "NIR node `{node}` has {got} {what} but the node before it gives {expected}: the \
             graph's shapes do not fit together (Python's nir.read would refuse it too)"
        );
    }
    Ok(())
}

fn logits(beta: &[f32], device: &Device) -> Param<Tensor<1>> {
    let l: Vec<f32> = beta.iter().map(|&b| (b / (1.0 - b)).ln()).collect();
    Param::from_tensor(Tensor::from_data(TensorData::new(l, [beta.len()]), device))
}

fn set_linear(linear: &mut burn::nn::Linear, w: &Weights, inputs: usize, device: &Device) {
    let outputs = w.outputs;
    let t = crate::layout::transpose(&w.values, outputs, inputs);
    linear.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(t, [inputs, outputs]),
        device,
    ));
    linear.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(w.bias.clone(), [outputs]),
        device,
    )));
}

/// Reads the NIR file at `path`.
pub fn read_graph(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    snn_nir::from_bytes(bytes)
        .with_context(|| format!("{} is not a NIR file snn-train can read", path.display()))
}
