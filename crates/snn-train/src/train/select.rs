//! Which epoch a run keeps (`[train] select`), and the checkpoints and early stop that follow
//! from it.
//!
//! The best epoch is the one with the highest validation accuracy; ties go to the lower
//! validation loss, then to the earlier epoch ([`best_epoch`]). It is read from `metrics.csv`, so
//! the checkpoint kept ([`KeepBestValid`]), the early stop ([`Patience`]) and the weights saved
//! as `model.bpk` all follow one rule on the same numbers. When Burn asks its strategies about an
//! epoch, that epoch's row may not be in `metrics.csv` yet (Burn logs asynchronously): the
//! strategies decide on the rows that are there, and an epoch is only given up once its row has
//! shown it is not the best ([`BestKeeper`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use burn::train::EarlyStoppingStrategy;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::EventStoreClient;

use crate::run::checkpoint::committed_epochs;
use crate::run::{CHECKPOINT_DIR, read_metrics};

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

/// The checkpoints the best-validation rule still needs, decided on validation rows that may
/// lag behind the checkpoints: every epoch is needed until its row shows it is not the best, and
/// the best one until a better one comes.
#[derive(Debug, Clone, Default)]
pub struct BestKeeper {
    kept: BTreeSet<usize>,
}

impl BestKeeper {
    /// A keeper that starts out needing `epochs` (a resumed run's checkpoints).
    pub fn with_kept(epochs: impl IntoIterator<Item = usize>) -> Self {
        Self {
            kept: epochs.into_iter().collect(),
        }
    }

    /// `epoch` has just been checkpointed and `rows` are the validation rows logged so far;
    /// returns the epochs whose checkpoints are no longer needed.
    pub fn update(&mut self, epoch: usize, rows: &[ValidEpoch]) -> Vec<usize> {
        let best = best_epoch(rows).map(|b| b.epoch);
        let known: BTreeSet<usize> = rows.iter().map(|r| r.epoch).collect();
        self.kept.insert(epoch);
        let ruled_out: Vec<usize> = (self.kept.iter().copied())
            .filter(|e| known.contains(e) && Some(*e) != best)
            .collect();
        for e in &ruled_out {
            self.kept.remove(e);
        }
        ruled_out
    }
}

/// Burn checkpointing strategy of [`BestKeeper`] on the run's `metrics.csv` (composed with "keep
/// the last two": Burn deletes a checkpoint once every strategy has given it up).
pub struct KeepBestValid {
    run_dir: PathBuf,
    keeper: BestKeeper,
}

impl KeepBestValid {
    /// On resume, the checkpoints already in the run are kept until their rows rule them out.
    pub fn new(run_dir: &Path) -> Self {
        let committed = committed_epochs(&run_dir.join(CHECKPOINT_DIR));
        Self {
            run_dir: run_dir.to_path_buf(),
            keeper: BestKeeper::with_kept(committed),
        }
    }
}

impl CheckpointingStrategy for KeepBestValid {
    fn checkpointing(&mut self, epoch: usize, _: &EventStoreClient) -> Vec<CheckpointingAction> {
        let rows = valid_epochs(&self.run_dir);
        let ruled_out = self.keeper.update(epoch, &rows);
        let deletes = ruled_out.into_iter().map(CheckpointingAction::Delete);
        std::iter::once(CheckpointingAction::Save)
            .chain(deletes)
            .collect()
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
    /// Decided on the rows logged so far, so a stop can come an epoch after the rule allows it.
    fn should_stop(&mut self, _: usize, _: &EventStoreClient) -> bool {
        let rows = valid_epochs(&self.run_dir);
        let last = rows.iter().map(|r| r.epoch).max();
        let best = best_epoch(&rows).map(|b| b.epoch);
        matches!((last, best), (Some(l), Some(b)) if l >= b + self.patience)
    }
}
