//! The network as a Burn `Learner` model: train and inference steps, and their output.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{ExecutionError, Int, Tensor};
use burn::train::metric::{AccuracyInput, Adaptor, ItemLazy, LossInput};
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use snn_model::Snn;

use crate::data::DigitBatch;
use crate::metrics::{FiringRateInput, LossValue, SparsityLossInput};
use crate::sparsity::SparsityConfig;

/// The spiking classifier trained with cross-entropy on its readout logits, plus the firing-rate
/// penalty of [`crate::sparsity`] when one is configured (training steps only).
#[derive(Module, Debug)]
pub struct Classifier {
    pub snn: Snn,
    /// Not a parameter: not saved with the weights.
    #[module(skip)]
    pub sparsity: Option<SparsityConfig>,
}

/// What one step reports: loss, logits, targets and the spike counts of each spiking layer.
#[derive(Debug, Clone)]
pub struct StepOutput {
    pub loss: Tensor<1>,
    pub logits: Tensor<2>,
    pub targets: Tensor<1, Int>,
    /// Device tensors until [`ItemLazy::sync`], then read into `spike_counts`.
    layer_spikes: Vec<Tensor<1>>,
    /// Total spikes per spiking layer (filled by `sync`).
    pub spike_counts: Vec<f64>,
    /// The loss as a number (filled by `sync`).
    pub loss_value: f64,
    /// The firing-rate penalty within `loss` (training with `[train.sparsity]` only).
    sparsity_loss: Option<Tensor<1>>,
    /// The penalty as a number (filled by `sync`; NaN without one).
    pub sparsity_value: f64,
    /// Neurons per spiking layer.
    pub layer_sizes: Vec<usize>,
    /// Spike opportunities per neuron in this batch: `T × B`.
    pub steps_times_batch: usize,
}

impl Classifier {
    /// Forward pass and loss for one batch; with `training`, the loss includes the firing-rate
    /// penalty (if configured).
    pub fn forward_batch(&self, batch: DigitBatch, training: bool) -> StepOutput {
        let [batch_size, _] = batch.images.dims();
        let out = self.snn.forward(batch.images);
        let mut loss = CrossEntropyLossConfig::new()
            .init(&out.logits.device())
            .forward(out.logits.clone(), batch.targets.clone());
        let layers = self.snn.spiking_layers();
        let steps_times_batch = self.snn.config().steps * batch_size;
        let sparsity_loss = match (&self.sparsity, training) {
            (Some(sparsity), true) => {
                let totals: Vec<_> = layers
                    .iter()
                    .zip(&out.layer_spikes)
                    .map(|(l, total)| (l.name.clone(), l.neurons, total.clone()))
                    .collect();
                sparsity.penalty(&totals, steps_times_batch)
            }
            _ => None,
        };
        if let Some(penalty) = &sparsity_loss {
            loss = loss + penalty.clone();
        }
        StepOutput {
            loss,
            logits: out.logits,
            targets: batch.targets,
            layer_spikes: out.layer_spikes,
            spike_counts: Vec::new(),
            loss_value: f64::NAN,
            sparsity_loss,
            sparsity_value: f64::NAN,
            layer_sizes: layers.iter().map(|l| l.neurons).collect(),
            steps_times_batch,
        }
    }
}

impl TrainStep for Classifier {
    type Input = DigitBatch;
    type Output = StepOutput;

    fn step(&self, batch: DigitBatch) -> TrainOutput<StepOutput> {
        let item = self.forward_batch(batch, true);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Classifier {
    type Input = DigitBatch;
    type Output = StepOutput;

    fn step(&self, batch: DigitBatch) -> StepOutput {
        self.forward_batch(batch, false)
    }
}

impl ItemLazy for StepOutput {
    fn sync(self) -> Result<Self, ExecutionError> {
        self.loss.device().flush()?;
        let spike_counts = self
            .layer_spikes
            .iter()
            .map(|t| t.clone().into_scalar::<f64>())
            .collect();
        let loss_value = self.loss.clone().into_scalar::<f64>();
        let sparsity_value = self
            .sparsity_loss
            .as_ref()
            .map_or(f64::NAN, |t| t.clone().into_scalar::<f64>());
        Ok(StepOutput {
            loss_value,
            sparsity_loss: None,
            sparsity_value,
            loss: self.loss.without_autodiff(),
            logits: self.logits.without_autodiff(),
            targets: self.targets.without_autodiff(),
            layer_spikes: Vec::new(),
            spike_counts,
            layer_sizes: self.layer_sizes,
            steps_times_batch: self.steps_times_batch,
        })
    }
}

impl Adaptor<AccuracyInput> for StepOutput {
    fn adapt(&self) -> AccuracyInput {
        AccuracyInput::new(self.logits.clone(), self.targets.clone())
    }
}

impl Adaptor<LossInput> for StepOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

impl Adaptor<FiringRateInput> for StepOutput {
    fn adapt(&self) -> FiringRateInput {
        FiringRateInput {
            spike_counts: self.spike_counts.clone(),
            layer_sizes: self.layer_sizes.clone(),
            steps_times_batch: self.steps_times_batch,
        }
    }
}

impl Adaptor<LossValue> for StepOutput {
    fn adapt(&self) -> LossValue {
        LossValue(self.loss_value)
    }
}

impl Adaptor<SparsityLossInput> for StepOutput {
    fn adapt(&self) -> SparsityLossInput {
        SparsityLossInput {
            value: self.sparsity_value,
            batch_size: self.logits.dims()[0],
        }
    }
}
