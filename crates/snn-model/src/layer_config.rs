//! The layers of a network as configured (`[[model.layers]]` in TOML) and the one description of
//! them that everything else reads: [`plan`] checks every layer's keys, follows the feature shape
//! through the stack and gives, per layer, its shapes, neurons, parameters and MACs.
//!
//! Shapes: features are `Flat(n)` or a `Map` of `channels × height × width`. Between layers a
//! batch is always `[T, B, features]` with the features flattened (row-major `C, H, W`), so a
//! neuron layer sees `N = C·H·W` neurons whatever came before it; conv, pooling and batch norm
//! view it as `[T·B, C, H, W]`.
//!
//! ```text
//! conv2d   Map(c,h,w) → Map(channels, (h+2p−k)/s+1, (w+2p−k)/s+1)   MACs = out · c·k²
//! linear   Flat(n)    → Flat(size)                                     MACs = n · size
//! max-pool, avg-pool  Map(c,h,w) → Map(c, (h−k)/s+1, (w−k)/s+1)     (stride defaults to kernel)
//! batch-norm, dropout, lif, relu: shape unchanged;  flatten: Map(c,h,w) → Flat(c·h·w)
//! ```

use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::lif::{LearnBeta, LifConfig, LifImpl, Reset};
use crate::ops::surrogate::Surrogate;

/// One `[[model.layers]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LayerConfig {
    /// 2-D convolution (square kernel) over a feature map.
    Conv2d {
        channels: usize,
        kernel: usize,
        #[serde(default = "one")]
        stride: usize,
        #[serde(default)]
        padding: usize,
        #[serde(default = "yes")]
        bias: bool,
    },
    /// Fully connected layer over flat features.
    Linear {
        size: usize,
        #[serde(default = "yes")]
        bias: bool,
    },
    /// Batch normalisation per channel (per feature for flat features), over the `T·B` samples of
    /// a batch while training and with running statistics at inference.
    BatchNorm {},
    MaxPool {
        kernel: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
    },
    AvgPool {
        kernel: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
    },
    /// A feature map as flat features.
    Flatten {},
    /// Zeroes each feature with probability `p` while training, with one mask for all time steps
    /// of a sample (kept values scaled by `1/(1−p)`).
    Dropout { p: f32 },
    /// LIF neurons: `[model.lif]` with any of its keys replaced for this layer.
    Lif {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beta: Option<f32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tau: Option<f32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        learn_beta: Option<LearnBeta>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<f32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reset: Option<Reset>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detach_reset: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        surrogate: Option<Surrogate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        implementation: Option<LifImpl>,
    },
    /// ReLU units: what a neuron layer is in the same network as an ANN (`[model] ann = true`
    /// turns every `lif` into one).
    Relu {},
}

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}

impl LayerConfig {
    /// A `lif` entry that keeps every key of `[model.lif]`.
    pub fn lif() -> Self {
        LayerConfig::Lif {
            beta: None,
            tau: None,
            learn_beta: None,
            threshold: None,
            reset: None,
            detach_reset: None,
            surrogate: None,
            implementation: None,
        }
    }

    /// The `kind` of the entry as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerConfig::Conv2d { .. } => "conv2d",
            LayerConfig::Linear { .. } => "linear",
            LayerConfig::BatchNorm {} => "batch-norm",
            LayerConfig::MaxPool { .. } => "max-pool",
            LayerConfig::AvgPool { .. } => "avg-pool",
            LayerConfig::Flatten {} => "flatten",
            LayerConfig::Dropout { .. } => "dropout",
            LayerConfig::Lif { .. } => "lif",
            LayerConfig::Relu {} => "relu",
        }
    }

    /// The LIF settings of a `lif` entry: `base` with this entry's keys replaced (a layer's
    /// `beta` replaces the base's `tau` and the reverse).
    pub fn lif_config(&self, base: &LifConfig) -> Option<LifConfig> {
        let LayerConfig::Lif {
            beta,
            tau,
            learn_beta,
            threshold,
            reset,
            detach_reset,
            surrogate,
            implementation,
        } = *self
        else {
            return None;
        };
        let mut lif = base.clone();
        if beta.is_some() || tau.is_some() {
            lif.beta = beta;
            lif.tau = tau;
        }
        lif.learn_beta = learn_beta.unwrap_or(lif.learn_beta);
        lif.threshold = threshold.unwrap_or(lif.threshold);
        lif.reset = reset.unwrap_or(lif.reset);
        lif.detach_reset = detach_reset.unwrap_or(lif.detach_reset);
        lif.surrogate = surrogate.unwrap_or(lif.surrogate);
        lif.implementation = implementation.unwrap_or(lif.implementation);
        Some(lif)
    }
}

/// The features of one example between two layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureShape {
    Flat(usize),
    Map {
        channels: usize,
        height: usize,
        width: usize,
    },
}

impl FeatureShape {
    /// Number of features (`C·H·W` for a map).
    pub fn len(&self) -> usize {
        match *self {
            FeatureShape::Flat(n) => n,
            FeatureShape::Map {
                channels,
                height,
                width,
            } => channels.saturating_mul(height).saturating_mul(width),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Display for FeatureShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureShape::Flat(n) => write!(f, "{n} features"),
            FeatureShape::Map {
                channels,
                height,
                width,
            } => write!(f, "a {channels}x{height}x{width} map"),
        }
    }
}

/// One layer as planned from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedLayer {
    pub config: LayerConfig,
    /// `model.layers[i]`.
    pub key: String,
    pub input: FeatureShape,
    pub output: FeatureShape,
    /// Multiply-accumulates per example and time step (conv and linear; 0 otherwise).
    pub macs: usize,
    /// Trainable parameters.
    pub params: usize,
    /// For a weight layer (conv, linear): how many outputs one input element reaches (`size`
    /// for linear, `channels·k²/stride²` for conv, an upper bound that ignores the border).
    pub fan_out: usize,
}

/// The largest count (features, MACs, parameters) one layer may have: far beyond any machine,
/// and small enough that sums and products of such counts stay exact.
pub const MAX_LAYER_COUNT: u128 = 1 << 48;

/// `value` as a `usize`, or an error naming the layer `key` when it exceeds [`MAX_LAYER_COUNT`].
fn fit(key: &str, what: &str, value: u128) -> Result<usize, ConfigError> {
    if value > MAX_LAYER_COUNT {
        return Err(ConfigError::new(
            key,
            format!("{value} {what}"),
            format!("more than any machine holds (limit {MAX_LAYER_COUNT}); lower the layer sizes"),
        ));
    }
    Ok(value as usize)
}

/// Checks every layer of `layers` (under `section`, e.g. `model`) fed with `input`, and returns
/// the plan. Errors name the layer (`model.layers[3].kernel`) and, for shapes that do not fit,
/// the shapes.
pub fn plan(
    section: &str,
    input: FeatureShape,
    layers: &[LayerConfig],
    lif: &LifConfig,
) -> Result<Vec<PlannedLayer>, ConfigError> {
    let mut shape = input;
    let mut planned = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let at = At {
            section,
            key: format!("{section}.layers[{i}]"),
            kind: layer.kind(),
        };
        let p = plan_layer(&at, layer, shape, lif)?;
        planned.push(PlannedLayer {
            config: layer.clone(),
            key: at.key,
            input: shape,
            output: p.output,
            macs: p.macs,
            params: p.params,
            fan_out: p.fan_out,
        });
        shape = p.output;
    }
    Ok(planned)
}

/// Where a layer stands, for its errors.
struct At<'a> {
    section: &'a str,
    /// `model.layers[i]`.
    key: String,
    kind: &'static str,
}

impl At<'_> {
    fn at_least_one(&self, name: &str, v: usize) -> Result<(), ConfigError> {
        if v == 0 {
            return Err(ConfigError::new(
                format!("{}.{name}", self.key),
                v,
                "must be ≥ 1",
            ));
        }
        Ok(())
    }

    /// `(channels, height, width)` of a map input, else an error for this layer.
    fn map(&self, shape: FeatureShape) -> Result<(usize, usize, usize), ConfigError> {
        match shape {
            FeatureShape::Map {
                channels,
                height,
                width,
            } => Ok((channels, height, width)),
            FeatureShape::Flat(n) => Err(ConfigError::new(
                self.key.clone(),
                self.kind,
                format!(
                    "needs a feature map but gets {n} flat features (set {}.input_shape = [C, \
                     H, W] for images, and keep flatten after the map layers)",
                    self.section
                ),
            )),
        }
    }

    fn fit(&self, what: &str, value: u128) -> Result<usize, ConfigError> {
        fit(&self.key, what, value)
    }
}

/// A layer's output shape and counts.
struct Planned {
    output: FeatureShape,
    macs: usize,
    params: usize,
    fan_out: usize,
}

impl Planned {
    /// A layer without weights.
    fn shape_only(output: FeatureShape, params: usize) -> Self {
        Self {
            output,
            macs: 0,
            params,
            fan_out: 0,
        }
    }
}

fn plan_layer(
    at: &At,
    layer: &LayerConfig,
    shape: FeatureShape,
    lif: &LifConfig,
) -> Result<Planned, ConfigError> {
    match *layer {
        LayerConfig::Conv2d {
            channels,
            kernel,
            stride,
            padding,
            bias,
        } => plan_conv(at, shape, channels, kernel, stride, padding, bias),
        LayerConfig::Linear { size, bias } => plan_linear(at, shape, size, bias),
        LayerConfig::MaxPool { kernel, stride } | LayerConfig::AvgPool { kernel, stride } => {
            plan_pool(at, shape, kernel, stride.unwrap_or(kernel))
        }
        LayerConfig::BatchNorm {} => {
            let features = match shape {
                FeatureShape::Map { channels, .. } => channels,
                FeatureShape::Flat(n) => n,
            };
            Ok(Planned::shape_only(shape, 2 * features))
        }
        LayerConfig::Flatten {} => Ok(Planned::shape_only(FeatureShape::Flat(shape.len()), 0)),
        LayerConfig::Dropout { p } => {
            if !(0.0..1.0).contains(&p) {
                let key = format!("{}.p", at.key);
                return Err(ConfigError::new(key, p, "must be in [0, 1)"));
            }
            Ok(Planned::shape_only(shape, 0))
        }
        LayerConfig::Lif { .. } => {
            let lif = layer.lif_config(lif).expect("a lif entry");
            lif.validate(&at.key)?;
            let params = match lif.learn_beta {
                LearnBeta::None => 0,
                LearnBeta::Layer => 1,
                LearnBeta::Neuron => shape.len(),
            };
            Ok(Planned::shape_only(shape, params))
        }
        LayerConfig::Relu {} => Ok(Planned::shape_only(shape, 0)),
    }
}

/// `conv2d`: `Map(c,h,w) → Map(channels, (h+2p−k)/s+1, (w+2p−k)/s+1)`.
fn plan_conv(
    at: &At,
    shape: FeatureShape,
    out_c: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    bias: bool,
) -> Result<Planned, ConfigError> {
    at.at_least_one("channels", out_c)?;
    at.at_least_one("kernel", kernel)?;
    at.at_least_one("stride", stride)?;
    let (c, h, w) = at.map(shape)?;
    let side = |n: usize| {
        (n as u128 + 2 * padding as u128)
            .checked_sub(kernel as u128)
            .map(|d| d / stride as u128 + 1)
    };
    let (Some(oh), Some(ow)) = (side(h), side(w)) else {
        return Err(ConfigError::new(
            format!("{}.kernel", at.key),
            kernel,
            format!("is larger than the padded {shape} it slides over"),
        ));
    };
    let (oc, k2) = (out_c as u128, kernel as u128 * kernel as u128);
    let features = at.fit("output features", oc * oh * ow)?;
    let bias = if bias { oc } else { 0 };
    Ok(Planned {
        output: FeatureShape::Map {
            channels: out_c,
            height: oh as usize,
            width: ow as usize,
        },
        macs: at.fit("MACs", features as u128 * c as u128 * k2)?,
        params: at.fit("parameters", oc * c as u128 * k2 + bias)?,
        fan_out: at.fit(
            "fan-out",
            (oc * k2).div_ceil(stride as u128 * stride as u128),
        )?,
    })
}

/// `linear`: `Flat(n) → Flat(size)`.
fn plan_linear(
    at: &At,
    shape: FeatureShape,
    size: usize,
    bias: bool,
) -> Result<Planned, ConfigError> {
    at.at_least_one("size", size)?;
    let FeatureShape::Flat(n) = shape else {
        return Err(ConfigError::new(
            at.key.clone(),
            "linear",
            format!("needs flat features but gets {shape}; add a flatten layer before it"),
        ));
    };
    let (n, size128) = (n as u128, size as u128);
    let bias = if bias { size128 } else { 0 };
    Ok(Planned {
        output: FeatureShape::Flat(size),
        macs: at.fit("MACs", n * size128)?,
        params: at.fit("parameters", n * size128 + bias)?,
        fan_out: size,
    })
}

/// `max-pool`, `avg-pool`: `Map(c,h,w) → Map(c, (h−k)/s+1, (w−k)/s+1)`.
fn plan_pool(
    at: &At,
    shape: FeatureShape,
    kernel: usize,
    stride: usize,
) -> Result<Planned, ConfigError> {
    at.at_least_one("kernel", kernel)?;
    at.at_least_one("stride", stride)?;
    let (c, h, w) = at.map(shape)?;
    if h < kernel || w < kernel {
        return Err(ConfigError::new(
            format!("{}.kernel", at.key),
            kernel,
            format!("cannot pool {shape}: the map is smaller than the kernel"),
        ));
    }
    let output = FeatureShape::Map {
        channels: c,
        height: (h - kernel) / stride + 1,
        width: (w - kernel) / stride + 1,
    };
    Ok(Planned::shape_only(output, 0))
}
