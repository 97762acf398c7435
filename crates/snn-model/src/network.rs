//! The spiking classifier as built: `encoder → layers → readout`, run for `steps` time steps.
//!
//! Stateless layers apply to all steps at once (`[T·B, …]`), since a layer's input does not
//! depend on its own state; neurons scan over time. The network's [`Input`] says what enters:
//! spikes or currents `[T, B, inputs]`, or, for direct input, one step of currents `[1, B,
//! inputs]` that is the same at every step: the stateless layers before the first neuron layer
//! then run once and their output is broadcast over `T`. What is kept of each spiking layer's
//! spikes is the caller's [`SpikeRecord`] (totals for training, whole trains for analysis).
//! Readouts: see [`crate::readout`].
//!
//! Weights and biases of every `Linear` start from `U(−1/√fan_in, 1/√fan_in)` (Burn's default
//! Kaiming-uniform with gain 1/√3, the same as PyTorch's `nn.Linear`); conv layers likewise.

use burn::module::Module;
use burn::nn::LinearConfig;
use burn::tensor::{Device, Tensor};

use crate::config::Projection;
use crate::config::{ReadoutConfig, SnnConfig};
use crate::layer::{Layer, Signal};
use crate::layer_config::{LayerConfig, PlannedLayer};
use crate::lif::{LifConfig, LifImpl};
use crate::readout::{MembraneReadout, Readout, SpikeCountReadout};
use crate::record::{SpikeRecord, SpikeTotals, SpikeTrains};

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

/// What enters the first layer.
#[derive(Debug, Clone)]
pub enum Input {
    /// Spikes `[T, B, inputs]` (0/1).
    Spikes(Tensor<3>),
    /// Currents `[T, B, inputs]`.
    Currents(Tensor<3>),
    /// Currents `[1, B, inputs]`, the same at each of `steps` steps (direct input).
    Constant { current: Tensor<3>, steps: usize },
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
        let (logits, SpikeTotals(layer_spikes)) = self.run(self.encode(intensity));
        SnnOutput {
            logits,
            layer_spikes,
        }
    }

    /// Runs the network on input spikes (or currents, for direct input) `[T, B, inputs]`.
    pub fn forward_spikes(&self, input: Tensor<3>) -> SnnOutput {
        let (logits, SpikeTotals(layer_spikes)) = self.run(self.given(input));
        SnnOutput {
            logits,
            layer_spikes,
        }
    }

    /// Runs the network and returns every spiking layer's spike train (no gradients).
    pub fn trace(&self, intensity: Tensor<2>) -> SnnTrace {
        let (logits, SpikeTrains(layers)) = self.run(self.encode(intensity.detach()));
        SnnTrace {
            logits: logits.detach(),
            layers,
        }
    }

    /// [`Snn::trace`] from given input spikes (or currents) `[T, B, inputs]`.
    pub fn trace_spikes(&self, input: Tensor<3>) -> SnnTrace {
        let (logits, SpikeTrains(layers)) = self.run(self.given(input.detach()));
        SnnTrace {
            logits: logits.detach(),
            layers,
        }
    }

    /// The encoded `intensity` `[B, inputs]`: spikes over `T` steps, or for direct input one
    /// step of currents that the network broadcasts.
    fn encode(&self, intensity: Tensor<2>) -> Input {
        let (encoder, steps) = (&self.config.encoder, self.config.steps);
        match encoder.is_spiking() {
            true => Input::Spikes(encoder.encode(intensity, steps)),
            false => Input::Constant {
                current: intensity.unsqueeze_dim::<3>(0),
                steps,
            },
        }
    }

    /// Given input `[T, B, inputs]`: spikes when the encoder makes spikes, else currents.
    fn given(&self, input: Tensor<3>) -> Input {
        match self.config.encoder.is_spiking() {
            true => Input::Spikes(input),
            false => Input::Currents(input),
        }
    }

    /// Runs the layers and the readout on `input`; returns the logits and the record `R` of
    /// every spiking layer's spikes.
    pub fn run<R: SpikeRecord>(&self, input: Input) -> (Tensor<2>, R) {
        let mut record = R::default();
        let (mut x, mut signal, mut repeat) = match input {
            Input::Spikes(x) => {
                record.keep(&x);
                (x, Signal::Spikes, 1)
            }
            Input::Currents(x) => (x, Signal::Currents, 1),
            Input::Constant { current, steps } => (current, Signal::Currents, steps),
        };
        let max_density = self.config.projection.max_density();
        for (layer, planned) in self.layers.iter().zip(&self.plan) {
            if repeat > 1 && layer.is_stateful() {
                x = x.repeat_dim(0, repeat);
                repeat = 1;
            }
            x = layer.forward(x, planned.input, signal, max_density);
            signal = layer.output_signal(signal);
            if layer.is_stateful() {
                record.keep(&x);
            }
        }
        if repeat > 1 {
            x = x.repeat_dim(0, repeat);
        }
        let readout = self.readout.forward(x, signal, max_density);
        if let Some(spikes) = &readout.spikes {
            record.keep(spikes);
        }
        (readout.logits, record)
    }
}
