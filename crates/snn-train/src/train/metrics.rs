//! Training metrics of our own: the firing rate of each spiking layer (the mean fraction of
//! (neuron, step) slots that carry a spike) and the firing-rate penalty, both batch means of
//! [`BatchMeanMetric`].

use std::sync::Arc;

use burn::tensor::TensorReadError;
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

/// Extracts a batch's value and its weight (the batch size) from a step output.
type BatchValue<I> = dyn Fn(&I) -> (f64, usize) + Send + Sync;

/// A number per batch (extracted from the step output by `value`, with its batch size as weight),
/// averaged over the epoch with batch-size weights; lower is better.
pub struct BatchMeanMetric<I> {
    name: MetricName,
    state: NumericMetricState,
    value: Arc<BatchValue<I>>,
}

impl<I> Clone for BatchMeanMetric<I> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            state: self.state.clone(),
            value: self.value.clone(),
        }
    }
}

impl<I> BatchMeanMetric<I> {
    fn new(name: String, value: impl Fn(&I) -> (f64, usize) + Send + Sync + 'static) -> Self {
        Self {
            name: Arc::new(name),
            state: NumericMetricState::default(),
            value: Arc::new(value),
        }
    }
}

impl<I: Send + Sync + 'static> Metric for BatchMeanMetric<I> {
    type Input = I;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn update(
        &mut self,
        item: &I,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        let (value, weight) = (self.value)(item);
        self.state.update(value, weight);
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

impl<I: Send + Sync + 'static> Numeric for BatchMeanMetric<I> {
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

/// Mean firing rate of spiking layer `layer` (index into the network's spiking layers):
/// `spikes / (N · T · B)`. Named `rate_<layer>` (e.g. `rate_hidden0`).
pub fn firing_rate_metric(layer: usize, layer_name: &str) -> BatchMeanMetric<FiringRateInput> {
    BatchMeanMetric::new(
        format!("rate_{layer_name}"),
        move |item: &FiringRateInput| {
            let slots = (item.layer_sizes[layer] * item.steps_times_batch) as f64;
            (item.spike_counts[layer] / slots, item.steps_times_batch)
        },
    )
}

/// The firing-rate penalty of one training batch (NaN when none is configured).
#[derive(Debug, Clone, Copy)]
pub struct SparsityLossInput {
    pub value: f64,
    pub batch_size: usize,
}

/// The firing-rate penalty's share of the training loss (`sparsity_loss`); registered only with
/// `[train.sparsity]`.
pub fn sparsity_loss_metric() -> BatchMeanMetric<SparsityLossInput> {
    BatchMeanMetric::new("sparsity_loss".into(), |item: &SparsityLossInput| {
        (item.value, item.batch_size)
    })
}

fn format(name: &MetricName) -> FormatOptions {
    FormatOptions::new(name.clone()).precision(4)
}
