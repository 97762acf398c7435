//! Firing-rate metric: the mean fraction of (neuron, step) slots that carry a spike.

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

fn format(name: &MetricName) -> FormatOptions {
    FormatOptions::new(name.clone()).precision(4)
}
