//! `snn-train` (the default command): a run trained with Burn's `SupervisedTraining`.
//!
//! [`train`] checks everything it can before the run directory is touched (the data against the
//! model on both splits, the memory a batch needs, `--init-from`'s weights, and on resume the
//! saved checkpoint), prepares the directory ([`RunTarget`]), builds the learner
//! ([`learner`]: loaders, metrics, the log, checkpoints, progress) and fits; then it saves the
//! weights and `summary.json`. A non-finite loss ([`guard`]) or Ctrl-C ([`interrupt`]) stops the
//! run at that batch with the last good epoch kept on disk, and says how to go on.

pub mod guard;
pub mod interrupt;
mod learner;
pub mod logger;
pub mod metrics;
pub mod progress;
pub mod resume;
pub mod step;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::data::dataset::Dataset;

use crate::config::RunConfig;
use crate::data::batcher::DataPath;
use crate::data::{ImageDataset, Split, load_split};
use crate::model::Classifier;
use crate::platform::backend::Backend;
use crate::platform::memory::{Phase, check_memory};
use crate::run::dir::{check_new_run_dir, create_default_run_dir};
use crate::run::{
    CONFIG_FILE, MODEL_FILE, RunLock, RunSummary, last_checkpoint, load_weights, read_metrics,
    save_weights, write_atomic,
};

pub use interrupt::ctrl_c_pressed;

/// Where a training run writes.
#[derive(Debug, Clone)]
pub enum RunTarget {
    /// A new directory `runs/<config_stem>-<timestamp>` (see [`create_default_run_dir`]).
    Default { config_stem: String },
    /// `--out DIR`: must not exist or be empty (see [`check_new_run_dir`]).
    Out(PathBuf),
    /// `--resume DIR`: continue from its newest complete checkpoint.
    Resume(PathBuf),
}

/// A fully resolved training request.
pub struct TrainRequest {
    pub config: RunConfig,
    /// Where `config` came from, for messages (the config file, or the run's `config.toml`).
    pub config_origin: String,
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub target: RunTarget,
    /// Data-loading threads.
    pub workers: usize,
    /// Where batches are assembled (default: [`DataPath::for_backend`]).
    pub data_path: Option<DataPath>,
    /// Start from this run's `model.bpk` (`--init-from`, e.g. an imported NIR network) instead
    /// of fresh weights; the config must describe the same network.
    pub init_from: Option<PathBuf>,
    /// More than one: data-parallel training with Burn's DDP strategy, a model replica per
    /// device (`--devices`, checked by [`Backend::devices`]); `backend.device` is the first.
    pub replicas: Vec<burn::tensor::Device>,
}

/// A finished training run.
pub struct Trained {
    pub run_dir: PathBuf,
    pub summary: RunSummary,
    /// Held until the caller is done writing into the run (figures, report).
    pub lock: RunLock,
}

/// The data of a run, checked against its model.
pub struct Splits {
    pub train: ImageDataset,
    pub test: ImageDataset,
}

impl Splits {
    /// Batches per epoch of each split, by the split's name in the logs.
    pub fn batches(&self, batch_size: usize) -> HashMap<String, usize> {
        HashMap::from([
            ("train".to_string(), self.train.len().div_ceil(batch_size)),
            ("valid".to_string(), self.test.len().div_ceil(batch_size)),
        ])
    }
}

/// Trains, saves every output into the run directory, and returns the summary.
pub fn train(req: TrainRequest) -> Result<Trained> {
    let started = Instant::now();
    let splits = load_checked(&req)?;
    let initial = initial_weights(&req)?;
    let (run_dir, lock, start_epoch) = prepare_dir(&req, &splits)?;
    write_atomic(&run_dir.join(CONFIG_FILE), req.config.to_toml().as_bytes())?;
    copy_class_names(&req.data_dir, &run_dir)?;

    let device = req.backend.device.clone();
    device.seed(req.config.train.seed);
    let model = Classifier {
        snn: match initial {
            Some(loaded) => loaded.snn,
            None => req.config.model.init(&device.clone().autodiff()),
        },
        sparsity: req.config.train.sparsity.clone(),
    };
    let fitted = learner::fit(&req, &run_dir, &splits, model, start_epoch)?;
    save_weights(&fitted.model, &run_dir.join(MODEL_FILE))?;
    let summary = summarize(&run_dir, &req, started.elapsed().as_secs_f64())?;
    summary.save(&run_dir)?;
    Ok(Trained {
        run_dir,
        summary,
        lock,
    })
}

/// Both splits, checked against the model, and the memory a training batch needs.
fn load_checked(req: &TrainRequest) -> Result<Splits> {
    let t = &req.config.train;
    let train = load_split(&req.data_dir, Split::Train, t.train_limit)?;
    let test = load_split(&req.data_dir, Split::Test, t.test_limit)?;
    train.check_fits(&req.config.model, &req.config_origin)?;
    test.check_fits(&req.config.model, &req.config_origin)?;
    let model = &req.config.model;
    check_memory(model, t.batch_size, Phase::Training, "train.batch_size")?;
    Ok(Splits { train, test })
}

/// `--init-from`'s weights, checked against the config, or `None` for fresh ones.
fn initial_weights(req: &TrainRequest) -> Result<Option<Classifier>> {
    let Some(dir) = &req.init_from else {
        return Ok(None);
    };
    let weights = dir.join(MODEL_FILE);
    if !weights.is_file() {
        bail!(
            "--init-from {}: no {MODEL_FILE} there (a finished or imported run directory is \
             needed)",
            dir.display()
        );
    }
    let device = req.backend.device.clone().autodiff();
    let origin = Path::new(&req.config_origin);
    let loaded = load_weights(&req.config, origin, &weights, &device)
        .with_context(|| format!("--init-from {}", dir.display()))?;
    Ok(Some(loaded))
}

/// The run directory, locked, and on resume the epoch it continues after (the directory cut
/// back to it).
fn prepare_dir(req: &TrainRequest, splits: &Splits) -> Result<(PathBuf, RunLock, Option<usize>)> {
    match &req.target {
        RunTarget::Resume(dir) => {
            let lock = RunLock::acquire(dir)?;
            let epoch = resume::check_resumable(dir, &req.config, &req.backend.device)?;
            resume::cut_back(dir, epoch, &splits.batches(req.config.train.batch_size))?;
            eprintln!("resuming {} after epoch {epoch}", dir.display());
            Ok((dir.clone(), lock, Some(epoch)))
        }
        RunTarget::Out(dir) => {
            check_new_run_dir(dir)?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create run directory {}", dir.display()))?;
            Ok((dir.clone(), RunLock::acquire(dir)?, None))
        }
        RunTarget::Default { config_stem } => {
            let dir = create_default_run_dir(Path::new("runs"), config_stem)?;
            let lock = RunLock::acquire(&dir)?;
            Ok((dir, lock, None))
        }
    }
}

/// The data's class names go with the run, for `predict` (which sees no data directory).
fn copy_class_names(data_dir: &Path, run_dir: &Path) -> Result<()> {
    if let Some(names) = crate::data::read_class_names(data_dir)? {
        let text = names.join("\n") + "\n";
        write_atomic(&run_dir.join(crate::data::CLASSES_FILE), text.as_bytes())?;
    }
    Ok(())
}

/// Final figures from `metrics.csv`: the last test (valid) row, train throughput over all epochs.
fn summarize(run_dir: &Path, req: &TrainRequest, wall: f64) -> Result<RunSummary> {
    let rows = read_metrics(run_dir)?;
    let last_valid = (rows.iter().rev())
        .find(|r| r.split == "valid")
        .context("metrics.csv has no validation row")?;
    let (images, seconds) =
        (rows.iter())
            .filter(|r| r.split == "train")
            .fold((0.0, 0.0), |(i, s), r| {
                let secs = r.get("seconds").unwrap_or(0.0);
                (i + r.get("images_per_s").unwrap_or(0.0) * secs, s + secs)
            });
    Ok(RunSummary {
        test_accuracy: last_valid.get("accuracy").unwrap_or(f64::NAN),
        test_loss: last_valid.get("loss").unwrap_or(f64::NAN),
        epochs: last_valid.epoch,
        wall_seconds: wall,
        train_images_per_s: if seconds > 0.0 {
            images / seconds
        } else {
            f64::NAN
        },
        backend: req.backend.name.to_string(),
        seed: req.config.train.seed,
    })
}

/// The error of a run stopped early, and how to go on from its last checkpoint.
fn stopped(run_dir: &Path, why: String, lr: f64) -> anyhow::Error {
    let how = match last_checkpoint(run_dir) {
        Some(e) => format!(
            "{} keeps the checkpoint of epoch {e}: resume from it with a lower learning rate, \
             e.g. `snn-train --resume {} --lr {:e}`",
            run_dir.display(),
            run_dir.display(),
            lr / 10.0
        ),
        None => format!(
            "no epoch had finished, so there is no checkpoint: start again with a lower \
             learning rate, e.g. --lr {:e}",
            lr / 10.0
        ),
    };
    anyhow::anyhow!("training stopped: {why}; {how}")
}
