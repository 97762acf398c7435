//! A trained network as a NIR graph (`snn-train export --format nir`).
//!
//! Layers map one to one, in order: `Input` → `Affine` / `Conv2d` / `AvgPool2d` / `Flatten` /
//! `LIF` … → `LI` (membrane readout) or `LIF` (spike-count readout) → `Output`. Batch norm is
//! folded into the weight layer before it (running statistics: `W' = W·γ/√(σ²+ε)`,
//! `b' = (b − μ)·γ/√(σ²+ε) + β`); dropout is the identity at inference and is left out.
//!
//! Our discrete LIF `u[t] = β·u[t−1] + I[t]` is NIR's `τ·du/dt = (v_leak − u) + r·I` under
//! Euler steps of `dt` with (as snnTorch's exporter maps it)
//!
//! ```text
//! τ = dt / (1 − β),   r = τ / dt,   v_leak = 0,   v_threshold = θ,   v_reset = 0
//! ```
//!
//! every parameter an array of the layer's shape, `τ` and `r` in f64 so `β` survives a round
//! trip exactly. NIR resets *to* `v_reset`; our `subtract` reset has no NIR equivalent: the file
//! records `reset = subtract` in its metadata and [`Export::warnings`] says so. The metadata
//! also records `dt`, the steps, the input encoder and how logits are read (NIR leaves decoding
//! to the user). Max pooling and ANN mode have no NIR node: refused, naming the layer.

use anyhow::{Result, bail};
use snn_model::layer::Layer;
use snn_model::readout::Readout;
use snn_model::{FeatureShape, LayerConfig, Lif, PlannedLayer, Reset, Snn};
use snn_nir::{Array, Graph, Node};

use crate::interop::weights::{floats, weight_out_in};

/// A graph and what it cannot say.
pub struct Export {
    pub graph: Graph,
    pub warnings: Vec<String>,
}

fn shape_of(shape: FeatureShape) -> Vec<usize> {
    match shape {
        FeatureShape::Flat(n) => vec![n],
        FeatureShape::Map {
            channels,
            height,
            width,
        } => vec![channels, height, width],
    }
}

fn ints(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

fn affine(linear: &burn::nn::Linear) -> Node {
    let (weight, [outputs, inputs]) = weight_out_in(linear);
    let bias = match &linear.bias {
        Some(b) => floats(b.val()),
        None => vec![0.0; outputs],
    };
    Node::Affine {
        weight: Array::f32(&[outputs, inputs], &weight),
        bias: Array::f32(&[outputs], &bias),
    }
}

/// `τ = dt/(1−β)` and `r = τ/dt` per neuron, in f64.
fn time_constants(beta: &[f32], shape: &[usize], dt: f64) -> (Array, Array) {
    let tau: Vec<f64> = beta.iter().map(|&b| dt / (1.0 - b as f64)).collect();
    let r = tau.iter().map(|t| t / dt).collect();
    (Array::f64(shape, tau), Array::f64(shape, r))
}

fn lif_node(lif: &Lif, shape: &[usize], dt: f64) -> Node {
    let device = burn::tensor::Device::default();
    let beta = floats(lif.beta(&device));
    let (tau, r) = time_constants(&beta, shape, dt);
    let n = beta.len();
    let filled = |v: f64| Array::f64(shape, vec![v; n]);
    Node::Lif {
        tau,
        r,
        v_leak: filled(0.0),
        v_threshold: filled(lif.params().threshold as f64),
        v_reset: filled(0.0),
    }
}

/// Folds batch norm (running statistics) into the weight node `prev`.
fn fold_batch_norm(prev: &mut Node, norm: &burn::nn::BatchNorm, key: &str) -> Result<()> {
    let gamma = floats(norm.gamma.val());
    let shift = floats(norm.beta.val());
    let mean = floats(norm.running_mean.value());
    let var = floats(norm.running_var.value());
    let scale: Vec<f64> = gamma
        .iter()
        .zip(&var)
        .map(|(&g, &v)| g as f64 / (v as f64 + norm.epsilon).sqrt())
        .collect();
    let (weight, bias) = match prev {
        Node::Affine { weight, bias } | Node::Conv2d { weight, bias, .. } => (weight, bias),
        other => bail!(
            "{key} (batch-norm) follows a {} node: NIR has no batch norm, and it can only be \
             folded into a conv2d or linear layer right before it",
            other.type_name()
        ),
    };
    let per_channel = weight.len() / scale.len();
    for (i, w) in weight.values.iter_mut().enumerate() {
        *w = (*w * scale[i / per_channel]) as f32 as f64;
    }
    for (c, b) in bias.values.iter_mut().enumerate() {
        *b = ((*b - mean[c] as f64) * scale[c] + shift[c] as f64) as f32 as f64;
    }
    Ok(())
}

/// The NIR graph of `snn` with Euler time step `dt` (seconds).
pub fn export(snn: &Snn, dt: f64) -> Result<Export> {
    if !(dt.is_finite() && dt > 0.0) {
        bail!("--dt {dt}: the time step must be a number of seconds > 0");
    }
    let config = snn.config();
    if config.ann {
        bail!("the run is an ANN (model.ann = true): it has no spiking neurons to export to NIR");
    }
    let mut graph = Graph::default();
    let mut resets = Vec::new();
    let input = shape_of(config.input_features());
    graph.push(
        "input",
        Node::Input {
            shape: ints(&input),
        },
    );
    for (i, (layer, planned)) in snn.layers.iter().zip(snn.plan()).enumerate() {
        let name = format!("layer{i}");
        if let Layer::Lif(lif) = layer {
            resets.push((name.clone(), lif.params().reset));
        }
        layer_node(&mut graph, name, layer, planned, dt)?;
    }
    graph.push("readout", affine(snn.readout.linear()));
    let readout = readout_node(&mut graph, snn, dt, &mut resets);
    let classes = config.classes;
    graph.push(
        "output",
        Node::Output {
            shape: vec![classes as i64],
        },
    );
    let subtract = resets.iter().any(|(_, r)| *r == Reset::Subtract);
    let warnings = match subtract {
        true => vec![
            "the network resets by subtraction (u −= θ after a spike); NIR's LIF resets to \
             v_reset = 0, so other NIR tools will simulate zero reset. The file records \
             reset = subtract in its metadata; train with [model.lif] reset = \"zero\" for an \
             exact export"
                .into(),
        ],
        false => Vec::new(),
    };
    graph.metadata = vec![
        (
            "producer".into(),
            format!("snn-train {}", env!("CARGO_PKG_VERSION")),
        ),
        ("dt".into(), format!("{dt:e}")),
        ("steps".into(), config.steps.to_string()),
        ("encoder".into(), toml::to_string(&config.encoder)?),
        ("reset".into(), reset_metadata(&resets)),
        (
            "spike_condition".into(),
            "v > v_threshold, then reset".into(),
        ),
        ("readout".into(), readout.into()),
    ];
    Ok(Export { graph, warnings })
}

/// Adds the node of `layer` (none for dropout; batch norm is folded into the node before it).
fn layer_node(
    graph: &mut Graph,
    name: String,
    layer: &Layer,
    planned: &PlannedLayer,
    dt: f64,
) -> Result<()> {
    let key = &planned.key;
    match (layer, &planned.config) {
        (Layer::Linear(linear), _) => graph.push(name, affine(linear)),
        (
            Layer::Conv2d(conv),
            LayerConfig::Conv2d {
                stride, padding, ..
            },
        ) => {
            let FeatureShape::Map { height, width, .. } = planned.input else {
                bail!("{key}: a conv2d layer on flat input");
            };
            let node = conv_node(&conv.conv, [height, width], *stride, *padding);
            graph.push(name, node)
        }
        (Layer::BatchNorm(norm), _) => {
            let (_, prev) = graph.nodes.last_mut().expect("input node first");
            fold_batch_norm(prev, &norm.norm, key)?;
        }
        (Layer::AvgPool(_), LayerConfig::AvgPool { kernel, stride }) => graph.push(
            name,
            Node::AvgPool2d {
                kernel_size: [*kernel as i64; 2],
                stride: [stride.unwrap_or(*kernel) as i64; 2],
                padding: [0, 0],
            },
        ),
        (Layer::MaxPool(_), _) => bail!(
            "{key} is a max-pool layer: NIR 1.0 has no max pooling (only SumPool2d and \
             AvgPool2d). Train with kind = \"avg-pool\" to export this network"
        ),
        (Layer::Flatten(_), _) => graph.push(
            name,
            Node::Flatten {
                start_dim: 0,
                end_dim: -1,
                input_type: Some(ints(&shape_of(planned.input))),
            },
        ),
        (Layer::Dropout(_), _) => {}
        (Layer::Lif(lif), _) => graph.push(name, lif_node(lif, &shape_of(planned.output), dt)),
        (layer, config) => bail!("{key}: layer {layer:?} does not match its config {config:?}"),
    }
    Ok(())
}

/// A conv layer's `Conv2d` node on a `[height, width]` input.
fn conv_node(
    conv: &burn::nn::conv::Conv2d,
    input: [usize; 2],
    stride: usize,
    padding: usize,
) -> Node {
    let weight = conv.weight.val();
    let dims = weight.dims();
    let bias = match &conv.bias {
        Some(b) => floats(b.val()),
        None => vec![0.0; dims[0]],
    };
    Node::Conv2d {
        input_shape: Some([input[0] as i64, input[1] as i64]),
        weight: Array::f32(&dims, &floats(weight)),
        bias: Array::f32(&[dims[0]], &bias),
        stride: [stride as i64; 2],
        padding: [padding as i64; 2],
        dilation: [1, 1],
        groups: 1,
    }
}

/// Adds the readout's neuron node; returns how logits are read (for the metadata).
fn readout_node(
    graph: &mut Graph,
    snn: &Snn,
    dt: f64,
    resets: &mut Vec<(String, Reset)>,
) -> &'static str {
    let classes = snn.config().classes;
    match &snn.readout {
        Readout::Membrane(m) => {
            let (tau, r) = time_constants(&vec![m.beta; classes], &[classes], dt);
            let v_leak = Array::filled(classes, 0.0);
            graph.push("readout_li", Node::Li { tau, r, v_leak });
            "membrane: logits = Σ_t w_t·v[t] of the LI node, w_t ∝ Σ_{j≤T−1−t} β^j \
             (argmax = argmax of Σ_t v[t])"
        }
        Readout::SpikeCount(r) => {
            resets.push(("readout_lif".to_string(), r.lif.params().reset));
            graph.push("readout_lif", lif_node(&r.lif, &[classes], dt));
            "spike-count: logits = spikes of the output LIF node summed over the steps"
        }
    }
}

/// The `reset` metadata: one word when every LIF node resets alike, else `node:mode` pairs.
fn reset_metadata(resets: &[(String, Reset)]) -> String {
    let kebab = |r: &Reset| match r {
        Reset::Subtract => "subtract",
        Reset::Zero => "zero",
    };
    if resets.iter().all(|(_, r)| *r == resets[0].1) {
        return resets.first().map_or("zero", |(_, r)| kebab(r)).to_string();
    }
    let pairs: Vec<String> = (resets.iter())
        .map(|(n, r)| format!("{n}:{}", kebab(r)))
        .collect();
    pairs.join(",")
}
