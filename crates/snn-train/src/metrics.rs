//! Training metrics of our own: the firing rate of each spiking layer (the mean fraction of
//! (neuron, step) slots that carry a spike), and the guard that stops training at the first
//! batch whose loss is not a finite number.

use std::sync::{Arc, Mutex};

use burn::tensor::TensorReadError;
use burn::train::Interrupter;
use burn::train::metric::state::{FormatOptions, NumericMetricState};
use burn::train::metric::{
    Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry,
};

/// Spike counts of one batch, already on the host.
#[derive(Debug, Clone)]
pub struct FiringRateInput {
    pub spike_counts: Vec<f64>,
    pub layer_sizes: Vec<usize>,
    pub steps_times_batch: usize,
}

/// Mean firing rate of one spiking layer: `spikes / (N · T · B)`, averaged over the epoch with
/// batch-size weights. Named `rate_<layer>` (e.g. `rate_hidden0`).
#[derive(Clone)]
pub struct FiringRateMetric {
    layer: usize,
    name: MetricName,
    state: NumericMetricState,
}

impl FiringRateMetric {
    /// The metric for spiking layer `layer` (index into the network's spiking layers).
    pub fn new(layer: usize, layer_name: &str) -> Self {
        Self {
            layer,
            name: Arc::new(format!("rate_{layer_name}")),
            state: NumericMetricState::default(),
        }
    }
}

impl Metric for FiringRateMetric {
    type Input = FiringRateInput;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn update(
        &mut self,
        item: &FiringRateInput,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        let slots = (item.layer_sizes[self.layer] * item.steps_times_batch) as f64;
        let rate = item.spike_counts[self.layer] / slots;
        self.state.update(rate, item.steps_times_batch);
        Ok(self.state.compute_update(format(&self.name)))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.state.compute_final(format(&self.name)))
    }

    fn clear(&mut self) {
        self.state.reset();
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: None,
            higher_is_better: false,
        }
        .into()
    }
}

impl Numeric for FiringRateMetric {
    fn value(&self) -> Option<NumericEntry> {
        Some(self.state.current_value())
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(self.state.running_value())
    }

    fn final_value(&self) -> NumericEntry {
        self.state.final_value()
    }
}

/// The firing-rate penalty of one training batch (NaN when none is configured).
#[derive(Debug, Clone, Copy)]
pub struct SparsityLossInput {
    pub value: f64,
    pub batch_size: usize,
}

/// The firing-rate penalty's share of the training loss (`sparsity_loss`), averaged over the
/// epoch with batch-size weights; registered only with `[train.sparsity]`.
#[derive(Clone)]
pub struct SparsityLossMetric {
    name: MetricName,
    state: NumericMetricState,
}

impl SparsityLossMetric {
    pub fn new() -> Self {
        Self {
            name: Arc::new("sparsity_loss".into()),
            state: NumericMetricState::default(),
        }
    }
}

impl Default for SparsityLossMetric {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for SparsityLossMetric {
    type Input = SparsityLossInput;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn update(
        &mut self,
        item: &SparsityLossInput,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        self.state.update(item.value, item.batch_size);
        Ok(self.state.compute_update(format(&self.name)))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.state.compute_final(format(&self.name)))
    }

    fn clear(&mut self) {
        self.state.reset();
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: None,
            higher_is_better: false,
        }
        .into()
    }
}

impl Numeric for SparsityLossMetric {
    fn value(&self) -> Option<NumericEntry> {
        Some(self.state.current_value())
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(self.state.running_value())
    }

    fn final_value(&self) -> NumericEntry {
        self.state.final_value()
    }
}

fn format(name: &MetricName) -> FormatOptions {
    FormatOptions::new(name.clone()).precision(4)
}

/// The loss of one batch, on the host.
#[derive(Debug, Clone, Copy)]
pub struct LossValue(pub f64);

/// Where the loss first stopped being finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonFiniteLoss {
    pub epoch: usize,
    /// Batch within the epoch, from 1.
    pub batch: usize,
    pub loss: f64,
}

/// Stops training (through Burn's [`Interrupter`]) at the first training batch whose loss is NaN
/// or infinite, and records where in [`NonFiniteLossGuard::found`]. Burn flushes the metrics
/// before it checkpoints an epoch and checks the interrupter after, so the epoch in which the
/// loss broke is never checkpointed.
#[derive(Clone)]
pub struct NonFiniteLossGuard {
    interrupter: Interrupter,
    found: Arc<Mutex<Option<NonFiniteLoss>>>,
    /// The epoch being trained (advanced when Burn's batch counter restarts at 1).
    epoch: usize,
    on_found: Arc<dyn Fn() + Send + Sync>,
}

impl NonFiniteLossGuard {
    /// A guard for a run whose first trained epoch is `first_epoch`; `on_found` runs once when a
    /// non-finite loss is seen (e.g. to freeze the checkpoints).
    pub fn new(
        interrupter: Interrupter,
        first_epoch: usize,
        on_found: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        Self {
            interrupter,
            found: Arc::default(),
            epoch: first_epoch - 1,
            on_found: Arc::new(on_found),
        }
    }

    /// The first non-finite loss seen, if any (shared by all clones).
    pub fn found(&self) -> Option<NonFiniteLoss> {
        *self.found.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Metric for NonFiniteLossGuard {
    type Input = LossValue;

    fn name(&self) -> MetricName {
        Arc::new("finite_loss".to_string())
    }

    fn update(
        &mut self,
        item: &LossValue,
        metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        let batch = metadata.iteration.unwrap_or(0);
        if batch == 1 {
            self.epoch += 1;
        }
        if !item.0.is_finite() {
            let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
            if found.is_none() {
                *found = Some(NonFiniteLoss {
                    epoch: self.epoch,
                    batch,
                    loss: item.0,
                });
                (self.on_found)();
                self.interrupter
                    .stop(Some("the loss is not a finite number"));
            }
        }
        let text = if item.0.is_finite() { "yes" } else { "no" };
        Ok(SerializedEntry::new(text.to_string(), text.to_string()))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        let text = if self.found().is_some() { "no" } else { "yes" };
        Ok(SerializedEntry::new(text.to_string(), text.to_string()))
    }

    fn clear(&mut self) {}

    fn attributes(&self) -> MetricAttributes {
        MetricAttributes::None
    }
}
