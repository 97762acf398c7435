//! Which epoch a run keeps (`[train] select`), and the checkpoints and early stop that follow
//! from it.
//!
//! The best epoch is the one with the highest validation accuracy; ties go to the lower
//! validation loss, then to the earlier epoch ([`best_epoch`]). It is read from `metrics.csv`,
//! which Burn has flushed when it asks its checkpointing and early-stopping strategies, so the
//! checkpoint kept ([`KeepBestValid`]), the early stop ([`Patience`]) and the weights saved as
//! `model.bpk` all follow one rule on the same numbers.

use std::path::{Path, PathBuf};

use burn::train::EarlyStoppingStrategy;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::EventStoreClient;

use crate::run::read_metrics;

/// One epoch's validation figures (accuracy in percent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidEpoch {
    pub epoch: usize,
    pub accuracy: f64,
    pub loss: f64,
}

/// The best of `epochs`: highest accuracy, then lowest loss, then earliest; NaN never wins.
pub fn best_epoch(epochs: &[ValidEpoch]) -> Option<ValidEpoch> {
    let key = |v: &ValidEpoch| {
        let acc = if v.accuracy.is_nan() {
            f64::NEG_INFINITY
        } else {
            v.accuracy
        };
        let loss = if v.loss.is_nan() {
            f64::INFINITY
        } else {
            v.loss
        };
        (acc, -loss)
    };
    epochs.iter().copied().reduce(|best, v| {
        let (kb, kv) = (key(&best), key(&v));
        if kv.0 > kb.0 || (kv.0 == kb.0 && kv.1 > kb.1) {
            v
        } else {
            best
        }
    })
}

/// The `valid` rows of a run's `metrics.csv`, by epoch (none when it cannot be read).
pub fn valid_epochs(run_dir: &Path) -> Vec<ValidEpoch> {
    let rows = read_metrics(run_dir).unwrap_or_default();
    rows.iter()
        .filter(|r| r.split == "valid")
        .map(|r| ValidEpoch {
            epoch: r.epoch,
            accuracy: r.get("accuracy").unwrap_or(f64::NAN),
            loss: r.get("loss").unwrap_or(f64::NAN),
        })
        .collect()
}

/// Burn checkpointing strategy: saves an epoch that is the best so far and deletes the previous
/// best (composed with "keep the last two", which decides for the others).
pub struct KeepBestValid {
    run_dir: PathBuf,
    best: Option<usize>,
}

impl KeepBestValid {
    pub fn new(run_dir: &Path) -> Self {
        Self {
            run_dir: run_dir.to_path_buf(),
            best: None,
        }
    }
}

impl CheckpointingStrategy for KeepBestValid {
    fn checkpointing(&mut self, epoch: usize, _: &EventStoreClient) -> Vec<CheckpointingAction> {
        let best = best_epoch(&valid_epochs(&self.run_dir)).map_or(epoch, |b| b.epoch);
        let mut actions = Vec::new();
        if let Some(old) = self.best
            && old != best
        {
            actions.push(CheckpointingAction::Delete(old));
        }
        if best == epoch {
            actions.push(CheckpointingAction::Save);
        }
        self.best = Some(best);
        actions
    }
}

/// Burn early-stopping strategy: stops when the best epoch is `patience` epochs behind.
#[derive(Clone)]
pub struct Patience {
    run_dir: PathBuf,
    patience: usize,
}

impl Patience {
    pub fn new(run_dir: &Path, patience: usize) -> Self {
        Self {
            run_dir: run_dir.to_path_buf(),
            patience,
        }
    }
}

impl EarlyStoppingStrategy for Patience {
    fn should_stop(&mut self, epoch: usize, _: &EventStoreClient) -> bool {
        best_epoch(&valid_epochs(&self.run_dir)).is_some_and(|b| epoch >= b.epoch + self.patience)
    }
}
