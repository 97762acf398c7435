//! The spiking classifier: a sequence of layers and a readout.
//!
//! `encoder → layers → readout`, run for `steps` time steps. The layers come from
//! `[[model.layers]]` (see [`crate::layer_config`]) or from the shorthand `hidden = [256, …]`
//! (a `linear → lif` pair per entry). Stateless layers apply to all steps at once (`[T·B, …]`),
//! since a layer's input does not depend on its own state; neurons scan over time. With direct
//! input (the image is the input current at every step) the stateless layers before the first
//! neuron layer see identical steps, so they run once on `[1, B, …]` and their output is
//! broadcast over `T`. Readouts: see [`crate::readout`].
//!
//! Weights and biases of every `Linear` start from `U(−1/√fan_in, 1/√fan_in)` (Burn's default
//! Kaiming-uniform with gain 1/√3, the same as PyTorch's `nn.Linear`); conv layers likewise.

use burn::module::Module;
use burn::nn::LinearConfig;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::encoder::EncoderConfig;
use crate::layer::Layer;
use crate::layer_config::{self, FeatureShape, LayerConfig, PlannedLayer};
use crate::lif::{LifConfig, LifImpl};
use crate::readout::{MembraneReadout, Readout, SpikeCountReadout};
use crate::surrogate::Surrogate;

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

/// A spiking layer of a built network, in the order of [`SnnOutput::layer_spikes`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpikingLayer {
    /// `input` (spike-coded input), `hidden<i>` (the i-th neuron layer), `output` (spike-count
    /// readout).
    pub name: String,
    pub neurons: usize,
    /// Synapses one spike drives in the next weight layer (0 for the output layer).
    pub fan_out: usize,
}

/// The name of the `i`-th neuron layer (`hidden<i>`), as in metrics (`rate_hidden0`), figures
/// and reports.
pub fn hidden_layer_name(i: usize) -> String {
    format!("hidden{i}")
}

impl SnnConfig {
    /// Names of the neuron layers this config builds: `hidden<i>` per `lif` layer, and `output`
    /// for a spike-count readout (the spiking layers of [`Snn::spiking_layers`] without the
    /// input).
    pub fn neuron_layer_names(&self) -> Vec<String> {
        if self.ann {
            return Vec::new();
        }
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

    /// The layers this config describes: `layers`, or the `hidden` shorthand expanded.
    pub fn resolved_layers(&self) -> Vec<LayerConfig> {
        if !self.layers.is_empty() {
            return self.layers.clone();
        }
        let hidden = self.hidden.clone().unwrap_or(DEFAULT_HIDDEN.to_vec());
        hidden
            .into_iter()
            .flat_map(|size| [LayerConfig::Linear { size, bias: true }, LayerConfig::lif()])
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
        if !planned
            .iter()
            .any(|l| matches!(l.config, LayerConfig::Lif { .. }))
        {
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

    /// Builds the network with freshly initialised weights on `device`. Panics on a config that
    /// [`SnnConfig::validate`] refuses.
    pub fn init(&self, device: &Device) -> Snn {
        let plan = self.plan("model").expect("a validated config");
        let layers = plan
            .iter()
            .map(|planned| Layer::init(planned, &self.lif, device))
            .collect();
        let features = plan.last().map_or(self.inputs, |l| l.output.len());
        let linear = LinearConfig::new(features, self.classes).init(device);
        let readout = match self.readout {
            ReadoutConfig::SpikeCount { surrogate } => {
                let lif = LifConfig {
                    surrogate,
                    ..self.lif.clone()
                };
                Readout::SpikeCount(SpikeCountReadout {
                    linear,
                    lif: lif.init(self.classes, device),
                })
            }
            ReadoutConfig::Membrane { .. } => Readout::Membrane(MembraneReadout {
                linear,
                beta: self.readout_beta().unwrap_or(0.0),
            }),
        };
        Snn {
            layers,
            readout,
            plan,
            config: self.clone(),
        }
    }

    /// Decay of the membrane readout (`None` for the spike-count readout).
    pub fn readout_beta(&self) -> Option<f32> {
        match self.readout {
            ReadoutConfig::Membrane { beta } => Some(beta.unwrap_or(self.lif.resolved_beta())),
            ReadoutConfig::SpikeCount { .. } => None,
        }
    }
}

/// The spiking classifier.
#[derive(Module, Debug)]
pub struct Snn {
    pub layers: Vec<Layer>,
    pub readout: Readout,
    #[module(skip)]
    plan: Vec<PlannedLayer>,
    #[module(skip)]
    config: SnnConfig,
}

/// What one forward pass produces.
#[derive(Debug, Clone)]
pub struct SnnOutput {
    /// `[B, classes]`.
    pub logits: Tensor<2>,
    /// Total spike count of each spiking layer over the batch and all steps, in the order of
    /// [`Snn::spiking_layers`]; differentiable through the surrogate (the input's is data).
    pub layer_spikes: Vec<Tensor<1>>,
}

/// Spike trains of one forward pass, for analysis and figures (detached, `[T, B, N]` each, in
/// the order of [`Snn::spiking_layers`]).
#[derive(Debug, Clone)]
pub struct SnnTrace {
    pub logits: Tensor<2>,
    pub layers: Vec<Tensor<3>>,
}

impl Snn {
    pub fn config(&self) -> &SnnConfig {
        &self.config
    }

    /// The planned layers (shapes, MACs) in order.
    pub fn plan(&self) -> &[PlannedLayer] {
        &self.plan
    }

    /// The spiking layers: the spike-coded input (not for direct input), every LIF layer, the
    /// output layer of a spike-count readout; the one description used by the firing-rate
    /// metrics, the report and the figures.
    pub fn spiking_layers(&self) -> Vec<SpikingLayer> {
        // Fan-out of the spikes entering layer `i`: the next weight layer's, or the readout's.
        let fan_out_from = |i: usize| {
            self.plan[i..]
                .iter()
                .find(|l| l.fan_out > 0)
                .map_or(self.config.classes, |l| l.fan_out)
        };
        let mut out = Vec::new();
        if self.config.encoder.is_spiking() {
            out.push(SpikingLayer {
                name: "input".into(),
                neurons: self.config.inputs,
                fan_out: fan_out_from(0),
            });
        }
        let mut hidden = 0;
        for (i, planned) in self.plan.iter().enumerate() {
            if self.config.ann {
                break; // ReLU units: no spikes
            }
            if let LayerConfig::Lif { .. } = planned.config {
                out.push(SpikingLayer {
                    name: hidden_layer_name(hidden),
                    neurons: planned.output.len(),
                    fan_out: fan_out_from(i + 1),
                });
                hidden += 1;
            }
        }
        if self.readout.lif().is_some() {
            out.push(SpikingLayer {
                name: "output".into(),
                neurons: self.config.classes,
                fan_out: 0,
            });
        }
        out
    }

    /// Names of the spiking layers (see [`Snn::spiking_layers`]).
    pub fn spiking_layer_names(&self) -> Vec<String> {
        self.spiking_layers().into_iter().map(|l| l.name).collect()
    }

    /// Multiply-accumulates of the network evaluated once as an ANN (weight layers and readout).
    pub fn ann_macs(&self) -> f64 {
        let features = self
            .plan
            .last()
            .map_or(self.config.inputs, |l| l.output.len());
        self.plan.iter().map(|l| l.macs as f64).sum::<f64>()
            + (features * self.config.classes) as f64
    }

    /// Multiply-accumulates the spiking network still does densely per example: the weight
    /// layers before the first neuron layer under direct input (computed once, see the module
    /// docs); 0 for spike-coded input.
    pub fn dense_input_macs(&self) -> f64 {
        if self.config.encoder.is_spiking() {
            return 0.0;
        }
        self.plan
            .iter()
            .take_while(|l| !matches!(l.config, LayerConfig::Lif { .. }))
            .map(|l| l.macs as f64)
            .sum()
    }

    /// Switches every LIF layer to the given implementation.
    pub fn with_lif_implementation(mut self, implementation: LifImpl) -> Self {
        self.layers = self
            .layers
            .into_iter()
            .map(|layer| match layer {
                Layer::Lif(lif) => Layer::Lif(lif.with_implementation(implementation)),
                other => other,
            })
            .collect();
        self.readout = match self.readout {
            Readout::SpikeCount(r) => Readout::SpikeCount(SpikeCountReadout {
                lif: r.lif.with_implementation(implementation),
                linear: r.linear,
            }),
            membrane => membrane,
        };
        self.config.lif.implementation = implementation;
        self
    }

    /// Switches how spike trains are projected (dense, sparse, auto).
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.config.projection = projection;
        self
    }

    /// Encodes `intensity` `[B, inputs]` (values in [0, 1]) and runs the network.
    pub fn forward(&self, intensity: Tensor<2>) -> SnnOutput {
        let (logits, totals) = self.run_intensity(intensity, false);
        SnnOutput {
            logits,
            layer_spikes: totals.into_iter().map(|t| t.reshape([1])).collect(),
        }
    }

    /// Runs the network on input spikes (or currents) `[T, B, inputs]`.
    pub fn forward_spikes(&self, input: Tensor<3>) -> SnnOutput {
        let spiking = self.config.encoder.is_spiking();
        let (logits, totals) = self.run(input, 1, spiking, false);
        SnnOutput {
            logits,
            layer_spikes: totals.into_iter().map(|t| t.reshape([1])).collect(),
        }
    }

    /// Runs the network and returns every spiking layer's spike train (no gradients).
    pub fn trace(&self, intensity: Tensor<2>) -> SnnTrace {
        let (logits, layers) = self.run_intensity(intensity.detach(), true);
        SnnTrace {
            logits: logits.detach(),
            layers,
        }
    }

    /// [`Snn::trace`] from given input spikes (or currents) `[T, B, inputs]`.
    pub fn trace_spikes(&self, input: Tensor<3>) -> SnnTrace {
        let spiking = self.config.encoder.is_spiking();
        let (logits, layers) = self.run(input.detach(), 1, spiking, true);
        SnnTrace {
            logits: logits.detach(),
            layers,
        }
    }

    /// Encodes and runs; direct input enters as one step `[1, B, inputs]` that the network
    /// broadcasts to `T` steps before its first neuron layer.
    fn run_intensity(&self, intensity: Tensor<2>, trains: bool) -> (Tensor<2>, Vec<Tensor<3>>) {
        let steps = self.config.steps;
        if self.config.encoder.is_spiking() {
            let spikes = self.config.encoder.encode(intensity, steps);
            self.run(spikes, 1, true, trains)
        } else {
            self.run(intensity.unsqueeze_dim::<3>(0), steps, false, trains)
        }
    }

    /// Runs the layers and the readout on `x` `[T', B, inputs]`. `repeat > 1`: `x` is one step
    /// of direct input, repeated to `repeat` steps before the first stateful layer (or the
    /// readout). `spiking`: `x` holds spikes. Returns the logits and, per spiking layer, the
    /// detached spike train (`trains`) or its total (else; differentiable through the surrogate,
    /// for a firing-rate regulariser).
    fn run(
        &self,
        x: Tensor<3>,
        mut repeat: usize,
        mut spiking: bool,
        trains: bool,
    ) -> (Tensor<2>, Vec<Tensor<3>>) {
        let keep = |t: &Tensor<3>| {
            if trains {
                t.clone().detach()
            } else {
                t.clone().sum().reshape([1, 1, 1])
            }
        };
        let mut out = Vec::new();
        if spiking {
            out.push(keep(&x));
        }
        let max_density = self.config.projection.max_density();
        let mut x = x;
        for (layer, planned) in self.layers.iter().zip(&self.plan) {
            if self.config.ann && layer.is_stateful() {
                // The ANN of the same layers: ReLU for the neurons (one step, no spikes).
                x = burn::tensor::activation::relu(x);
                continue;
            }
            if repeat > 1 && layer.is_stateful() {
                x = x.repeat_dim(0, repeat);
                repeat = 1;
            }
            x = layer.forward(x, planned.input, spiking, max_density);
            spiking = layer.outputs_spikes(spiking);
            if layer.is_stateful() {
                out.push(keep(&x));
            }
        }
        if repeat > 1 {
            x = x.repeat_dim(0, repeat);
        }
        let readout = self.readout.forward(x, spiking, max_density);
        if let Some(spikes) = &readout.spikes {
            out.push(keep(spikes));
        }
        (readout.logits, out)
    }
}
