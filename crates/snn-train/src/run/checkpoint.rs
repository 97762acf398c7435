//! Burn checkpoints committed as a set: an epoch's model, optimizer and learning-rate scheduler
//! become visible together or not at all.
//!
//! ```text
//! RUN_DIR/checkpoint/epoch-<N>/{model,optim,scheduler}.bpk   a complete set
//! RUN_DIR/checkpoint/.epoch-<N>.partial/                      a set being written
//! ```
//! Burn saves the three records from three threads ([`CheckpointSet::checkpointer`] gives one
//! `Checkpointer` per record). Each file is written as `<name>.bpk.tmp`, synced and renamed
//! inside the scratch directory; the save that completes the set syncs the directory and renames
//! it to `epoch-<N>`. Deleting an old epoch first renames its directory to
//! `.epoch-<N>.deleting`. So a kill at any point leaves complete `epoch-<N>` sets plus hidden
//! scratch directories, which [`clean`] removes; an `epoch-<N>` missing a file was damaged after
//! the fact, and [`verify`] says so (naming the file and the newest readable epoch) instead of
//! resuming from something else. Once [`CheckpointSet::freeze`] is called (the loss went
//! non-finite), nothing more is saved or deleted, so the last good epoch stays on disk.
//!
//! Runs written before this layout (`checkpoint/model-<N>.bpk`, …) still resume: a flat epoch
//! with all three files counts as a set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Result, bail};
use burn::optim::OptimizerRecord;
use burn::optim::lr_scheduler::LrSchedulerRecord;
use burn::store::ModuleRecord;
use burn::train::checkpoint::{Checkpoint, Checkpointer, CheckpointerError};

use super::atomic::PARTIAL_SUFFIX;

/// The records of one epoch, in the order Burn saves them.
pub const RECORDS: [&str; 3] = ["model", "optim", "scheduler"];

/// The checkpoint directory of a run, shared by its three checkpointers.
#[derive(Clone)]
pub struct CheckpointSet {
    dir: PathBuf,
    /// Serialises "is the set complete? then commit it" between the three saving threads.
    commit: Arc<Mutex<()>>,
    frozen: Arc<AtomicBool>,
}

impl CheckpointSet {
    pub fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            commit: Arc::default(),
            frozen: Arc::default(),
        })
    }

    /// The `Checkpointer` of record `name` (one of [`RECORDS`]).
    pub fn checkpointer(&self, name: &'static str) -> SetCheckpointer {
        SetCheckpointer {
            set: self.clone(),
            name,
        }
    }

    /// No more saves or deletes from now on.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    fn frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst)
    }

    fn save(&self, name: &str, epoch: usize, record: impl Checkpoint) -> std::io::Result<()> {
        if self.frozen() {
            return Ok(());
        }
        let scratch = scratch_dir(&self.dir, epoch);
        std::fs::create_dir_all(&scratch)?;
        let tmp = scratch.join(format!("{name}.bpk.tmp"));
        record.save(tmp.clone()).map_err(std::io::Error::other)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        let _guard = self.commit.lock().unwrap_or_else(|p| p.into_inner());
        std::fs::rename(&tmp, scratch.join(format!("{name}.bpk")))?;
        if !is_complete(&scratch) || self.frozen() {
            return Ok(());
        }
        sync_dir(&scratch)?;
        let done = set_dir(&self.dir, epoch);
        if done.exists() {
            std::fs::remove_dir_all(&done)?;
        }
        std::fs::rename(&scratch, &done)?;
        sync_dir(&self.dir)
    }

    fn delete(&self, name: &str, epoch: usize) -> std::io::Result<()> {
        if self.frozen() {
            return Ok(());
        }
        let _guard = self.commit.lock().unwrap_or_else(|p| p.into_inner());
        let doomed = self.dir.join(format!(".epoch-{epoch}.deleting"));
        let set = set_dir(&self.dir, epoch);
        if set.is_dir() {
            std::fs::rename(&set, &doomed)?;
        }
        for file in [
            doomed.join(format!("{name}.bpk")),
            legacy_file(&self.dir, name, epoch),
        ] {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        if doomed.is_dir() && std::fs::read_dir(&doomed)?.next().is_none() {
            std::fs::remove_dir(&doomed)?;
        }
        Ok(())
    }
}

/// One record's view of a [`CheckpointSet`], handed to Burn.
pub struct SetCheckpointer {
    set: CheckpointSet,
    name: &'static str,
}

impl<R: Checkpoint> Checkpointer<R> for SetCheckpointer {
    fn save(&self, epoch: usize, record: R) -> Result<(), CheckpointerError> {
        self.set
            .save(self.name, epoch, record)
            .map_err(CheckpointerError::IOError)
    }

    fn restore(&self, epoch: usize) -> Result<R, CheckpointerError> {
        R::load(record_file(&self.set.dir, self.name, epoch))
    }

    fn delete(&self, epoch: usize) -> Result<(), CheckpointerError> {
        self.set
            .delete(self.name, epoch)
            .map_err(CheckpointerError::IOError)
    }
}

fn set_dir(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("epoch-{epoch}"))
}

fn scratch_dir(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!(".epoch-{epoch}.partial"))
}

fn legacy_file(dir: &Path, name: &str, epoch: usize) -> PathBuf {
    dir.join(format!("{name}-{epoch}.bpk"))
}

/// The file of record `name` of a committed epoch (set layout, else the flat layout).
pub fn record_file(dir: &Path, name: &str, epoch: usize) -> PathBuf {
    let set = set_dir(dir, epoch);
    if set.is_dir() {
        set.join(format!("{name}.bpk"))
    } else {
        legacy_file(dir, name, epoch)
    }
}

fn is_complete(set: &Path) -> bool {
    RECORDS
        .iter()
        .all(|name| set.join(format!("{name}.bpk")).is_file())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Epochs with a committed set in checkpoint directory `dir` (an `epoch-<N>` directory, or all
/// three files of the flat layout), oldest first.
pub fn committed_epochs(dir: &Path) -> Vec<usize> {
    let mut epochs = BTreeSet::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(epoch) = name.strip_prefix("epoch-").and_then(|e| e.parse().ok())
            && entry.path().is_dir()
        {
            epochs.insert(epoch);
        }
        let legacy = name
            .strip_prefix("model-")
            .and_then(|e| e.strip_suffix(".bpk"))
            .and_then(|e| e.parse().ok());
        if let Some(epoch) = legacy
            && RECORDS.iter().all(|r| legacy_file(dir, r, epoch).is_file())
        {
            epochs.insert(epoch);
        }
    }
    epochs.into_iter().collect()
}

/// The newest epoch of `run_dir` with a committed checkpoint set (check it with [`verify`]).
pub fn last_checkpoint(run_dir: &Path) -> Option<usize> {
    last_committed(&run_dir.join(super::dir::CHECKPOINT_DIR))
}

/// The newest committed epoch in checkpoint directory `dir` (check it with [`verify`]).
pub fn last_committed(dir: &Path) -> Option<usize> {
    committed_epochs(dir).last().copied()
}

/// Removes what a killed run left behind: scratch directories of sets being written or deleted,
/// temporary files of the old layout. Committed sets are kept.
pub fn clean(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let scratch = name.starts_with(".epoch-")
            && (name.ends_with(".partial") || name.ends_with(".deleting"));
        let result = if scratch {
            std::fs::remove_dir_all(&path)
        } else if name.starts_with('.') && name.ends_with(&format!(".bpk{PARTIAL_SUFFIX}")) {
            std::fs::remove_file(&path)
        } else {
            Ok(())
        };
        result.map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Reads all three records of `epoch` (the model through `check_model`, which also checks its
/// tensors against the network). An unreadable file is an error naming it and the newest older
/// epoch whose set reads, so the user knows what `--resume` could still use.
pub fn verify(dir: &Path, epoch: usize, check_model: &dyn Fn(&Path) -> Result<()>) -> Result<()> {
    let Err(error) = read_set(dir, epoch, check_model) else {
        return Ok(());
    };
    let older = committed_epochs(dir)
        .into_iter()
        .rev()
        .filter(|&e| e < epoch)
        .find(|&e| read_set(dir, e, check_model).is_ok());
    let advice = match older {
        Some(good) => format!(
            "the last good checkpoint is epoch {good}: delete {} to resume from it",
            set_dir(dir, epoch).display()
        ),
        None => "no older checkpoint is readable; start the run again".to_string(),
    };
    bail!("{error:#}; {advice}")
}

fn read_set(dir: &Path, epoch: usize, check_model: &dyn Fn(&Path) -> Result<()>) -> Result<()> {
    let file = |name| record_file(dir, name, epoch);
    for name in RECORDS {
        let path = file(name);
        if !path.is_file() {
            bail!("checkpoint file {} is missing", path.display());
        }
    }
    let unreadable = |path: PathBuf, e: CheckpointerError| {
        anyhow::anyhow!("checkpoint file {} cannot be read ({e})", path.display())
    };
    let model = file("model");
    ModuleRecord::load(model.clone())
        .map_err(|e| unreadable(model.clone(), CheckpointerError::Record(e)))?;
    check_model(&model)?;
    let optim = file("optim");
    <OptimizerRecord as Checkpoint>::load(optim.clone()).map_err(|e| unreadable(optim, e))?;
    let scheduler = file("scheduler");
    <LrSchedulerRecord as Checkpoint>::load(scheduler.clone())
        .map_err(|e| unreadable(scheduler, e))?;
    Ok(())
}
