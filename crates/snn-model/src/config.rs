//! The network as configured (TOML section `[model]`): input, layers (or the `hidden`
//! shorthand), encoder, neurons, readout and projection, every value checked by
//! [`SnnConfig::validate`] and every layer's shapes planned by [`SnnConfig::plan`] (see
//! [`crate::layer_config`]). [`SnnConfig::init`] (in [`crate::network`]) builds the network.
//!
//! With `ann = true` the same layers are a conventional ANN: the planner emits a `relu` layer
//! for every `lif` (one step of direct input, membrane readout), so the network runs no
//! neurons and needs no branch of its own.

use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::encoder::EncoderConfig;
use crate::layer_config::{self, FeatureShape, LayerConfig, PlannedLayer};
use crate::lif::LifConfig;
use crate::network::hidden_layer_name;
use crate::ops::surrogate::Surrogate;

/// How logits are read from the last layer (TOML section `[model.readout]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ReadoutConfig {
    /// Normalised summed membrane of a leaky integrator with decay `beta` (default: the LIF β).
    Membrane {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beta: Option<f32>,
    },
    /// Spike counts of a LIF output layer (the hidden layers' LIF settings, but its own
    /// surrogate). Its default surrogate, atan (α = 2), has heavy tails: a neuron far below
    /// threshold still gets a gradient ∝ 1/x², so the layer cannot stay silent — with the steep
    /// sigmoid surrogate a silent output layer gets vanishing gradients and the loss sticks at
    /// ln(classes).
    SpikeCount {
        #[serde(default = "default_output_surrogate")]
        surrogate: Surrogate,
    },
}

fn default_output_surrogate() -> Surrogate {
    Surrogate::Atan { alpha: 2.0 }
}

impl ReadoutConfig {
    /// The `kind` as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            ReadoutConfig::Membrane { .. } => "membrane",
            ReadoutConfig::SpikeCount { .. } => "spike-count",
        }
    }
}

impl Default for ReadoutConfig {
    fn default() -> Self {
        ReadoutConfig::Membrane { beta: None }
    }
}

/// How spike trains are multiplied by a layer's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Projection {
    /// Burn's dense `Linear` (a matrix product over every input).
    Dense,
    /// Event-driven on CPU backends: add up the weight rows of the inputs that spiked
    /// ([`crate::ops::SnnOps::spike_linear`]); dense on GPU backends.
    Sparse,
    /// Event-driven when at most [`SPARSE_MAX_DENSITY`] of the inputs are spikes, else dense.
    #[default]
    Auto,
}

/// Input density up to which the event-driven projection beats the dense one on CPU: measured
/// break-even ≈ 0.4 for the reference shapes on an AVX2 CPU (`kernel_timing` example, see
/// docs/performance.md).
pub const SPARSE_MAX_DENSITY: f32 = 0.4;

impl Projection {
    /// The density limit passed to the sparse op, or `None` for the dense `Linear`.
    pub fn max_density(self) -> Option<f32> {
        match self {
            Projection::Dense => None,
            Projection::Sparse => Some(f32::INFINITY),
            Projection::Auto => Some(SPARSE_MAX_DENSITY),
        }
    }
}

/// Architecture and neuron model of the spiking classifier (TOML section `[model]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnnConfig {
    /// Input features per example (784 for 28×28 images).
    #[serde(default = "default_inputs")]
    pub inputs: usize,
    /// The inputs as an image `[channels, height, width]` (needed by conv and pooling layers);
    /// its product must equal `inputs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_shape: Option<[usize; 3]>,
    /// Shorthand for the layers: one `linear(size) → lif` pair per entry (default `[256]` when
    /// `layers` is empty too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// The layers, in order (`[[model.layers]]`); give these or `hidden`, not both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerConfig>,
    /// Output classes.
    #[serde(default = "default_classes")]
    pub classes: usize,
    /// Simulation steps `T` per example.
    #[serde(default = "default_steps")]
    pub steps: usize,
    #[serde(default)]
    pub encoder: EncoderConfig,
    #[serde(default)]
    pub lif: LifConfig,
    #[serde(default)]
    pub readout: ReadoutConfig,
    /// How spike trains meet weights (`auto`, `dense`, `sparse`).
    #[serde(default)]
    pub projection: Projection,
    /// The same layers as a conventional ANN: every `lif` layer is a ReLU, one step of direct
    /// input, membrane readout (then `W·x + b`). The reference an SNN's accuracy and energy are
    /// compared with (`snn-train sweep`); needs `steps = 1` and `encoder.kind = "direct"`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ann: bool,
}

fn default_inputs() -> usize {
    784
}
fn default_classes() -> usize {
    10
}
fn default_steps() -> usize {
    100
}

/// Hidden layer sizes when neither `hidden` nor `layers` is given.
pub const DEFAULT_HIDDEN: [usize; 1] = [256];

impl Default for SnnConfig {
    /// The reference setup: 784 → 256 LIF → 10, T = 100, Poisson input, membrane readout.
    fn default() -> Self {
        Self {
            inputs: default_inputs(),
            input_shape: None,
            hidden: Some(DEFAULT_HIDDEN.to_vec()),
            layers: Vec::new(),
            classes: default_classes(),
            steps: default_steps(),
            encoder: EncoderConfig::default(),
            lif: LifConfig::default(),
            readout: ReadoutConfig::default(),
            projection: Projection::default(),
            ann: false,
        }
    }
}

impl burn::config::Config for SnnConfig {}

impl SnnConfig {
    /// Names of the neuron layers this config builds: `hidden<i>` per `lif` layer, and `output`
    /// for a spike-count readout (the spiking layers of [`Snn::spiking_layers`] without the
    /// input).
    pub fn neuron_layer_names(&self) -> Vec<String> {
        let lifs = self
            .resolved_layers()
            .iter()
            .filter(|l| matches!(l, LayerConfig::Lif { .. }))
            .count();
        let mut names: Vec<String> = (0..lifs).map(hidden_layer_name).collect();
        if matches!(self.readout, ReadoutConfig::SpikeCount { .. }) {
            names.push("output".into());
        }
        names
    }

    /// The layers this config describes: `layers`, or the `hidden` shorthand expanded; with
    /// `ann = true`, every neuron layer a `relu`.
    pub fn resolved_layers(&self) -> Vec<LayerConfig> {
        let layers: Vec<LayerConfig> = if self.layers.is_empty() {
            let hidden = self.hidden.clone().unwrap_or(DEFAULT_HIDDEN.to_vec());
            (hidden.into_iter())
                .flat_map(|size| [LayerConfig::Linear { size, bias: true }, LayerConfig::lif()])
                .collect()
        } else {
            self.layers.clone()
        };
        if !self.ann {
            return layers;
        }
        (layers.into_iter())
            .map(|l| match l {
                LayerConfig::Lif { .. } => LayerConfig::Relu {},
                other => other,
            })
            .collect()
    }

    /// The input features of one example.
    pub fn input_features(&self) -> FeatureShape {
        match self.input_shape {
            Some([channels, height, width]) => FeatureShape::Map {
                channels,
                height,
                width,
            },
            None => FeatureShape::Flat(self.inputs),
        }
    }

    /// The checked plan of every layer (shapes, neurons, MACs); errors name the key under
    /// `section` (e.g. `model.layers[3].kernel`).
    pub fn plan(&self, section: &str) -> Result<Vec<PlannedLayer>, ConfigError> {
        let key = |k: &str| format!("{section}.{k}");
        if let Some(shape) = self.input_shape
            && shape.iter().map(|&d| d as u128).product::<u128>() != self.inputs as u128
        {
            return Err(ConfigError::new(
                key("input_shape"),
                format!("{shape:?}"),
                format!("its product must equal inputs = {}", self.inputs),
            ));
        }
        if self.hidden.is_some() && !self.layers.is_empty() {
            return Err(ConfigError::new(
                key("hidden"),
                format!("{:?}", self.hidden.as_deref().unwrap_or_default()),
                "give hidden (shorthand) or [[model.layers]], not both",
            ));
        }
        if let Some(hidden) = &self.hidden {
            if hidden.is_empty() {
                return Err(ConfigError::new(
                    key("hidden"),
                    "[]",
                    "needs at least one hidden layer",
                ));
            }
            if let Some(i) = hidden.iter().position(|&h| h == 0) {
                return Err(ConfigError::new(
                    format!("{}[{i}]", key("hidden")),
                    0,
                    "must be ≥ 1",
                ));
            }
        }
        let planned = layer_config::plan(
            section,
            self.input_features(),
            &self.resolved_layers(),
            &self.lif,
        )?;
        if let Some(last) = planned.last()
            && let FeatureShape::Map { .. } = last.output
        {
            return Err(ConfigError::new(
                key("readout"),
                self.readout.kind(),
                format!(
                    "needs flat features but the last layer ({}) gives {}; add a flatten layer",
                    last.key, last.output
                ),
            ));
        }
        // The neurons (the ANN's ReLUs stand where they were).
        let neurons = |l: &PlannedLayer| match l.config {
            LayerConfig::Lif { .. } => !self.ann,
            LayerConfig::Relu {} => self.ann,
            _ => false,
        };
        if !planned.iter().any(neurons) {
            return Err(ConfigError::new(
                key("layers"),
                planned.len(),
                "need at least one lif layer (else nothing spikes)",
            ));
        }
        Ok(planned)
    }

    /// Checks every value; errors name the key under `section` (e.g. `model`).
    pub fn validate(&self, section: &str) -> Result<(), ConfigError> {
        let key = |k: &str| format!("{section}.{k}");
        if self.inputs == 0 {
            return Err(ConfigError::new(key("inputs"), 0, "must be ≥ 1"));
        }
        if self.classes < 2 {
            return Err(ConfigError::new(
                key("classes"),
                self.classes,
                "must be ≥ 2",
            ));
        }
        if self.steps == 0 {
            return Err(ConfigError::new(key("steps"), 0, "must be ≥ 1"));
        }
        self.encoder.validate(&key("encoder"))?;
        self.lif.validate(&key("lif"))?;
        if let ReadoutConfig::Membrane { beta: Some(beta) } = self.readout
            && !(0.0..1.0).contains(&beta)
        {
            return Err(ConfigError::new(
                key("readout.beta"),
                beta,
                "must be in [0, 1)",
            ));
        }
        if self.ann {
            if self.steps != 1 {
                return Err(ConfigError::new(
                    key("steps"),
                    self.steps,
                    "must be 1 with ann = true (an ANN has no time steps)",
                ));
            }
            if self.encoder.is_spiking() {
                return Err(ConfigError::new(
                    key("encoder.kind"),
                    "a spike code",
                    "must be \"direct\" with ann = true (an ANN takes the intensities)",
                ));
            }
            if !matches!(self.readout, ReadoutConfig::Membrane { .. }) {
                return Err(ConfigError::new(
                    key("readout.kind"),
                    "spike-count",
                    "must be \"membrane\" with ann = true (the logits are then W·x + b)",
                ));
            }
        }
        self.plan(section)?;
        Ok(())
    }

    /// The number of features of the widest layer output (or the input).
    pub fn widest_layer(&self) -> usize {
        let planned = self.plan("model").unwrap_or_default();
        planned
            .iter()
            .map(|l| l.output.len())
            .chain([self.inputs, self.classes])
            .max()
            .unwrap_or(0)
    }

    /// Checks that a batch of `batch` examples fits the spike kernels: they index the
    /// `steps · batch · N` slots of a layer of `N` neurons (the Poisson encoder's counter, the GPU
    /// kernels' indices) with 32 bits ([`crate::ops::MAX_SPIKE_SLOTS`]), for the widest layer.
    /// `key` names the setting in the error (e.g. `train.batch_size`).
    pub fn check_batch(&self, batch: usize, key: &str) -> Result<(), ConfigError> {
        let max = crate::ops::MAX_SPIKE_SLOTS;
        let widest = self.widest_layer();
        let per_example = self.steps.saturating_mul(widest);
        if per_example.saturating_mul(batch) > max {
            let fix = match max / per_example.max(1) {
                0 => "even one example is too many: lower the steps or the layer sizes".into(),
                most => format!("use at most {most}"),
            };
            let reason = format!(
                "with steps = {} and {widest} neurons in the widest layer a batch holds {} spike \
                 slots, over the 32-bit index of the spike kernels ({max}); {fix}",
                self.steps,
                (per_example as u128) * (batch as u128),
            );
            return Err(ConfigError::new(key, batch, reason));
        }
        Ok(())
    }

    /// Decay of the membrane readout (`None` for the spike-count readout).
    pub fn readout_beta(&self) -> Option<f32> {
        match self.readout {
            ReadoutConfig::Membrane { beta } => Some(beta.unwrap_or(self.lif.resolved_beta())),
            ReadoutConfig::SpikeCount { .. } => None,
        }
    }
}
