//! The feed-forward spiking classifier.
//!
//! `inputs → [Linear → LIF] × hidden.len() → readout`, run for `steps` time steps on spikes from
//! the encoder. Each `Linear` is applied to all steps at once (`[T·B, in] × [in, out]`), since a
//! layer's input current does not depend on its own state.
//!
//! Readouts (logits for cross-entropy):
//! - `membrane` (default): a non-spiking leaky integrator `v[t] = β_o·v[t-1] + W·s[t] + b`; the
//!   logits are its summed membrane normalised by the summed weights, `Σ_t v[t] / Σ_t c_t`
//!   with `c_t = Σ_{j=0}^{T-1-t} β_o^j`, i.e. `W·(Σ_t w_t·s[t]) + b` with `w_t = c_t / Σ c`.
//!   It cannot go silent: gradients reach every hidden spike at every step.
//! - `spike-count`: a LIF output layer; logits are its spike counts over the `T` steps.
//!
//! Weights and biases of every `Linear` start from `U(−1/√fan_in, 1/√fan_in)` (Burn's default
//! Kaiming-uniform with gain 1/√3, the same as PyTorch's `nn.Linear`).

use burn::backend::Dispatch;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::encoder::EncoderConfig;
use crate::lif::{Lif, LifConfig, LifImpl};
use crate::ops::SnnOps;
use crate::surrogate::Surrogate;

/// How logits are read from the last hidden layer (TOML section `[model.readout]`).
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
    /// Input neurons (784 for 28×28 images).
    #[serde(default = "default_inputs")]
    pub inputs: usize,
    /// Sizes of the hidden LIF layers, in order.
    #[serde(default = "default_hidden")]
    pub hidden: Vec<usize>,
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
}

fn default_inputs() -> usize {
    784
}
fn default_hidden() -> Vec<usize> {
    vec![256]
}
fn default_classes() -> usize {
    10
}
fn default_steps() -> usize {
    100
}

impl Default for SnnConfig {
    /// The reference setup: 784 → 256 LIF → 10, T = 100, Poisson input, membrane readout.
    fn default() -> Self {
        Self {
            inputs: default_inputs(),
            hidden: default_hidden(),
            classes: default_classes(),
            steps: default_steps(),
            encoder: EncoderConfig::default(),
            lif: LifConfig::default(),
            readout: ReadoutConfig::default(),
            projection: Projection::default(),
        }
    }
}

impl burn::config::Config for SnnConfig {}

impl SnnConfig {
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
        if self.hidden.is_empty() {
            return Err(ConfigError::new(
                key("hidden"),
                "[]",
                "needs at least one hidden layer",
            ));
        }
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(ConfigError::new(
                format!("{}[{i}]", key("hidden")),
                0,
                "must be ≥ 1",
            ));
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
        Ok(())
    }

    /// Checks that a batch of `batch` examples fits the spike kernels: they index the
    /// `steps · batch · N` slots of a layer of `N` neurons (the Poisson encoder's counter, the GPU
    /// kernels' indices) with 32 bits ([`crate::ops::MAX_SPIKE_SLOTS`]), for the widest layer.
    /// `key` names the setting in the error (e.g. `train.batch_size`).
    pub fn check_batch(&self, batch: usize, key: &str) -> Result<(), ConfigError> {
        let max = crate::ops::MAX_SPIKE_SLOTS;
        let widest = self
            .hidden
            .iter()
            .chain([&self.inputs, &self.classes])
            .copied()
            .max()
            .unwrap_or(0);
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

    /// Builds the network with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> Snn {
        let mut fan_in = self.inputs;
        let mut hidden = Vec::new();
        let mut lifs = Vec::new();
        for &size in &self.hidden {
            hidden.push(LinearConfig::new(fan_in, size).init(device));
            lifs.push(self.lif.init(size, device));
            fan_in = size;
        }
        let output_lif = match self.readout {
            ReadoutConfig::SpikeCount { surrogate } => {
                let lif = LifConfig {
                    surrogate,
                    ..self.lif.clone()
                };
                Some(lif.init(self.classes, device))
            }
            ReadoutConfig::Membrane { .. } => None,
        };
        Snn {
            hidden,
            lifs,
            output: LinearConfig::new(fan_in, self.classes).init(device),
            output_lif,
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
    pub hidden: Vec<Linear>,
    pub lifs: Vec<Lif>,
    pub output: Linear,
    /// The output LIF layer of the spike-count readout.
    pub output_lif: Option<Lif>,
    #[module(skip)]
    config: SnnConfig,
}

/// What one forward pass produces.
#[derive(Debug, Clone)]
pub struct SnnOutput {
    /// `[B, classes]`.
    pub logits: Tensor<2>,
    /// Total spike count of each spiking layer over the batch and all steps, input layer first
    /// (then the hidden layers, then the output layer of a spike-count readout); detached.
    pub layer_spikes: Vec<Tensor<1>>,
}

/// Spike trains of one forward pass, for analysis and figures (detached, `[T, B, N]` each,
/// input layer first).
#[derive(Debug, Clone)]
pub struct SnnTrace {
    pub logits: Tensor<2>,
    pub layers: Vec<Tensor<3>>,
}

impl Snn {
    pub fn config(&self) -> &SnnConfig {
        &self.config
    }

    /// How many synapses each spiking layer's spikes drive (0 for the output layer), in the
    /// order of [`Snn::spiking_layer_sizes`].
    pub fn spiking_layer_fan_outs(&self) -> Vec<usize> {
        let mut fan_outs: Vec<usize> = self.config.hidden.clone();
        fan_outs.push(self.config.classes);
        if self.output_lif.is_some() {
            fan_outs.push(0);
        }
        fan_outs
    }

    /// `(fan_in, fan_out)` of every weight layer (the network as a non-spiking ANN).
    pub fn dense_layers(&self) -> Vec<(usize, usize)> {
        let mut sizes = vec![self.config.inputs];
        sizes.extend(&self.config.hidden);
        sizes.push(self.config.classes);
        sizes.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Sizes of the spiking layers in the order of [`SnnOutput::layer_spikes`].
    pub fn spiking_layer_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.config.inputs];
        sizes.extend(&self.config.hidden);
        if self.output_lif.is_some() {
            sizes.push(self.config.classes);
        }
        sizes
    }

    /// Names of the spiking layers: `input`, `hidden0`, …, and `output` for spike-count readout.
    pub fn spiking_layer_names(&self) -> Vec<String> {
        let mut names = vec!["input".to_string()];
        names.extend((0..self.config.hidden.len()).map(|i| format!("hidden{i}")));
        if self.output_lif.is_some() {
            names.push("output".to_string());
        }
        names
    }

    /// Switches every LIF layer to the given implementation.
    pub fn with_lif_implementation(mut self, implementation: LifImpl) -> Self {
        self.lifs = self
            .lifs
            .into_iter()
            .map(|l| l.with_implementation(implementation))
            .collect();
        self.output_lif = self
            .output_lif
            .map(|l| l.with_implementation(implementation));
        self.config.lif.implementation = implementation;
        self
    }

    /// Encodes `intensity` `[B, inputs]` (values in [0, 1]) and runs the network.
    pub fn forward(&self, intensity: Tensor<2>) -> SnnOutput {
        let spikes = self.config.encoder.encode(intensity, self.config.steps);
        self.forward_spikes(spikes)
    }

    /// Runs the network on input spikes `[T, B, inputs]`.
    pub fn forward_spikes(&self, input: Tensor<3>) -> SnnOutput {
        let mut layer_spikes = vec![input.clone().detach().sum()];
        let mut layer = input;
        for (linear, lif) in self.hidden.iter().zip(&self.lifs) {
            layer = lif.forward(self.project(linear, layer));
            layer_spikes.push(layer.clone().detach().sum());
        }
        let logits = match &self.output_lif {
            Some(lif) => {
                let spikes = lif.forward(self.project(&self.output, layer));
                layer_spikes.push(spikes.clone().detach().sum());
                spikes.sum_dim(0).squeeze_dim::<2>(0)
            }
            None => self.membrane_readout(layer),
        };
        SnnOutput {
            logits,
            layer_spikes,
        }
    }

    /// The membrane readout in closed form: `W·(Σ_t w_t·s[t]) + b` of the last hidden layer's
    /// spikes `[T, B, N]` (see the module docs).
    fn membrane_readout(&self, last_hidden: Tensor<3>) -> Tensor<2> {
        let beta = self.readout_beta();
        let [steps, batch, size] = last_hidden.dims();
        let weights = readout_weights(steps, beta, &last_hidden.device()).reshape([steps, 1, 1]);
        let pooled = (last_hidden * weights).sum_dim(0).reshape([batch, size]);
        self.output.forward(pooled)
    }

    /// The membrane readout computed step by step, `Σ_t v[t] / Σ_t c_t` with
    /// `v[t] = β_o·v[t-1] + W·s[t] + b` (reference for tests of the closed form).
    pub fn membrane_readout_reference(&self, last_hidden: Tensor<3>) -> Tensor<2> {
        let beta = self.readout_beta();
        let [steps, batch, size] = last_hidden.dims();
        let device = last_hidden.device();
        let mut v = Tensor::<2>::zeros([batch, self.config.classes], &device);
        let mut sum = v.clone();
        let mut norm = 0.0f64;
        let mut c = 0.0f64;
        for t in 0..steps {
            let s_t = last_hidden
                .clone()
                .slice(burn::tensor::s![t])
                .reshape([batch, size]);
            v = v * beta + self.output.forward(s_t);
            sum = sum + v.clone();
            c = c * beta as f64 + 1.0;
            norm += c;
        }
        sum / norm as f32
    }

    /// Runs the network and returns every layer's spike train (no gradients).
    pub fn trace(&self, intensity: Tensor<2>) -> SnnTrace {
        let input = self
            .config
            .encoder
            .encode(intensity.detach(), self.config.steps);
        self.trace_spikes(input)
    }

    /// [`Snn::trace`] from given input spikes `[T, B, inputs]`.
    pub fn trace_spikes(&self, input: Tensor<3>) -> SnnTrace {
        let input = input.detach();
        let mut layers = vec![input.clone()];
        let mut layer = input;
        for (linear, lif) in self.hidden.iter().zip(&self.lifs) {
            layer = lif.trace(self.project(linear, layer)).0;
            layers.push(layer.clone());
        }
        let logits = match &self.output_lif {
            Some(lif) => {
                let spikes = lif.trace(self.project(&self.output, layer)).0;
                layers.push(spikes.clone());
                spikes.sum_dim(0).squeeze_dim::<2>(0)
            }
            None => self.membrane_readout(layer).detach(),
        };
        SnnTrace { logits, layers }
    }

    fn readout_beta(&self) -> f32 {
        self.config.readout_beta().unwrap_or(0.0)
    }

    /// Switches how spike trains are projected (dense, sparse, auto).
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.config.projection = projection;
        self
    }

    /// Applies `linear` to the spikes of every step at once: `[T, B, in]` → `[T, B, out]`.
    fn project(&self, linear: &Linear, input: Tensor<3>) -> Tensor<3> {
        let [steps, batch, features] = input.dims();
        match self.config.projection.max_density() {
            None => {
                let out = linear.forward(input.reshape([steps * batch, features]));
                let [_, size] = out.dims();
                out.reshape([steps, batch, size])
            }
            Some(max_density) => {
                let product = Tensor::<3>::from_dispatch(<Dispatch as SnnOps>::spike_linear(
                    input.into_dispatch(),
                    linear.weight.val().into_dispatch(),
                    max_density,
                ));
                match &linear.bias {
                    Some(bias) => {
                        let [out] = bias.dims();
                        product + bias.val().reshape([1, 1, out])
                    }
                    None => product,
                }
            }
        }
    }
}

/// Readout weights `w_t = c_t / Σ_s c_s`, `c_t = Σ_{j=0}^{T-1-t} β^j` (shape `[T]`).
pub fn readout_weights(steps: usize, beta: f32, device: &Device) -> Tensor<1> {
    let beta = beta as f64;
    let mut c = vec![0.0f64; steps];
    let mut acc = 0.0f64;
    for t in (0..steps).rev() {
        acc = acc * beta + 1.0;
        c[t] = acc;
    }
    let total: f64 = c.iter().sum();
    let w: Vec<f32> = c.iter().map(|&x| (x / total) as f32).collect();
    Tensor::from_data(TensorData::new(w, [steps]), device)
}
