//! The `snn-train` command line. Training is the default command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use snn_train::backend::BackendChoice;
use snn_train::config::{Overrides, RunConfig};
use snn_train::inference::{evaluate, predict};
use snn_train::run::Run;
use snn_train::run_dir::{CONFIG_FILE, RunLock};
use snn_train::training::{RunTarget, TrainRequest, train};

/// mimalloc keeps freed pages for reuse: training allocates and frees many multi-megabyte
/// tensors per batch, which with the system allocator cost a page fault per 4 KiB each time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "snn-train",
    version,
    about = "Train spiking neural networks on MNIST with Burn"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: TrainArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Train a network (the default command).
    Train(TrainArgs),
    /// Test-set accuracy, loss, per-class accuracy and confusion matrix of a trained run.
    Eval {
        #[command(flatten)]
        on: RunArgs,
        #[arg(long, value_name = "N")]
        test_limit: Option<usize>,
    },
    /// Time full training steps of a config on one backend (see `cargo xtask bench`).
    Bench {
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        #[arg(long, value_name = "FILE", default_value = "configs/seed.toml")]
        config: PathBuf,
        #[arg(long, value_name = "DIR", default_value = "data/mnist")]
        data: PathBuf,
        /// Untimed steps first.
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        /// Timed repetitions (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Training steps per repetition.
        #[arg(long, default_value_t = 5)]
        batches: usize,
        /// Override the LIF implementation (fused, reference).
        #[arg(long, value_parser = parse_kebab::<snn_model::LifImpl>)]
        lif: Option<snn_model::LifImpl>,
        /// Override the projection (auto, dense, sparse).
        #[arg(long, value_parser = parse_kebab::<snn_model::Projection>)]
        projection: Option<snn_model::Projection>,
        /// Where batches are assembled: host (pixels converted on the CPU, f32 upload per
        /// batch) or device (data set uploaded once, u8 where supported; batches gathered and
        /// shifted there; rotated or scaled training batches are built on the host). Default:
        /// device on wgpu and cuda, host on CPU backends.
        #[arg(long, value_enum)]
        data_path: Option<snn_train::batcher::DataPath>,
        #[arg(long)]
        steps: Option<usize>,
        #[arg(long)]
        batch_size: Option<usize>,
    },
    /// Time one Linear(n, n) → LIF layer, forward + backward (the Open Neuromorphic library
    /// benchmark's workload; defaults to its shape: n = 16,384, T = 500, batch 16).
    BenchLayer {
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        #[arg(long, default_value_t = 16_384)]
        neurons: usize,
        #[arg(long, default_value_t = 500)]
        steps: usize,
        #[arg(long, default_value_t = 16)]
        batch: usize,
        /// Untimed passes first.
        #[arg(long, default_value_t = 1)]
        warmup: usize,
        /// Timed passes (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// The LIF implementation (fused, reference).
        #[arg(long, value_parser = parse_kebab::<snn_model::LifImpl>, default_value = "fused")]
        lif: snn_model::LifImpl,
    },
    /// Check that a backend computes what the reference computes (fused LIF scan vs per-step
    /// loop, Poisson kernel vs host generator) and time the LIF scan: "does my GPU work?".
    SelfTest {
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        /// Also write the report as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Skip the timing of the LIF scan.
        #[arg(long)]
        no_timing: bool,
    },
    /// Figures of a run into RUN_DIR/figures (also made at the end of training).
    Plot {
        #[command(flatten)]
        on: RunArgs,
        #[arg(long, value_name = "N")]
        test_limit: Option<usize>,
    },
    /// Firing rates, synaptic operations and energy estimate of a run (writes report.json).
    Report {
        #[command(flatten)]
        on: RunArgs,
        /// Test images measured.
        #[arg(long, default_value_t = 1000)]
        images: usize,
        /// Energy of one accumulate (a synaptic operation), in pJ [default: 0.9, 45 nm,
        /// Horowitz ISSCC 2014].
        #[arg(long, value_name = "PJ")]
        ac_pj: Option<f64>,
        /// Energy of one multiply-accumulate, in pJ [default: 4.6, 45 nm, Horowitz ISSCC 2014].
        #[arg(long, value_name = "PJ")]
        mac_pj: Option<f64>,
    },
    /// Train a grid of variants of a config (steps × encoders × firing-rate penalty weights) and
    /// the same layers as an ANN, within a time budget; writes sweep.csv and a Pareto figure of
    /// test accuracy against estimated energy per inference.
    Sweep {
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        /// The config varied.
        #[arg(long, value_name = "FILE", default_value = "configs/sweep-fc.toml")]
        config: PathBuf,
        #[arg(long, value_name = "DIR", default_value = "data/mnist")]
        data: PathBuf,
        /// New or empty directory for the sweep's runs and results.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Time steps tried, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "5,10,25")]
        steps: Vec<usize>,
        /// Input encoders tried (poisson, latency, direct), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "poisson,latency,direct")]
        encoders: Vec<String>,
        /// Firing-rate penalty weights tried ([train.sparsity] weight; 0 = none), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "0,1")]
        sparsity: Vec<f64>,
        /// Time budget (e.g. 30m, 1h): the first run always starts, a later one only when it
        /// would likely end within the budget [default: none, every run].
        #[arg(long)]
        budget: Option<humantime::Duration>,
        /// Test images each run's energy is measured on.
        #[arg(long, default_value_t = 1000)]
        images: usize,
    },
    /// Write a trained run for other tools: a NIR graph (snnTorch, Norse, SpikingJelly, Sinabs,
    /// Lava, neuromorphic chips) or its weights as safetensors with PyTorch names and layouts.
    Export {
        #[arg(long, value_name = "RUN_DIR")]
        run: PathBuf,
        #[arg(long, value_enum)]
        format: snn_train::interop::ExportFormat,
        /// Seconds per step that NIR's time constants assume (τ = dt/(1 − β)), as snnTorch.
        #[arg(long, default_value_t = 1e-4)]
        dt: f64,
        /// The file to write (must not exist).
        out: PathBuf,
    },
    /// Build a run directory from a NIR file (then eval, report, plot or predict it).
    Import {
        /// The NIR file.
        input: PathBuf,
        /// New or empty directory for the run.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Seconds per step to discretise the time constants with [default: the file's].
        #[arg(long)]
        dt: Option<f64>,
        /// Time steps per example [default: the file's].
        #[arg(long)]
        steps: Option<usize>,
        /// Input encoder: poisson, latency or direct [default: the file's, else poisson].
        #[arg(long)]
        encoder: Option<String>,
    },
    /// Class probabilities for one image (28×28 grayscale PNG, or any size, resized).
    Predict {
        #[arg(long, value_name = "RUN_DIR")]
        run: PathBuf,
        image: PathBuf,
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        /// Poisson draws averaged over.
        #[arg(long, default_value_t = 8)]
        samples: usize,
    },
}

/// A finished run, the backend to load it on and the MNIST directory (eval, plot, report).
#[derive(Args, Clone)]
struct RunArgs {
    #[arg(long, value_name = "RUN_DIR")]
    run: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    data: PathBuf,
}

#[derive(Args, Clone)]
struct TrainArgs {
    /// Compute backend.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// Run configuration (TOML).
    #[arg(long, value_name = "FILE", default_value = "configs/seed.toml")]
    config: PathBuf,
    /// MNIST directory (IDX files, raw or .gz).
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    data: PathBuf,
    /// Run directory [default: runs/<config>-<timestamp>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the run in RUN_DIR from its last checkpoint (its config.toml is used).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["out", "config"])]
    resume: Option<PathBuf>,
    /// Fetch MNIST into --data first if it is missing (runs `cargo xtask fetch-mnist`).
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
    /// Data-loading threads. 0 (the default) loads on the training thread, which keeps runs
    /// reproducible: with worker threads, batches can arrive in a different order.
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Where batches are assembled: device (data set uploaded once, batches gathered and
    /// shifted there; the default on wgpu and cuda) or host (f32 upload per batch; the default
    /// on CPU backends).
    #[arg(long, value_enum)]
    data_path: Option<snn_train::batcher::DataPath>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => run_train(cli.train),
        Some(Command::Train(args)) => run_train(args),
        Some(Command::Eval { on, test_limit }) => {
            let backend = on.backend.resolve()?;
            let run = Run::open(&on.run, &backend.device)?;
            let test = run.test_data(&on.data, test_limit)?;
            println!("{}", evaluate(&run, &test)?.table());
            Ok(())
        }
        Some(Command::Plot { on, test_limit }) => {
            let backend = on.backend.resolve()?;
            let run = Run::open(&on.run, &backend.device)?;
            let test = run.test_data(&on.data, test_limit)?;
            let _lock = RunLock::acquire(&on.run)?;
            snn_train::analysis::plot(&run, &test)?;
            println!("figures written to {}", on.run.join("figures").display());
            Ok(())
        }
        Some(Command::Report {
            on,
            images,
            ac_pj,
            mac_pj,
        }) => {
            let default = snn_plot::EnergyCosts::default();
            let costs = snn_plot::EnergyCosts {
                ac_pj: ac_pj.unwrap_or(default.ac_pj),
                mac_pj: mac_pj.unwrap_or(default.mac_pj),
            };
            for (flag, value) in [("--ac-pj", costs.ac_pj), ("--mac-pj", costs.mac_pj)] {
                if !(value.is_finite() && value > 0.0) {
                    bail!("{flag} {value}: an energy per operation must be a number of pJ > 0");
                }
            }
            let backend = on.backend.resolve()?;
            let run = Run::open(&on.run, &backend.device)?;
            let test = run.test_data(&on.data, Some(images))?;
            let _lock = RunLock::acquire(&on.run)?;
            let report = snn_train::analysis::report(&run, &test, images, costs)?;
            print!("{}", report.text());
            Ok(())
        }
        Some(Command::Export {
            run,
            format,
            dt,
            out,
        }) => {
            for warning in snn_train::interop::export(&run, format, dt, &out)? {
                eprintln!("warning: {warning}");
            }
            println!("wrote {}", out.display());
            Ok(())
        }
        Some(Command::Import {
            input,
            out,
            dt,
            steps,
            encoder,
        }) => {
            let options = snn_train::nir_import::ImportOptions {
                dt,
                steps,
                encoder: encoder
                    .map(|e| snn_train::sweep::encoder_named("--encoder", &e))
                    .transpose()?,
            };
            snn_train::interop::import(&input, &out, &options)?;
            println!(
                "imported {} into {} (evaluate it with `snn-train eval --run {}`)",
                input.display(),
                out.display(),
                out.display()
            );
            Ok(())
        }
        Some(Command::Bench {
            backend,
            config,
            data,
            warmup,
            repeats,
            batches,
            lif,
            projection,
            data_path,
            steps,
            batch_size,
        }) => {
            let overrides = Overrides {
                steps,
                batch_size,
                ..Overrides::default()
            };
            let config = RunConfig::load(&config)?.with_overrides(&overrides)?;
            let req = snn_train::bench::BenchRequest {
                config,
                backend: backend.resolve()?,
                data_dir: data,
                warmup,
                repeats,
                batches,
                lif,
                projection,
                data_path,
            };
            let result = snn_train::bench::run(&req)?;
            if result.train_launches.total > 0 {
                eprintln!(
                    "kernel launches of {batches} training steps: {} ({})",
                    result.train_launches.total,
                    result.train_launches.top(usize::MAX)
                );
            }
            let samples: Vec<String> = result.samples.iter().map(|s| format!("{s:.0}")).collect();
            eprintln!("samples (images/s): {}", samples.join(" "));
            println!("{}", snn_train::bench::result_line(&req, &result));
            Ok(())
        }
        Some(Command::BenchLayer {
            backend,
            neurons,
            steps,
            batch,
            warmup,
            repeats,
            lif,
        }) => {
            let req = snn_train::layer_bench::LayerBenchRequest {
                backend: backend.resolve()?,
                neurons,
                steps,
                batch,
                warmup,
                repeats,
                lif,
            };
            let result = snn_train::layer_bench::run(&req)?;
            let samples: Vec<String> = result
                .samples_ms
                .iter()
                .map(|s| format!("{s:.1}"))
                .collect();
            eprintln!("samples (ms): {}", samples.join(" "));
            println!("{}", snn_train::layer_bench::result_line(&req, &result));
            Ok(())
        }
        Some(Command::SelfTest {
            backend,
            json,
            no_timing,
        }) => {
            let backend = backend.resolve()?;
            let report = snn_train::self_test::run(&backend, !no_timing)?;
            if let Some(path) = json {
                snn_train::self_test::write_json(&report, &path)?;
            }
            let failures = report.failures();
            if failures > 0 {
                bail!(
                    "self-test on {}: {failures} of {} checks failed (see the FAIL lines above)",
                    report.backend,
                    report.checks.len()
                );
            }
            let detail = if report.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", report.detail)
            };
            println!(
                "self-test on {}{detail}: all {} checks passed",
                report.backend,
                report.checks.len()
            );
            Ok(())
        }
        Some(Command::Sweep {
            backend,
            config,
            data,
            out,
            steps,
            encoders,
            sparsity,
            budget,
            images,
        }) => {
            let req = snn_train::sweep::SweepRequest {
                base: RunConfig::load(&config)?,
                base_origin: config.display().to_string(),
                backend: backend.resolve()?,
                data_dir: data,
                out,
                steps,
                encoders,
                sparsity_weights: sparsity,
                budget: budget.map(Into::into),
                report_images: images,
            };
            let (points, left_out) = snn_train::sweep::run(&req)?;
            for p in &points {
                println!(
                    "{:<22} accuracy {:6.2}%  energy {:9.1} nJ  ({:.3} of the ANN)  {:5.0} s",
                    p.name,
                    p.test_accuracy,
                    p.energy_nj,
                    p.energy_nj / p.ann_energy_nj,
                    p.seconds
                );
            }
            if !left_out.is_empty() {
                let why = match budget {
                    Some(budget) if !snn_train::training::ctrl_c_pressed() => {
                        format!("by the {budget} budget")
                    }
                    _ => "after Ctrl-C".to_string(),
                };
                println!("left out {why}: {}", left_out.join(", "));
            }
            println!(
                "results in {} (sweep.csv, pareto.png, pareto.svg)",
                req.out.display()
            );
            Ok(())
        }
        Some(Command::Predict {
            run,
            image,
            backend,
            samples,
        }) => {
            let backend = backend.resolve()?;
            let run = Run::open(&run, &backend.device)?;
            let probs = predict(&run, &image, samples)?;
            let best = probs
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i)
                .unwrap_or(0);
            // The training data's class names, when it had a classes.txt.
            let names = snn_train::data::read_class_names(&run.dir)?;
            println!("class  probability");
            for (c, p) in probs.iter().enumerate() {
                let name = match names.as_ref().and_then(|n| n.get(c)) {
                    Some(name) if *name != c.to_string() => format!(" {name}"),
                    _ => String::new(),
                };
                println!(
                    "{c:>5}  {p:.4}{}{name}",
                    if c == best { "  <- predicted" } else { "" }
                );
            }
            Ok(())
        }
    }
}

fn run_train(args: TrainArgs) -> Result<()> {
    let overrides = Overrides {
        epochs: args.epochs,
        steps: args.steps,
        batch_size: args.batch_size,
        lr: args.lr,
        seed: args.seed,
        hidden: args.hidden.clone(),
        train_limit: args.train_limit,
        test_limit: args.test_limit,
    };
    let (config, config_origin, target) = match &args.resume {
        Some(dir) => {
            let path = dir.join(CONFIG_FILE);
            if !path.is_file() {
                bail!(
                    "--resume {}: no {CONFIG_FILE} there; is it a run directory?",
                    dir.display()
                );
            }
            let config = RunConfig::load(&path)?.for_resume(&overrides, &path)?;
            let origin = path.display().to_string();
            (config, origin, RunTarget::Resume(dir.clone()))
        }
        None => {
            if !args.config.is_file() {
                bail!(
                    "config file {} not found (the configs/ directory holds seed.toml and quick.toml)",
                    args.config.display()
                );
            }
            let config = RunConfig::load(&args.config)?.with_overrides(&overrides)?;
            let stem = args
                .config
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("run")
                .to_string();
            let target = match &args.out {
                Some(out) => RunTarget::Out(out.clone()),
                None => RunTarget::Default { config_stem: stem },
            };
            (config, args.config.display().to_string(), target)
        }
    };
    if args.fetch {
        fetch_if_missing(&args.data)?;
    }
    let mut backend = args.backend.resolve()?;
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
        data_dir: args.data.clone(),
        target,
        workers: args.workers,
        data_path: args.data_path,
        init_from: args.init_from.clone(),
        replicas,
    })?;
    let (run_dir, summary) = (&trained.run_dir, &trained.summary);
    // Figures and the spike report are extras: a failure there does not fail the run.
    let extras = Run::open(run_dir, &device).and_then(|run| {
        let test = run.test_data(&args.data, test_limit)?;
        Ok((run, test))
    });
    match &extras {
        Ok((run, test)) => {
            match snn_train::analysis::plot(run, test) {
                Ok(()) => eprintln!("figures in {}", run_dir.join("figures").display()),
                Err(e) => eprintln!("warning: figures not written: {e:#}"),
            }
            match snn_train::analysis::report(run, test, 1000, snn_plot::EnergyCosts::default()) {
                Ok(report) => eprint!("{}", report.text()),
                Err(e) => eprintln!("warning: report not written: {e:#}"),
            }
        }
        Err(e) => eprintln!("warning: figures and report not written: {e:#}"),
    }
    println!(
        "{}: test accuracy {:.2}%, test loss {:.4}, {} epochs in {:.0}s ({:.0} train images/s on {})",
        run_dir.display(),
        summary.test_accuracy,
        summary.test_loss,
        summary.epochs,
        summary.wall_seconds,
        summary.train_images_per_s,
        summary.backend
    );
    Ok(())
}

/// Runs `cargo xtask fetch-mnist --out DIR` when DIR lacks the files.
fn fetch_if_missing(dir: &Path) -> Result<()> {
    if mnist_idx::LabeledImages::load_split(dir, "t10k").is_ok()
        && mnist_idx::locate(dir, "train-images-idx3-ubyte").is_ok()
    {
        return Ok(());
    }
    eprintln!(
        "--fetch: {} is incomplete, running `cargo xtask fetch-mnist`",
        dir.display()
    );
    let status = std::process::Command::new("cargo")
        .args(["xtask", "fetch-mnist", "--out"])
        .arg(dir)
        .status()
        .context("cannot run `cargo xtask fetch-mnist` (is cargo on PATH?)")?;
    if !status.success() {
        bail!("`cargo xtask fetch-mnist --out {}` failed", dir.display());
    }
    Ok(())
}

/// Parses a kebab-case name of a config enum (`fused`, `dense`, …) with its serde names, so the
/// flags accept exactly what config files do.
fn parse_kebab<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    T::deserialize(s.into_deserializer()).map_err(|e: serde::de::value::Error| e.to_string())
}
