//! `snn-train` (default command): trains the network with Burn's `SupervisedTraining`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::Dataset;
use burn::module::Module;
use burn::optim::AdamConfig;
use burn::train::checkpoint::{
    ComposedCheckpointingStrategy, KeepLastNCheckpoints, MetricCheckpointingStrategy,
};
use burn::train::logger::FileMetricLogger;
use burn::train::metric::store::{Aggregate, Direction, Split as MetricSplit};
use burn::train::metric::{AccuracyMetric, LearningRateMetric, LossMetric};
use burn::train::{Interrupter, Learner, SupervisedTraining};

use crate::backend::Backend;
use crate::checkpoint::AtomicFileCheckpointer;
use crate::classifier::Classifier;
use crate::config::RunConfig;
use crate::data::{DigitBatcher, Split, load_split};
use crate::metrics::FiringRateMetric;
use crate::progress::{ProgressRenderer, SplitClock};
use crate::run_dir::{
    self, CHECKPOINT_DIR, CONFIG_FILE, MODEL_FILE, RunSummary, read_metrics, truncate_metrics,
    write_atomic,
};
use crate::run_logger::RunLogger;

/// A fully resolved training request.
pub struct TrainRequest {
    pub config: RunConfig,
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub run_dir: PathBuf,
    /// Continue from the newest checkpoint in `run_dir`.
    pub resume: bool,
    /// Data-loading threads.
    pub workers: usize,
}

/// Trains, saves every output into the run directory, and returns the summary.
pub fn train(req: TrainRequest) -> Result<RunSummary> {
    let started = Instant::now();
    let TrainRequest {
        config,
        backend,
        data_dir,
        run_dir,
        resume,
        workers,
    } = req;
    let train_set = load_split(&data_dir, Split::Train, config.train.train_limit)?;
    let test_set = load_split(&data_dir, Split::Test, config.train.test_limit)?;
    check_data_matches_model(
        &config,
        train_set.image_len(),
        train_set.images().num_classes(),
    )?;

    std::fs::create_dir_all(&run_dir)
        .with_context(|| format!("cannot create run directory {}", run_dir.display()))?;
    let start_epoch = if resume {
        let Some(epoch) = run_dir::last_checkpoint(&run_dir) else {
            bail!(
                "{}: no complete checkpoint to resume from (the run stopped before its first \
                 epoch ended); start it again without --resume",
                run_dir.display()
            );
        };
        if epoch >= config.train.epochs {
            bail!(
                "{}: already trained {epoch} of {} epochs; pass --epochs N (N > {epoch}) to \
                 train further",
                run_dir.display(),
                config.train.epochs
            );
        }
        truncate_metrics(&run_dir, epoch)?;
        tfevents_truncate(&run_dir, epoch, &config, train_set.len(), test_set.len())?;
        eprintln!("resuming {} after epoch {epoch}", run_dir.display());
        Some(epoch)
    } else {
        None
    };
    write_atomic(&run_dir.join(CONFIG_FILE), config.to_toml().as_bytes())?;

    let device = backend.device.clone();
    device.seed(config.train.seed);
    let model = Classifier {
        snn: config.model.init(&device.clone().autodiff()),
    };
    let layer_names = model.snn.spiking_layer_names();

    let batch = config.train.batch_size;
    let loader_train = DataLoaderBuilder::new(DigitBatcher)
        .batch_size(batch)
        .shuffle(config.train.seed)
        .num_workers(workers)
        .build(train_set.clone());
    let loader_valid = DataLoaderBuilder::new(DigitBatcher)
        .batch_size(batch)
        .num_workers(workers)
        .build(test_set.clone());

    let clock = SplitClock::default();
    let mut columns = vec!["loss".to_string(), "accuracy".to_string()];
    columns.extend(layer_names.iter().map(|n| format!("rate_{n}")));
    let batches = HashMap::from([
        ("train".to_string(), train_set.len().div_ceil(batch)),
        ("valid".to_string(), test_set.len().div_ceil(batch)),
    ]);
    let run_logger = RunLogger::new(&run_dir, &columns, batches, clock.clone())?;

    let checkpoint_dir = run_dir.join(CHECKPOINT_DIR);
    let interrupter = Interrupter::new();
    install_ctrl_c(interrupter.clone());
    let mut training = SupervisedTraining::new(&run_dir, loader_train, loader_valid)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .metric_train_numeric(LearningRateMetric::new())
        .with_metric_logger(FileMetricLogger::new(&run_dir))
        .with_metric_logger(run_logger)
        .with_custom_checkpointers(
            AtomicFileCheckpointer::new(&checkpoint_dir, "model"),
            AtomicFileCheckpointer::new(&checkpoint_dir, "optim"),
            AtomicFileCheckpointer::new(&checkpoint_dir, "scheduler"),
        )
        .with_checkpointing_strategy(
            ComposedCheckpointingStrategy::builder()
                .add(KeepLastNCheckpoints::new(2))
                .add(MetricCheckpointingStrategy::new(
                    &LossMetric::new(),
                    Aggregate::Mean,
                    Direction::Lowest,
                    MetricSplit::Valid,
                ))
                .build(),
        )
        .renderer(Box::new(ProgressRenderer::new(clock)))
        .with_application_logger(None)
        .with_interrupter(interrupter)
        .num_epochs(config.train.epochs);
    for (i, name) in layer_names.iter().enumerate() {
        training = training
            .metric_train_numeric(FiringRateMetric::new(i, name))
            .metric_valid_numeric(FiringRateMetric::new(i, name));
    }
    if let Some(epoch) = start_epoch {
        training = training.checkpoint(epoch);
    }

    eprintln!(
        "training {} on {} ({}) for {} epochs: {} train / {} test images, batch {}, T={}",
        run_dir.display(),
        backend.name,
        backend.detail,
        config.train.epochs,
        train_set.len(),
        test_set.len(),
        batch,
        config.model.steps,
    );
    let result = training.launch(Learner::new(
        model,
        AdamConfig::new().init(),
        config.train.lr,
    ));
    if let Some(error) = result.error {
        bail!("training failed: {error}");
    }
    if let Some(interruption) = result.interrupted {
        let resumable = run_dir::last_checkpoint(&run_dir)
            .map(|e| {
                format!(
                    "resume with `snn-train --resume {}` (continues after epoch {e})",
                    run_dir.display()
                )
            })
            .unwrap_or_else(|| "no epoch had finished, so there is no checkpoint yet".into());
        bail!(
            "training stopped ({}): {resumable}",
            interruption.reason.as_deref().unwrap_or("interrupted")
        );
    }

    save_model(&result.model, &run_dir.join(MODEL_FILE))?;
    let summary = summarize(
        &run_dir,
        &config,
        backend.name,
        started.elapsed().as_secs_f64(),
    )?;
    summary.save(&run_dir)?;
    Ok(summary)
}

/// Saves a module's weights as burnpack through a temporary file.
pub fn save_model(model: &Classifier, path: &Path) -> Result<()> {
    let tmp = path.with_extension("bpk.partial");
    model
        .clone()
        .into_record()
        .save(&tmp)
        .with_context(|| format!("cannot save the model to {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move the model to {}", path.display()))
}

/// Final figures from `metrics.csv`: the last test (valid) row, train throughput over all epochs.
fn summarize(run_dir: &Path, config: &RunConfig, backend: &str, wall: f64) -> Result<RunSummary> {
    let rows = read_metrics(run_dir)?;
    let last_valid = rows
        .iter()
        .rev()
        .find(|r| r.split == "valid")
        .context("metrics.csv has no validation row")?;
    let (images, seconds) =
        rows.iter()
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
        backend: backend.to_string(),
        seed: config.train.seed,
    })
}

fn check_data_matches_model(config: &RunConfig, pixels: usize, classes: usize) -> Result<()> {
    if pixels != config.model.inputs {
        bail!(
            "the images have {pixels} pixels but model.inputs = {}; set model.inputs = {pixels}",
            config.model.inputs
        );
    }
    if classes > config.model.classes {
        bail!(
            "the labels go up to {} but model.classes = {}; set model.classes = {classes}",
            classes - 1,
            config.model.classes
        );
    }
    Ok(())
}

/// Ctrl-C asks Burn to stop after the current batch (a second Ctrl-C exits at once).
fn install_ctrl_c(interrupter: Interrupter) {
    let pressed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let result = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: stopping after the current batch (press again to quit now)");
        interrupter.stop(Some("Ctrl-C"));
    });
    if let Err(e) = result {
        eprintln!("warning: cannot install the Ctrl-C handler: {e}");
    }
}

/// Drops TensorBoard records past the resumed epoch so the event files agree with `metrics.csv`.
fn tfevents_truncate(
    run_dir: &Path,
    epoch: usize,
    config: &RunConfig,
    train_len: usize,
    test_len: usize,
) -> Result<()> {
    let batch = config.train.batch_size;
    let limits = HashMap::from([
        (
            "train".to_string(),
            (epoch * train_len.div_ceil(batch)) as i64,
        ),
        (
            "valid".to_string(),
            (epoch * test_len.div_ceil(batch)) as i64,
        ),
    ]);
    crate::events::truncate_run(run_dir, epoch as i64, &limits)
}
