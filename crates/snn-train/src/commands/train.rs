//! `snn-train` / `snn-train train`: trains a run (new, `--resume`d or `--init-from` another's
//! weights), then draws its figures and prints its spike report (extras: their failure does
//! not fail the run) and its summary line.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

use super::ConfigOn;
use crate::analysis::energy::EnergyCosts;
use crate::config::{Overrides, RunConfig};
use crate::data::batcher::DataPath;
use crate::run::{CONFIG_FILE, Run, RunSummary};
use crate::train::{RunTarget, TrainRequest, train};

#[derive(Args, Clone)]
pub struct TrainArgs {
    #[command(flatten)]
    on: ConfigOn,
    /// Run directory [default: runs/<config>-<timestamp>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the run in RUN_DIR from its last checkpoint (its config.toml is used).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["out", "config"])]
    resume: Option<PathBuf>,
    /// Fetch MNIST into --data first if it is missing (downloads and checks the pinned files).
    #[arg(long)]
    fetch: bool,
    /// Start from the weights of RUN_DIR (e.g. a network imported from NIR) instead of fresh
    /// ones: fine-tuning. --config must describe the same network (e.g. RUN_DIR/config.toml).
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "resume")]
    init_from: Option<PathBuf>,
    /// Train on these devices of --backend at once (e.g. `--backend cuda --devices 0,1`): a
    /// model replica per device, gradients averaged by Burn's DDP strategy (CUDA only in Burn
    /// 0.22.1). One index picks that device.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    devices: Option<Vec<usize>>,
    #[arg(long)]
    epochs: Option<usize>,
    /// Simulation time steps T.
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long)]
    seed: Option<u64>,
    /// Hidden layer sizes, comma-separated (e.g. 256 or 512,256).
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Use only the first N training images.
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// Use only the first N test images.
    #[arg(long, value_name = "N")]
    test_limit: Option<usize>,
    /// Training images held out for validation: a count (e.g. 5000) or a fraction (e.g. 0.1)
    /// [default: data.validation of the config].
    #[arg(long, value_name = "N|FRACTION")]
    validation: Option<crate::config::Validation>,
    /// Which epoch's weights the run keeps and tests: best-valid (the best validation accuracy)
    /// or last [default: train.select of the config].
    #[arg(long, value_parser = super::parse_kebab::<crate::config::Select>)]
    select: Option<crate::config::Select>,
    /// Data-loading threads. 0 (the default) loads on the training thread, which keeps runs
    /// reproducible: with worker threads, batches can arrive in a different order.
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Where batches are assembled: device (data set uploaded once, batches gathered and
    /// shifted there; the default on wgpu and cuda) or host (f32 upload per batch; the default
    /// on CPU backends).
    #[arg(long, value_enum)]
    data_path: Option<DataPath>,
}

impl TrainArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            epochs: self.epochs,
            steps: self.steps,
            batch_size: self.batch_size,
            lr: self.lr,
            seed: self.seed,
            hidden: self.hidden.clone(),
            train_limit: self.train_limit,
            test_limit: self.test_limit,
            validation: self.validation,
            select: self.select,
        }
    }

    /// The config, where it came from, and where the run goes.
    fn config(&self) -> Result<(RunConfig, String, RunTarget)> {
        let overrides = self.overrides();
        if let Some(dir) = &self.resume {
            let path = dir.join(CONFIG_FILE);
            if !path.is_file() {
                bail!(
                    "--resume {}: no {CONFIG_FILE} there; is it a run directory?",
                    dir.display()
                );
            }
            let config = RunConfig::load(&path)?.for_resume(&overrides, &path)?;
            let origin = path.display().to_string();
            return Ok((config, origin, RunTarget::Resume(dir.clone())));
        }
        if !self.on.config.is_file() {
            bail!(
                "config file {} not found (the configs/ directory holds the shipped configs: \
                 seed.toml, fc-best.toml, conv.toml, …)",
                self.on.config.display()
            );
        }
        let config = RunConfig::load(&self.on.config)?.with_overrides(&overrides)?;
        let target = match &self.out {
            Some(out) => RunTarget::Out(out.clone()),
            None => RunTarget::Default {
                config_stem: (self.on.config.file_stem().and_then(|s| s.to_str()))
                    .unwrap_or("run")
                    .to_string(),
            },
        };
        Ok((config, self.on.config.display().to_string(), target))
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    let (config, config_origin, target) = args.config()?;
    if args.fetch {
        fetch_if_missing(&args.on.data)?;
    }
    let mut backend = args.on.backend.resolve()?;
    let replicas = match &args.devices {
        Some(ids) => backend.devices(ids)?,
        None => Vec::new(),
    };
    if let Some(first) = replicas.first() {
        backend.device = first.clone();
    }
    let device = backend.device.clone();
    let test_limit = config.train.test_limit;
    let trained = train(TrainRequest {
        config,
        config_origin,
        backend,
        data_dir: args.on.data.clone(),
        target,
        workers: args.workers,
        data_path: args.data_path,
        init_from: args.init_from.clone(),
        replicas,
    })?;
    let opened = Run::open(&trained.run_dir, &device).and_then(|run| {
        let test = run.test_data(&args.on.data, test_limit)?;
        Ok((run, test))
    });
    match opened {
        Ok((run, test)) => extras(&run, &test),
        Err(e) => eprintln!("warning: figures and report not written: {e:#}"),
    }
    println!("{}", summary_line(&trained.run_dir, &trained.summary));
    Ok(())
}

/// Figures and the spike report: a failure there does not fail the run.
fn extras(run: &Run, test: &crate::data::ImageDataset) {
    match crate::analysis::plot::plot(run, test) {
        Ok(()) => eprintln!("figures in {}", run.dir.join("figures").display()),
        Err(e) => eprintln!("warning: figures not written: {e:#}"),
    }
    match crate::analysis::report::report(run, test, 1000, EnergyCosts::default()) {
        Ok(report) => eprint!("{}", report.text()),
        Err(e) => eprintln!("warning: report not written: {e:#}"),
    }
}

fn summary_line(run_dir: &Path, s: &RunSummary) -> String {
    format!(
        "{}: test accuracy {:.2}%, test loss {:.4}, {} epochs in {:.0}s ({:.0} train images/s on {})",
        run_dir.display(),
        s.test_accuracy,
        s.test_loss,
        s.epochs,
        s.wall_seconds,
        s.train_images_per_s,
        s.backend
    )
}

/// Fetches MNIST into `dir` when it lacks the files (the pinned files, checked; no cargo).
fn fetch_if_missing(dir: &Path) -> Result<()> {
    if mnist_idx::LabeledImages::load_split(dir, "t10k").is_ok()
        && mnist_idx::locate(dir, "train-images-idx3-ubyte").is_ok()
    {
        return Ok(());
    }
    eprintln!("--fetch: {} is incomplete, fetching MNIST", dir.display());
    let mnist = &data_fetch::mnist::MNIST;
    // The fetch's messages are whole on their own (their causes are in them).
    data_fetch::fetch(
        mnist,
        dir,
        &data_fetch::Source::default_mirrors(mnist),
        false,
    )
    .map_err(|e| anyhow::anyhow!("--fetch: {e}"))?;
    Ok(())
}
