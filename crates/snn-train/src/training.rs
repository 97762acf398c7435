//! `snn-train` (default command): trains the network with Burn's `SupervisedTraining`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataset::Dataset;
use burn::module::Module;
use burn::optim::AdamConfig;
use burn::tensor::distributed::{DistributedConfig, ReduceOperation};
use burn::train::checkpoint::{
    ComposedCheckpointingStrategy, KeepLastNCheckpoints, MetricCheckpointingStrategy,
};
use burn::train::logger::FileMetricLogger;
use burn::train::metric::store::{Aggregate, Direction, Split as MetricSplit};
use burn::train::metric::{AccuracyMetric, LearningRateMetric, LossMetric};
use burn::train::{ExecutionStrategy, Interrupter, Learner, SupervisedTraining, TrainingStrategy};

use crate::backend::Backend;
use crate::batcher::{DataPath, DigitBatcher};
use crate::checkpoint::{self, CheckpointSet};
use crate::classifier::Classifier;
use crate::config::RunConfig;
use crate::data::{Split, load_split};
use crate::limits::{Phase, check_memory};
use crate::metrics::{NonFiniteLossGuard, firing_rate_metric, sparsity_loss_metric};
use crate::progress::{ProgressRenderer, SplitClock};
use crate::run::load_weights;
use crate::run_dir::{
    self, CHECKPOINT_DIR, CONFIG_FILE, MODEL_FILE, RunLock, RunSummary, read_metrics,
    truncate_metrics, write_atomic,
};
use crate::run_logger::RunLogger;

/// Where a training run writes.
#[derive(Debug, Clone)]
pub enum RunTarget {
    /// A new directory `runs/<config_stem>-<timestamp>` (see [`run_dir::create_default_run_dir`]).
    Default { config_stem: String },
    /// `--out DIR`: must not exist or be empty (see [`run_dir::check_new_run_dir`]).
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
///
/// Everything that can be checked is checked before the run directory is touched: the data
/// against the model (both splits), the memory the batch needs, and on resume the saved
/// checkpoint (all three files readable, the weights fitting the config). A non-finite loss stops
/// the run at that batch with the last good epoch kept on disk.
pub fn train(req: TrainRequest) -> Result<Trained> {
    let started = Instant::now();
    let TrainRequest {
        config,
        config_origin,
        backend,
        data_dir,
        target,
        workers,
        data_path,
        init_from,
        replicas,
    } = req;
    let train_set = load_split(&data_dir, Split::Train, config.train.train_limit)?;
    let test_set = load_split(&data_dir, Split::Test, config.train.test_limit)?;
    train_set.check_fits(&config.model, &config_origin)?;
    test_set.check_fits(&config.model, &config_origin)?;
    check_memory(
        &config.model,
        config.train.batch_size,
        Phase::Training,
        "train.batch_size",
    )?;
    let device = backend.device.clone();
    let initial = init_from
        .map(|dir| {
            let weights = dir.join(MODEL_FILE);
            if !weights.is_file() {
                bail!(
                    "--init-from {}: no {MODEL_FILE} there (a finished or imported run directory \
                     is needed)",
                    dir.display()
                );
            }
            load_weights(
                &config,
                Path::new(&config_origin),
                &weights,
                &device.clone().autodiff(),
            )
            .with_context(|| format!("--init-from {}", dir.display()))
        })
        .transpose()?;

    let (run_dir, lock, start_epoch) = match &target {
        RunTarget::Resume(dir) => {
            let lock = RunLock::acquire(dir)?;
            let epoch = check_resumable(dir, &config, &device)?;
            checkpoint::clean(&dir.join(CHECKPOINT_DIR))?;
            let partial_model = dir.join(MODEL_FILE).with_extension("bpk.partial");
            if partial_model.exists() {
                std::fs::remove_file(&partial_model)
                    .with_context(|| format!("cannot remove {}", partial_model.display()))?;
            }
            truncate_metrics(dir, epoch)?;
            tfevents_truncate(dir, epoch, &config, train_set.len(), test_set.len())?;
            eprintln!("resuming {} after epoch {epoch}", dir.display());
            (dir.clone(), lock, Some(epoch))
        }
        RunTarget::Out(dir) => {
            run_dir::check_new_run_dir(dir)?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create run directory {}", dir.display()))?;
            (dir.clone(), RunLock::acquire(dir)?, None)
        }
        RunTarget::Default { config_stem } => {
            let dir = run_dir::create_default_run_dir(Path::new("runs"), config_stem)?;
            let lock = RunLock::acquire(&dir)?;
            (dir, lock, None)
        }
    };
    write_atomic(&run_dir.join(CONFIG_FILE), config.to_toml().as_bytes())?;
    // The data's class names go with the run, for `predict` (which sees no data directory).
    if let Some(names) = crate::data::read_class_names(&data_dir)? {
        let text = names.join("\n") + "\n";
        write_atomic(&run_dir.join(crate::data::CLASSES_FILE), text.as_bytes())?;
    }

    device.seed(config.train.seed);
    let model = Classifier {
        snn: match initial {
            Some(loaded) => loaded.snn,
            None => config.model.init(&device.clone().autodiff()),
        },
        sparsity: config.train.sparsity.clone(),
    };
    let layer_names = model.snn.spiking_layer_names();

    let batch = config.train.batch_size;
    let data_path = data_path.unwrap_or(DataPath::for_backend(backend.name));
    let loader_train = DataLoaderBuilder::new(
        DigitBatcher::new(train_set.shared())
            .with_augment(config.train.augment(), config.train.seed)
            .on(data_path),
    )
    .batch_size(batch)
    .shuffle(config.train.seed)
    .num_workers(workers)
    .build(train_set.clone());
    let loader_valid = DataLoaderBuilder::new(DigitBatcher::new(test_set.shared()).on(data_path))
        .batch_size(batch)
        .num_workers(workers)
        .build(test_set.clone());

    let clock = SplitClock::default();
    let mut columns = vec!["loss".to_string(), "accuracy".to_string()];
    columns.extend(layer_names.iter().map(|n| format!("rate_{n}")));
    if config.train.sparsity.is_some() {
        columns.push("sparsity_loss".to_string());
    }
    let batches = HashMap::from([
        ("train".to_string(), train_set.len().div_ceil(batch)),
        ("valid".to_string(), test_set.len().div_ceil(batch)),
    ]);
    let run_logger = RunLogger::new(&run_dir, &columns, batches, clock.clone())?;

    let checkpoints = CheckpointSet::new(&run_dir.join(CHECKPOINT_DIR))?;
    let interrupter = Interrupter::new();
    install_ctrl_c(interrupter.clone());
    let frozen = checkpoints.clone();
    let guard = NonFiniteLossGuard::new(
        interrupter.clone(),
        start_epoch.unwrap_or(0) + 1,
        move || frozen.freeze(),
    );
    let mut training = SupervisedTraining::new(&run_dir, loader_train, loader_valid)
        .metrics((AccuracyMetric::new(), LossMetric::new()))
        .metric_train_numeric(LearningRateMetric::new())
        .metric_train(guard.clone())
        .with_metric_logger(FileMetricLogger::new(&run_dir))
        .with_metric_logger(run_logger)
        .with_custom_checkpointers(
            checkpoints.checkpointer("model"),
            checkpoints.checkpointer("optim"),
            checkpoints.checkpointer("scheduler"),
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
            .metric_train_numeric(firing_rate_metric(i, name))
            .metric_valid_numeric(firing_rate_metric(i, name));
    }
    if config.train.sparsity.is_some() {
        training = training.metric_train_numeric(sparsity_loss_metric());
    }
    if let Some(epoch) = start_epoch {
        training = training.checkpoint(epoch);
    }
    if replicas.len() > 1 {
        let ddp = ExecutionStrategy::ddp(
            replicas.clone(),
            DistributedConfig {
                all_reduce_op: ReduceOperation::Mean,
            },
        );
        training = training.with_training_strategy(TrainingStrategy::Default(ddp));
    }

    eprintln!(
        "training {} on {} ({}{}{}) for {} epochs: {} train / {} test images, batch {}, T={}",
        run_dir.display(),
        backend.name,
        backend.detail,
        if replicas.len() > 1 {
            format!(", {} devices, data-parallel", replicas.len())
        } else {
            String::new()
        },
        match data_path {
            DataPath::Device if config.train.augment().warps() => {
                ", test batches built on the device (rotated or scaled training batches on the host)"
            }
            DataPath::Device => ", batches built on the device",
            DataPath::Host => "",
        },
        config.train.epochs,
        train_set.len(),
        test_set.len(),
        batch,
        config.model.steps,
    );
    let scheduler = config.train.lr_schedule.build(
        config.train.lr,
        config.train.epochs,
        train_set.len().div_ceil(batch),
    )?;
    let result = training.launch(Learner::new(model, AdamConfig::new().init(), scheduler));
    if let Some(bad) = guard.found() {
        let resumable = match run_dir::last_checkpoint(&run_dir) {
            Some(e) => format!(
                "{} keeps the checkpoint of epoch {e}: resume from it with a lower learning \
                 rate, e.g. `snn-train --resume {} --lr {:e}`",
                run_dir.display(),
                run_dir.display(),
                config.train.lr / 10.0
            ),
            None => format!(
                "no epoch had finished, so there is no checkpoint: start again with a lower \
                 learning rate, e.g. --lr {:e}",
                config.train.lr / 10.0
            ),
        };
        bail!(
            "training stopped: the loss became {} at epoch {}, batch {} (lr = {:e}); {resumable}",
            bad.loss,
            bad.epoch,
            bad.batch,
            config.train.lr
        );
    }
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
    Ok(Trained {
        run_dir,
        summary,
        lock,
    })
}

/// The epoch `--resume` continues after: the newest complete checkpoint set of `run_dir`, with
/// all three files readable and the weights fitting `config`. Reads only.
fn check_resumable(
    run_dir: &Path,
    config: &RunConfig,
    device: &burn::tensor::Device,
) -> Result<usize> {
    let Some(epoch) = run_dir::last_checkpoint(run_dir) else {
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
    let config_file = run_dir.join(CONFIG_FILE);
    let autodiff = device.clone().autodiff();
    checkpoint::verify(&run_dir.join(CHECKPOINT_DIR), epoch, &|model_file| {
        load_weights(config, &config_file, model_file, &autodiff).map(|_| ())
    })?;
    Ok(epoch)
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

/// Ctrl-C asks Burn to stop after the current batch (a second Ctrl-C exits at once).
/// The interrupter of the run being trained, which Ctrl-C stops; one process-wide handler
/// serves every run of the process (a sweep trains many).
static CURRENT_RUN: std::sync::Mutex<Option<Interrupter>> = std::sync::Mutex::new(None);
/// Set by the first Ctrl-C; a second one quits at once.
static CTRL_C_PRESSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether Ctrl-C was pressed in this process (a sweep then starts no further run).
pub fn ctrl_c_pressed() -> bool {
    CTRL_C_PRESSED.load(std::sync::atomic::Ordering::SeqCst)
}

fn install_ctrl_c(interrupter: Interrupter) {
    *CURRENT_RUN.lock().unwrap_or_else(|p| p.into_inner()) = Some(interrupter);
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let result = ctrlc::set_handler(|| {
            if CTRL_C_PRESSED.swap(true, std::sync::atomic::Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nCtrl-C: stopping after the current batch (press again to quit now)");
            if let Some(run) = CURRENT_RUN
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
            {
                run.stop(Some("Ctrl-C"));
            }
        });
        if let Err(e) = result {
            eprintln!("warning: cannot install the Ctrl-C handler: {e}");
        }
    });
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
