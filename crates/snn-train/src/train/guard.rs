//! The guard that stops training at the first batch whose loss is not a finite number, through
//! Burn's interrupter, before the epoch it broke in is checkpointed.

use std::sync::{Arc, Mutex};

use burn::tensor::TensorReadError;
use burn::train::Interrupter;
use burn::train::metric::{Metric, MetricAttributes, MetricMetadata, MetricName, SerializedEntry};

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
