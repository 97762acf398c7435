//! The layers of a network as Burn modules, built from a [`PlannedLayer`] and run on a whole
//! spike train `[T, B, features]` at once.
//!
//! Stateless layers (conv, linear, batch norm, pooling, flatten, dropout, relu) apply to all
//! `T·B` samples in one call; only [`Lif`] scans over time. A `linear` layer fed by spikes uses the
//! event-driven projection on CPU ([`crate::ops::SnnOps::spike_linear`], per
//! [`crate::Projection`]); conv layers use Burn's conv2d on every backend.

use burn::backend::Dispatch;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Distribution, Tensor};

use crate::layer_config::{FeatureShape, LayerConfig, PlannedLayer};
use crate::lif::{Lif, LifConfig};
use crate::ops::SnnOps;

/// One layer of a network.
#[derive(Module, Debug)]
pub enum Layer {
    Conv2d(ConvLayer),
    Linear(Linear),
    BatchNorm(NormLayer),
    MaxPool(MaxPool2d),
    AvgPool(AvgPool2d),
    Flatten(Flatten),
    Dropout(Dropout),
    Lif(Lif),
    /// ReLU units: a neuron layer of the same network as an ANN.
    Relu(Relu),
}

/// What a `[T, B, features]` tensor between layers holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Spikes (0/1, or spikes scaled by dropout): the event-driven projection applies.
    Spikes,
    /// Currents, intensities or activations.
    Currents,
}

/// A 2-D convolution applied to every step.
#[derive(Module, Debug)]
pub struct ConvLayer {
    pub conv: Conv2d,
}

/// Batch norm over the channels of a map (or the features of flat input).
#[derive(Module, Debug)]
pub struct NormLayer {
    pub norm: BatchNorm,
}

/// Shape-only: a map's features as flat features (already flat in memory).
#[derive(Module, Debug)]
pub struct Flatten {}

/// `max(x, 0)`.
#[derive(Module, Debug)]
pub struct Relu {}

/// Dropout with one mask per sample, shared by all time steps.
#[derive(Module, Debug)]
pub struct Dropout {
    #[module(skip)]
    pub p: f32,
}

impl Layer {
    /// Builds the layer `planned` describes, with fresh weights, on `device`; `lif` is the
    /// network's `[model.lif]`.
    pub fn init(planned: &PlannedLayer, lif: &LifConfig, device: &Device) -> Self {
        let in_features = |shape: FeatureShape| match shape {
            FeatureShape::Map { channels, .. } => channels,
            FeatureShape::Flat(n) => n,
        };
        match planned.config {
            LayerConfig::Conv2d {
                channels,
                kernel,
                stride,
                padding,
                bias,
            } => Layer::Conv2d(ConvLayer {
                conv: Conv2dConfig::new([in_features(planned.input), channels], [kernel, kernel])
                    .with_stride([stride, stride])
                    .with_padding(PaddingConfig2d::Explicit(
                        padding, padding, padding, padding,
                    ))
                    .with_bias(bias)
                    .init(device),
            }),
            LayerConfig::Linear { size, bias } => Layer::Linear(
                LinearConfig::new(planned.input.len(), size)
                    .with_bias(bias)
                    .init(device),
            ),
            LayerConfig::BatchNorm {} => Layer::BatchNorm(NormLayer {
                norm: BatchNormConfig::new(in_features(planned.input)).init(device),
            }),
            LayerConfig::MaxPool { kernel, stride } => Layer::MaxPool(
                MaxPool2dConfig::new([kernel, kernel])
                    .with_strides([stride.unwrap_or(kernel); 2])
                    .init(),
            ),
            LayerConfig::AvgPool { kernel, stride } => Layer::AvgPool(
                AvgPool2dConfig::new([kernel, kernel])
                    .with_strides([stride.unwrap_or(kernel); 2])
                    .init(),
            ),
            LayerConfig::Flatten {} => Layer::Flatten(Flatten {}),
            LayerConfig::Dropout { p } => Layer::Dropout(Dropout { p }),
            LayerConfig::Lif { .. } => {
                let config = planned.config.lif_config(lif).expect("a lif entry");
                Layer::Lif(config.init(planned.output.len(), device))
            }
            LayerConfig::Relu {} => Layer::Relu(Relu {}),
        }
    }

    /// Whether the layer keeps state across time steps (only neurons do).
    pub fn is_stateful(&self) -> bool {
        matches!(self, Layer::Lif(_))
    }

    /// What the output holds given what the input holds: neurons emit spikes, max-pooling,
    /// flatten and dropout pass them on, weight layers, batch norm, averaging and ReLU make
    /// currents.
    pub fn output_signal(&self, input: Signal) -> Signal {
        match self {
            Layer::Lif(_) => Signal::Spikes,
            Layer::MaxPool(_) | Layer::Flatten(_) | Layer::Dropout(_) => input,
            Layer::Conv2d(_)
            | Layer::Linear(_)
            | Layer::BatchNorm(_)
            | Layer::AvgPool(_)
            | Layer::Relu(_) => Signal::Currents,
        }
    }

    /// Applies the layer to `x` `[T, B, input features]` of shape `input` (per example);
    /// `signal` says whether `x` holds spikes (for the event-driven projection, which
    /// `max_density` enables).
    pub fn forward(
        &self,
        x: Tensor<3>,
        input: FeatureShape,
        signal: Signal,
        max_density: Option<f32>,
    ) -> Tensor<3> {
        let [steps, batch, features] = x.dims();
        let as_map = |x: Tensor<3>| match input {
            FeatureShape::Map {
                channels,
                height,
                width,
            } => x.reshape([steps * batch, channels, height, width]),
            FeatureShape::Flat(_) => unreachable!("the plan puts maps before map layers"),
        };
        let back = |y: Tensor<4>| {
            let [_, c, h, w] = y.dims();
            y.reshape([steps, batch, c * h * w])
        };
        match self {
            Layer::Conv2d(layer) => back(layer.conv.forward(as_map(x))),
            Layer::MaxPool(pool) => back(pool.forward(as_map(x))),
            Layer::AvgPool(pool) => back(pool.forward(as_map(x))),
            Layer::BatchNorm(layer) => match input {
                FeatureShape::Map { .. } => back(layer.norm.forward(as_map(x))),
                FeatureShape::Flat(_) => layer
                    .norm
                    .forward(x.reshape([steps * batch, features]))
                    .reshape([steps, batch, features]),
            },
            Layer::Linear(linear) => project(linear, x, signal, max_density),
            Layer::Flatten(_) => x,
            Layer::Dropout(dropout) => dropout.forward(x),
            Layer::Lif(lif) => lif.forward(x),
            Layer::Relu(_) => burn::tensor::activation::relu(x),
        }
    }
}

impl Dropout {
    /// While training (an autodiff device), zeroes features with probability `p`, one mask per
    /// sample for all steps, and scales the rest by `1/(1−p)`; the identity otherwise.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        if self.p == 0.0 || !x.device().is_autodiff() {
            return x;
        }
        let [steps, batch, features] = x.dims();
        let keep = 1.0 - self.p as f64;
        let mask = Tensor::<3>::random(
            [1, batch, features],
            Distribution::Bernoulli(keep),
            &x.device(),
        );
        x * mask.repeat_dim(0, steps) * (1.0 / keep)
    }
}

/// Applies `linear` to every step at once: `[T, B, in]` → `[T, B, out]`; spikes go through the
/// event-driven op when `max_density` is set (it falls back to the dense product above that
/// density, and on GPU backends).
pub fn project(
    linear: &Linear,
    input: Tensor<3>,
    signal: Signal,
    max_density: Option<f32>,
) -> Tensor<3> {
    let [steps, batch, features] = input.dims();
    match max_density.filter(|_| signal == Signal::Spikes) {
        None => {
            let out = linear.forward(input.reshape([steps * batch, features]));
            let [_, size] = out.dims();
            out.reshape([steps, batch, size])
        }
        Some(max_density) => {
            let weight = linear.weight.val();
            let out = Tensor::<3>::from_dispatch(<Dispatch as SnnOps>::spike_linear(
                input.into_dispatch(),
                weight.into_dispatch(),
                max_density,
            ));
            match &linear.bias {
                Some(bias) => {
                    let [size] = bias.dims();
                    out + bias.val().reshape([1, 1, size])
                }
                None => out,
            }
        }
    }
}
