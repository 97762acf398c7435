//! The guard that stops training, through Burn's interrupter and before the epoch it broke in is
//! checkpointed, at the first batch whose loss is not a finite number, or whose loss has stayed
//! diverged: above [`DIVERGED_FACTOR`] × the loss of the first batch the run trains (taken as at
//! least 1; an untrained classifier starts near ln(classes)) for [`DIVERGED_BATCHES`] batches in
//! a row. A loss that grows like that (e.g. `--lr 1e30`: 8.8e31 after a few batches) does not
//! come back; training on would only report a broken model at the end.

use std::sync::{Arc, Mutex};

use burn::tensor::TensorReadError;
use burn::train::Interrupter;
use burn::train::metric::{Metric, MetricAttributes, MetricMetadata, MetricName, SerializedEntry};

/// The loss of one batch, on the host.
#[derive(Debug, Clone, Copy)]
pub struct LossValue(pub f64);

/// A loss this many times the first batch's is diverged …
pub const DIVERGED_FACTOR: f64 = 100.0;
/// … when it stays so for this many batches in a row.
pub const DIVERGED_BATCHES: usize = 10;

/// Where the loss broke down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonFiniteLoss {
    pub epoch: usize,
    /// Batch within the epoch, from 1.
    pub batch: usize,
    pub loss: f64,
    /// `Some(baseline)` when the loss diverged from it, `None` when it was NaN or infinite.
    pub diverged_from: Option<f64>,
}

impl std::fmt::Display for NonFiniteLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (epoch, batch, loss) = (self.epoch, self.batch, self.loss);
        match self.diverged_from {
            None => write!(f, "the loss became {loss} at epoch {epoch}, batch {batch}"),
            Some(base) => write!(
                f,
                "the loss diverged: {loss:e} at epoch {epoch}, batch {batch}, over \
                 {DIVERGED_FACTOR}× the first batch's ({base:.4}) for {DIVERGED_BATCHES} batches \
                 in a row"
            ),
        }
    }
}

/// The divergence rule's state: the first loss, then the current run of diverged batches.
#[derive(Debug, Clone, Default)]
struct Divergence {
    first: Option<f64>,
    over: usize,
}

impl Divergence {
    /// Takes one batch loss; `Some(first loss)` when the loss has now diverged.
    fn update(&mut self, loss: f64) -> Option<f64> {
        let Some(baseline) = self.first else {
            self.first = Some(loss);
            return None;
        };
        if loss > DIVERGED_FACTOR * baseline.max(1.0) {
            self.over += 1;
        } else {
            self.over = 0;
        }
        (self.over >= DIVERGED_BATCHES).then_some(baseline)
    }
}

/// Stops training (through Burn's [`Interrupter`]) at the first training batch whose loss is NaN
/// or infinite or has diverged, and records where in [`NonFiniteLossGuard::found`]. Burn flushes the metrics
/// before it checkpoints an epoch and checks the interrupter after, so the epoch in which the
/// loss broke is never checkpointed.
#[derive(Clone)]
pub struct NonFiniteLossGuard {
    interrupter: Interrupter,
    found: Arc<Mutex<Option<NonFiniteLoss>>>,
    /// The epoch being trained (advanced when Burn's batch counter restarts at 1).
    epoch: usize,
    divergence: Divergence,
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
            divergence: Divergence::default(),
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
        let diverged_from = match item.0.is_finite() {
            true => self.divergence.update(item.0),
            false => None,
        };
        if !item.0.is_finite() || diverged_from.is_some() {
            let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
            if found.is_none() {
                *found = Some(NonFiniteLoss {
                    epoch: self.epoch,
                    batch,
                    loss: item.0,
                    diverged_from,
                });
                (self.on_found)();
                self.interrupter.stop(Some("the loss broke down"));
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
