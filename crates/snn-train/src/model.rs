//! The model: the spiking network with its loss. One batch goes through the network to logits,
//! its cross-entropy against the targets and each spiking layer's spike total; training adds
//! the firing-rate penalty of [`crate::config::sparsity`] when one is configured (see
//! [`crate::train::step`]). The weights saved in `model.bpk` are this module's record
//! ([`crate::run::weights`]).

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Int, Tensor};
use snn_model::Snn;

use crate::config::SparsityConfig;
use crate::data::DigitBatch;

/// The spiking classifier trained with cross-entropy on its readout logits.
#[derive(Module, Debug)]
pub struct Classifier {
    pub snn: Snn,
    /// The firing-rate penalty training adds. Not a parameter: not saved with the weights.
    #[module(skip)]
    pub sparsity: Option<SparsityConfig>,
}

/// One batch through the network.
#[derive(Debug, Clone)]
pub struct BatchOutput {
    /// `[B, classes]`.
    pub logits: Tensor<2>,
    pub targets: Tensor<1, Int>,
    /// Mean cross-entropy of the batch, `[1]`.
    pub cross_entropy: Tensor<1>,
    /// Total spikes of each spiking layer (`[1]` each, differentiable through the surrogate).
    pub layer_spikes: Vec<Tensor<1>>,
    /// Spike opportunities per neuron in this batch: `T × B`.
    pub steps_times_batch: usize,
}

impl Classifier {
    /// Logits, cross-entropy and spike totals of `batch`.
    pub fn forward(&self, batch: DigitBatch) -> BatchOutput {
        let [batch_size, _] = batch.images.dims();
        let out = self.snn.forward(batch.images);
        let cross_entropy = CrossEntropyLossConfig::new()
            .init(&out.logits.device())
            .forward(out.logits.clone(), batch.targets.clone());
        BatchOutput {
            logits: out.logits,
            targets: batch.targets,
            cross_entropy,
            layer_spikes: out.layer_spikes,
            steps_times_batch: self.snn.config().steps * batch_size,
        }
    }

    /// The firing-rate penalty of `out` (`None` without `[train.sparsity]`, or when it names no
    /// layer that spiked).
    pub fn penalty(&self, out: &BatchOutput) -> Option<Tensor<1>> {
        let sparsity = self.sparsity.as_ref()?;
        let totals: Vec<_> = (self.snn.spiking_layers().into_iter())
            .zip(&out.layer_spikes)
            .map(|(l, total)| (l.name, l.neurons, total.clone()))
            .collect();
        sparsity.penalty(&totals, out.steps_times_batch)
    }

    /// Neurons of each spiking layer, in the order of [`BatchOutput::layer_spikes`].
    pub fn layer_sizes(&self) -> Vec<usize> {
        (self.snn.spiking_layers().iter())
            .map(|l| l.neurons)
            .collect()
    }
}
