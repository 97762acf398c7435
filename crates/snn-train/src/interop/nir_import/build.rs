//! The imported network: the layers and the readout as a config of ours (checked like any
//! config), then the network it describes with the graph's weights set, its shapes checked
//! against the ones the layers imply (as Python's `nir.read` does).

use anyhow::{Result, bail};
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use snn_model::layer::Layer;
use snn_model::readout::Readout;
use snn_model::{FeatureShape, LayerConfig, LearnBeta, PlannedLayer, Reset, Snn, SnnConfig};

use super::settings::Settings;
use super::spec::{Lowered, ReadoutSpec, Spec, Weights};
use crate::config::{RunConfig, TrainConfig};

/// The run config of the lowered chain fed with `input` and emitting `classes` logits.
pub fn config(
    lowered: &Lowered,
    input: FeatureShape,
    classes: usize,
    settings: &Settings,
) -> Result<RunConfig> {
    let layers: Vec<LayerConfig> = lowered.specs.iter().map(layer_config).collect();
    let readout = &lowered.readout;
    let mut model = SnnConfig {
        inputs: input.len(),
        input_shape: match input {
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
        steps: settings.steps,
        encoder: settings.encoder,
        readout: readout.config,
        ..Default::default()
    };
    if let Some((beta, threshold, reset)) = &readout.lif {
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
        data: Default::default(),
        train: TrainConfig::default(),
    };
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("the imported network: {e}"))?;
    Ok(config)
}

fn layer_config(spec: &Spec) -> LayerConfig {
    match spec {
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
    }
}

fn lif_entry(beta: &[f32], threshold: f32, reset: Reset) -> LayerConfig {
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
}

/// The network of `config` on `device` with the lowered chain's weights.
pub fn network(config: &RunConfig, lowered: &Lowered, device: &Device) -> Result<Snn> {
    let mut snn = config.model.init(device);
    let plan = snn.plan().to_vec();
    for ((layer, planned), spec) in snn.layers.iter_mut().zip(&plan).zip(&lowered.specs) {
        set_layer(layer, planned, spec, device)?;
    }
    let features = (plan.last()).map_or(config.model.input_features().len(), |p| p.output.len());
    set_readout(&mut snn.readout, &lowered.readout, features, device)?;
    Ok(snn)
}

fn set_layer(
    layer: &mut Layer,
    planned: &PlannedLayer,
    spec: &Spec,
    device: &Device,
) -> Result<()> {
    match (layer, spec) {
        (Layer::Linear(linear), Spec::Linear(w, inputs)) => {
            fits(&w.node, "inputs", *inputs, planned.input.len())?;
            set_linear(linear, w, *inputs, device);
        }
        (Layer::Conv2d(conv), Spec::Conv(w, dims, ..)) => {
            let FeatureShape::Map { channels, .. } = planned.input else {
                unreachable!("the plan puts maps before conv layers")
            };
            fits(&w.node, "input channels", dims[1], channels)?;
            let weight = TensorData::new(w.values.clone(), *dims);
            conv.conv.weight = Param::from_tensor(Tensor::from_data(weight, device));
            let bias = TensorData::new(w.bias.clone(), [w.outputs]);
            conv.conv.bias = Some(Param::from_tensor(Tensor::from_data(bias, device)));
        }
        (Layer::Lif(lif), Spec::Lif { node, beta, .. }) => {
            fits(node, "neurons", beta.len(), planned.output.len())?;
            if lif.beta_logit.is_some() {
                lif.beta_logit = Some(logits(beta, device));
            }
        }
        (Layer::AvgPool(_), Spec::AvgPool(..)) | (Layer::Flatten(_), Spec::Flatten) => {}
        (other, _) => unreachable!("the config is made from the specs: {other:?}"),
    }
    Ok(())
}

fn set_readout(
    readout: &mut Readout,
    spec: &ReadoutSpec,
    features: usize,
    device: &Device,
) -> Result<()> {
    let w = &spec.weights;
    fits(&w.node, "inputs", spec.inputs, features)?;
    let (node, neurons) = &spec.neurons;
    fits(node, "neurons", *neurons, w.outputs)?;
    match readout {
        Readout::Membrane(m) => set_linear(&mut m.linear, w, spec.inputs, device),
        Readout::SpikeCount(r) => {
            set_linear(&mut r.linear, w, spec.inputs, device);
            if let (Some(_), Some((beta, ..))) = (&r.lif.beta_logit, &spec.lif) {
                r.lif.beta_logit = Some(logits(beta, device));
            }
        }
    }
    Ok(())
}

/// The number of classes of an `Output` of `shape`, checked against the readout's outputs.
pub fn classes(shape: &[i64], readout: &Weights) -> Result<usize> {
    let classes = (shape.iter())
        .try_fold(1i64, |n, &d| n.checked_mul(d))
        .map_or(0, |n| n.max(0) as usize);
    if classes != readout.outputs {
        bail!(
            "the NIR Output has {classes} values but the readout `{}` has {} outputs",
            readout.node,
            readout.outputs
        );
    }
    Ok(classes)
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
    let t = crate::interop::weights::transpose(&w.values, outputs, inputs);
    linear.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(t, [inputs, outputs]),
        device,
    ));
    linear.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(w.bias.clone(), [outputs]),
        device,
    )));
}
