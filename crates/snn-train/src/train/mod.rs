//! `snn-train` (the default command): a run trained with Burn's `SupervisedTraining`.
//!
//! [`train`] checks everything it can before the run directory is touched (the data against the
//! model, the validation split held out of the training examples, the memory a batch needs,
//! `--init-from`'s weights, and on resume the saved checkpoint), prepares the directory
//! ([`RunTarget`]), builds the learner ([`learner`]: loaders, metrics, the log, checkpoints,
//! progress) and fits, validating every epoch on the held-out examples. Then it keeps the weights
//! of the selected epoch ([`select`]) as `model.bpk`, tests them once on the test set (a `test`
//! row in `metrics.csv`) and writes `summary.json`. A non-finite or diverging loss ([`guard`]) or
//! Ctrl-C ([`interrupt`]) stops the run at that batch with the last good epoch kept on disk, and
//! says how to go on.

pub mod guard;
pub mod interrupt;
mod learner;
pub mod logger;
pub mod metrics;
pub mod progress;
pub mod resume;
pub mod select;
pub mod step;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::data::dataset::Dataset;

use crate::analysis::eval::{Evaluation, evaluate};
use crate::config::{RunConfig, Select};
use crate::data::batcher::DataPath;
pub use crate::data::splits::Splits;
use crate::model::Classifier;
use crate::platform::backend::Backend;
use crate::platform::memory::{Phase, check_memory};
use crate::run::checkpoint::record_file;
use crate::run::dir::{check_new_run_dir, create_default_run_dir};
use crate::run::metrics_csv::append_metrics;
use crate::run::{
    CHECKPOINT_DIR, CONFIG_FILE, MODEL_FILE, MetricsRow, Run, RunLock, RunSummary, last_checkpoint,
    load_weights, read_metrics, save_weights, write_atomic,
};
use select::{ValidEpoch, best_epoch, valid_epochs};

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
    let kept = keep_selected(&req, &run_dir, fitted.model)?;
    let test = test_once(&req, &run_dir, &splits, &kept)?;
    let summary = summarize(&run_dir, &req, &splits, &kept, &test, started)?;
    summary.save(&run_dir)?;
    Ok(Trained {
        run_dir,
        summary,
        lock,
    })
}

/// The splits, checked against the model, and the memory a training batch needs.
fn load_checked(req: &TrainRequest) -> Result<Splits> {
    let config = &req.config;
    let splits = Splits::load(
        &req.data_dir,
        &config.split_plan(),
        &config.model,
        &req.config_origin,
    )?;
    let (model, batch) = (&req.config.model, req.config.train.batch_size);
    check_memory(model, batch, Phase::Training, "train.batch_size")?;
    Ok(splits)
}

/// The epoch a run keeps, and its validation figures (none when it validated on the test set).
pub struct Kept {
    pub epoch: usize,
    pub trained: usize,
    pub valid: Option<ValidEpoch>,
}

/// Saves the weights of the selected epoch as `model.bpk`: `last`'s, or the best validation
/// epoch's from its checkpoint.
fn keep_selected(req: &TrainRequest, run_dir: &Path, last: Classifier) -> Result<Kept> {
    let rows = read_metrics(run_dir)?;
    let trained = (rows.iter().filter(|r| r.split == "train"))
        .map(|r| r.epoch)
        .max()
        .context("metrics.csv has no training row")?;
    let valid = valid_epochs(run_dir);
    let chosen = match req.config.train.select {
        Select::BestValid => best_epoch(&valid),
        Select::Last => valid.iter().find(|v| v.epoch == trained).copied(),
    };
    let epoch = chosen.map_or(trained, |v| v.epoch);
    let model_file = run_dir.join(MODEL_FILE);
    if epoch == trained {
        save_weights(&last, &model_file)?;
    } else {
        let file = record_file(&run_dir.join(CHECKPOINT_DIR), "model", epoch);
        let origin = Path::new(&req.config_origin);
        let best = load_weights(&req.config, origin, &file, &req.backend.device)
            .with_context(|| format!("the weights of epoch {epoch}, the best on validation"))?;
        save_weights(&best, &model_file)?;
    }
    Ok(Kept {
        epoch,
        trained,
        valid: chosen,
    })
}

/// The kept weights tested once on the test set, as `snn-train eval` tests them; the result is
/// appended to `metrics.csv` as the `test` row of the kept epoch (unless the per-epoch pass
/// already ran on the test set).
fn test_once(
    req: &TrainRequest,
    run_dir: &Path,
    splits: &Splits,
    kept: &Kept,
) -> Result<Evaluation> {
    eprintln!(
        "testing the weights of epoch {} on {} test images",
        kept.epoch,
        splits.test.len()
    );
    let run = Run::open(run_dir, &req.backend.device)?;
    let clock = Instant::now();
    let result = evaluate(&run, &splits.test)?;
    let seconds = clock.elapsed().as_secs_f64();
    if splits.valid_label == "test" {
        return Ok(result);
    }
    let rows = read_metrics(run_dir)?;
    let columns = rows.first().map(|r| r.values.clone()).unwrap_or_default();
    let values = (columns.into_iter())
        .map(|(c, _)| {
            let v = match c.as_str() {
                "loss" => result.loss,
                "accuracy" => result.accuracy,
                "seconds" => seconds,
                "images_per_s" => splits.test.len() as f64 / seconds,
                _ => f64::NAN,
            };
            (c, v)
        })
        .collect();
    let row = MetricsRow {
        epoch: kept.epoch,
        split: "test".into(),
        values,
    };
    append_metrics(run_dir, &row)?;
    Ok(result)
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

/// The run's final figures: the test result of the kept epoch, its validation figures, and the
/// training throughput over all epochs (from `metrics.csv`).
fn summarize(
    run_dir: &Path,
    req: &TrainRequest,
    splits: &Splits,
    kept: &Kept,
    test: &Evaluation,
    started: Instant,
) -> Result<RunSummary> {
    let rows = read_metrics(run_dir)?;
    let (images, seconds) =
        (rows.iter())
            .filter(|r| r.split == "train")
            .fold((0.0, 0.0), |(i, s), r| {
                let secs = r.get("seconds").unwrap_or(0.0);
                (i + r.get("images_per_s").unwrap_or(0.0) * secs, s + secs)
            });
    let held_out = splits.valid_label == "valid";
    Ok(RunSummary {
        test_accuracy: test.accuracy,
        test_loss: test.loss,
        epochs: kept.trained,
        selected_epoch: Some(kept.epoch),
        select: Some(req.config.train.select.name().to_string()),
        validation_examples: Some(if held_out { splits.valid.len() } else { 0 }),
        valid_accuracy: kept.valid.map(|v| v.accuracy),
        valid_loss: kept.valid.map(|v| v.loss),
        wall_seconds: started.elapsed().as_secs_f64(),
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
