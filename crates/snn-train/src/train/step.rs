//! The model as Burn's `Learner` sees it: a training step (cross-entropy plus the firing-rate
//! penalty, then the backward pass) and an inference step (cross-entropy alone), both reporting
//! a [`StepOutput`] that the metrics read once it is synced to the host.

use burn::tensor::{ExecutionError, Int, Tensor};
use burn::train::metric::{AccuracyInput, Adaptor, ItemLazy, LossInput};
use burn::train::{InferenceStep, TrainOutput, TrainStep};

use crate::data::DigitBatch;
use crate::model::{BatchOutput, Classifier};
use crate::train::guard::LossValue;
use crate::train::metrics::{FiringRateInput, SparsityLossInput};

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

impl StepOutput {
    /// The step's report of `out`, whose loss is its cross-entropy plus `penalty`.
    fn new(model: &Classifier, out: BatchOutput, penalty: Option<Tensor<1>>) -> Self {
        let loss = match &penalty {
            Some(p) => out.cross_entropy + p.clone(),
            None => out.cross_entropy,
        };
        StepOutput {
            loss,
            logits: out.logits,
            targets: out.targets,
            layer_spikes: out.layer_spikes,
            spike_counts: Vec::new(),
            loss_value: f64::NAN,
            sparsity_loss: penalty,
            sparsity_value: f64::NAN,
            layer_sizes: model.layer_sizes(),
            steps_times_batch: out.steps_times_batch,
        }
    }
}

impl TrainStep for Classifier {
    type Input = DigitBatch;
    type Output = StepOutput;

    fn step(&self, batch: DigitBatch) -> TrainOutput<StepOutput> {
        let out = self.forward(batch);
        let penalty = self.penalty(&out);
        let item = StepOutput::new(self, out, penalty);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Classifier {
    type Input = DigitBatch;
    type Output = StepOutput;

    fn step(&self, batch: DigitBatch) -> StepOutput {
        StepOutput::new(self, self.forward(batch), None)
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
