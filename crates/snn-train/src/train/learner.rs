//! The learner of a run: loaders of the training and validation examples, the metrics (accuracy, loss, learning rate,
//! firing rates, the penalty, the finite-loss guard), the loggers (Burn's files, `metrics.csv`
//! and TensorBoard), checkpoint sets, the progress line, Ctrl-C, and DDP over several devices;
//! then Burn's `SupervisedTraining` run, and its outcome read back.

use std::path::Path;

use anyhow::{Result, bail};
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use burn::optim::AdamConfig;
use burn::tensor::distributed::{DistributedConfig, ReduceOperation};
use burn::train::checkpoint::{ComposedCheckpointingStrategy, KeepLastNCheckpoints};
use burn::train::logger::FileMetricLogger;
use burn::train::metric::{AccuracyMetric, LearningRateMetric, LossMetric};
use burn::train::{ExecutionStrategy, Interrupter, Learner, SupervisedTraining, TrainingStrategy};

use super::guard::NonFiniteLossGuard;
use super::interrupt::stop_on_ctrl_c;
use super::logger::RunLogger;
use super::metrics::{firing_rate_metric, sparsity_loss_metric};
use super::progress::{ProgressRenderer, SplitClock};
use super::select::{KeepBestValid, Patience};
use super::{Splits, TrainRequest, stopped};
use crate::data::batcher::{DataPath, DigitBatcher};
use crate::data::{DigitBatch, ImageDataset};
use crate::model::Classifier;
use crate::run::CHECKPOINT_DIR;
use crate::run::checkpoint::CheckpointSet;
use crate::run::last_checkpoint;

/// The trained model of a run that ran to its end.
pub struct Fitted {
    pub model: Classifier,
}

type Loader = std::sync::Arc<dyn DataLoader<DigitBatch>>;

/// Trains `model` on `splits` into `run_dir`, after `start_epoch` when resuming.
pub fn fit(
    req: &TrainRequest,
    run_dir: &Path,
    splits: &Splits,
    model: Classifier,
    start_epoch: Option<usize>,
) -> Result<Fitted> {
    let config = &req.config;
    let data_path = (req.data_path).unwrap_or(DataPath::for_backend(req.backend.name));
    let (train, valid) = loaders(req, splits, data_path);
    let layer_names = model.snn.spiking_layer_names();
    let clock = SplitClock::default();
    let columns = metric_columns(&layer_names, config.train.sparsity.is_some());
    let batches = splits.batches(config.train.batch_size);
    let run_logger = RunLogger::new(
        run_dir,
        &columns,
        batches,
        clock.clone(),
        splits.valid_label,
    )?;
    let checkpoints = CheckpointSet::new(&run_dir.join(CHECKPOINT_DIR))?;
    let interrupter = Interrupter::new();
    stop_on_ctrl_c(interrupter.clone());
    let frozen = checkpoints.clone();
    let first_epoch = start_epoch.unwrap_or(0) + 1;
    let guard = NonFiniteLossGuard::new(interrupter.clone(), first_epoch, move || frozen.freeze());
    let training = SupervisedTraining::new(run_dir, train, valid)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .metric_train_numeric(LearningRateMetric::new())
        .metric_train(guard.clone())
        .with_metric_logger(FileMetricLogger::new(run_dir))
        .with_metric_logger(run_logger)
        .with_custom_checkpointers(
            checkpoints.checkpointer("model"),
            checkpoints.checkpointer("optim"),
            checkpoints.checkpointer("scheduler"),
        )
        .with_checkpointing_strategy(checkpointing(run_dir))
        .renderer(Box::new(ProgressRenderer::new(clock)))
        .with_application_logger(None)
        .with_interrupter(interrupter)
        .num_epochs(config.train.epochs);
    let training = with_spike_metrics(training, &layer_names, config.train.sparsity.is_some());
    let mut training = with_strategy(training, req, start_epoch);
    if let Some(patience) = config.train.patience {
        training = training.early_stopping(Patience::new(run_dir, patience));
    }
    announce(req, run_dir, splits, data_path);
    let scheduler = config.train.lr_schedule.build(
        config.train.lr,
        config.train.epochs,
        splits.train.len().div_ceil(config.train.batch_size),
    )?;
    let result = training.launch(Learner::new(model, AdamConfig::new().init(), scheduler));
    if let Some(bad) = guard.found() {
        let why = format!("{bad} (lr = {:e})", config.train.lr);
        return Err(stopped(run_dir, why, config.train.lr));
    }
    if let Some(error) = result.error {
        bail!("training failed: {error}");
    }
    if let Some(interruption) = result.interrupted {
        let reason = interruption.reason.as_deref().unwrap_or("interrupted");
        bail!("training stopped ({reason}): {}", how_to_resume(run_dir));
    }
    Ok(Fitted {
        model: result.model,
    })
}

type Training = SupervisedTraining<Classifier>;

/// Each spiking layer's firing rate on both splits, and the penalty while training.
fn with_spike_metrics(mut training: Training, layer_names: &[String], sparsity: bool) -> Training {
    for (i, name) in layer_names.iter().enumerate() {
        training = training
            .metric_train_numeric(firing_rate_metric(i, name))
            .metric_valid_numeric(firing_rate_metric(i, name));
    }
    if sparsity {
        training = training.metric_train_numeric(sparsity_loss_metric());
    }
    training
}

/// From the checkpoint of `start_epoch` when resuming; data-parallel over several devices.
fn with_strategy(
    mut training: Training,
    req: &TrainRequest,
    start_epoch: Option<usize>,
) -> Training {
    if let Some(epoch) = start_epoch {
        training = training.checkpoint(epoch);
    }
    if req.replicas.len() > 1 {
        let ddp = ExecutionStrategy::ddp(
            req.replicas.clone(),
            DistributedConfig {
                all_reduce_op: ReduceOperation::Mean,
            },
        );
        training = training.with_training_strategy(TrainingStrategy::Default(ddp));
    }
    training
}

/// The training loader (shuffled, augmented) and the validation loader.
fn loaders(req: &TrainRequest, splits: &Splits, data_path: DataPath) -> (Loader, Loader) {
    let t = &req.config.train;
    let build = |set: &ImageDataset, batcher: DigitBatcher, shuffle: bool| {
        let mut builder = DataLoaderBuilder::new(batcher.on(data_path))
            .batch_size(t.batch_size)
            .num_workers(req.workers);
        if shuffle {
            builder = builder.shuffle(t.seed);
        }
        builder.build(set.clone())
    };
    let train_batcher = DigitBatcher::new(splits.train.shared()).with_augment(t.augment(), t.seed);
    let train = build(&splits.train, train_batcher, true);
    let valid = build(
        &splits.valid,
        DigitBatcher::new(splits.valid.shared()),
        false,
    );
    (train, valid)
}

/// `metrics.csv`'s columns: loss, accuracy, each spiking layer's rate, the penalty.
fn metric_columns(layer_names: &[String], sparsity: bool) -> Vec<String> {
    let mut columns = vec!["loss".to_string(), "accuracy".to_string()];
    columns.extend(layer_names.iter().map(|n| format!("rate_{n}")));
    if sparsity {
        columns.push("sparsity_loss".to_string());
    }
    columns
}

/// The last two epochs and the best validation epoch so far are kept.
fn checkpointing(run_dir: &Path) -> ComposedCheckpointingStrategy {
    ComposedCheckpointingStrategy::builder()
        .add(KeepLastNCheckpoints::new(2))
        .add(KeepBestValid::new(run_dir))
        .build()
}

/// The line that says what is about to be trained, where and how.
fn announce(req: &TrainRequest, run_dir: &Path, splits: &Splits, data_path: DataPath) {
    let (config, backend) = (&req.config, &req.backend);
    let devices = match req.replicas.len() {
        0 | 1 => String::new(),
        n => format!(", {n} devices, data-parallel"),
    };
    let batches_where = match data_path {
        DataPath::Device if config.train.augment().warps() => {
            ", validation batches built on the device (rotated or scaled training batches on the \
             host)"
        }
        DataPath::Device => ", batches built on the device",
        DataPath::Host => "",
    };
    let valid = match splits.valid_label {
        "valid" => format!("{} validation", splits.valid.len()),
        _ => format!(
            "no validation (validating on the {} test)",
            splits.test.len()
        ),
    };
    eprintln!(
        "training {} on {} ({}{devices}{batches_where}) for {} epochs: {} train / {valid} \
         images, batch {}, T={}",
        run_dir.display(),
        backend.name,
        backend.detail,
        config.train.epochs,
        splits.train.len(),
        config.train.batch_size,
        config.model.steps,
    );
}

/// How an interrupted run continues.
fn how_to_resume(run_dir: &Path) -> String {
    match last_checkpoint(run_dir) {
        Some(e) => format!(
            "resume with `snn-train --resume {}` (continues after epoch {e})",
            run_dir.display()
        ),
        None => "no epoch had finished, so there is no checkpoint yet".into(),
    }
}
