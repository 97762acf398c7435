//! `cargo xtask <command>`: developer tasks for this workspace.
//!
//! The `xtask` alias lives in `.cargo/config.toml` and builds this binary into
//! `target/xtask`, so it never shares (or invalidates) the main build directory.

mod bench;
mod gpu_bundle;

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use data_fetch::mnist::MNIST;
use data_fetch::{DataSetId, FetchError, Source};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Developer tasks for this workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Download the four IDX files of MNIST or Fashion-MNIST (uncompressed, SHA-256 verified)
    /// and write classes.txt (the class names, one per line in label order).
    ///
    /// Files already present and verified are skipped. Each file is written to a
    /// temporary `.<name>.part-<pid>` file and renamed into place only after it was
    /// verified (see --from for what is checked of a raw Fashion-MNIST file). A file of another IDX data set in --out (e.g. MNIST when
    /// fetching Fashion-MNIST) stops the run before anything is fetched, unless --force.
    FetchMnist {
        /// The data set: MNIST (pinned by its uncompressed files) or Fashion-MNIST (pinned by
        /// its .gz files as published).
        #[arg(long, value_parser = dataset_parser(), default_value_t = DataSetId::Mnist)]
        dataset: DataSetId,

        /// Directory to write the files into (created if missing) [default: data/mnist, or
        /// data/fashion-mnist with --dataset fashion-mnist].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,

        /// Take the files from this local directory (as `<name>` or `<name>.gz`)
        /// instead of the network. For Fashion-MNIST a `.gz` is checked against its pin,
        /// a raw file only as a valid IDX file of the right shape.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["mirrors", "no_default_mirrors"])]
        from: Option<PathBuf>,

        /// Extra mirror base URL (`<name>.gz` is appended), tried before the
        /// defaults. Repeatable.
        #[arg(long = "mirror", value_name = "URL")]
        mirrors: Vec<String>,

        /// Do not try the built-in mirrors (only those given with --mirror).
        #[arg(long)]
        no_default_mirrors: bool,

        /// Replace files in --out that hold a valid IDX data set other than the one
        /// requested instead of stopping. Corrupt or partial files are replaced without it.
        #[arg(long)]
        force: bool,
    },
    /// Build the one-shot GPU check bundle: snn-train with CUDA (stripped, xz), MNIST, the
    /// configs and gpu-check.sh, at most 60 MB, for an NVIDIA machine without Rust or network.
    GpuBundle {
        /// New or empty directory for the bundle.
        out: PathBuf,
        /// MNIST directory (IDX files, raw or .gz).
        #[arg(long, value_name = "DIR", default_value = MNIST.default_out)]
        data: PathBuf,
        /// Bundle the default build (wgpu and CPU backends) instead of building with CUDA.
        #[arg(long)]
        no_cuda: bool,
        /// Build CUDA with CubeCL's C++ code generation, compiled at run time by NVRTC (needs the
        /// CUDA toolkit's libnvrtc on the GPU machine; faster kernels), not LLVM → PTX.
        #[arg(long, conflicts_with = "no_cuda")]
        nvrtc: bool,
    },
    /// Time full training steps of a config on each backend (see docs/performance.md).
    ///
    /// Builds snn-train in release mode, runs `snn-train bench` once per backend in its own
    /// process, prints a table and one `bench backend=… images_per_s=… peak_rss_mb=…` line each.
    Bench {
        /// Backends to time, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "flex,ndarray,wgpu")]
        backends: Vec<String>,
        /// Also time each backend without each optimisation: dense projection with the fused LIF
        /// scan, then dense projection with the reference (unfused) LIF loop.
        #[arg(long)]
        ablation: bool,
        /// Cargo features for building snn-train, comma-separated (e.g. `cuda`).
        #[arg(long, value_delimiter = ',')]
        features: Vec<String>,
        #[arg(long, default_value = "configs/seed.toml")]
        config: String,
        #[arg(long, default_value = "data/mnist")]
        data: String,
        /// Untimed steps before timing.
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        /// Timed repetitions per backend (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Training steps per repetition.
        #[arg(long, default_value_t = 5)]
        batches: usize,
        /// Also time the Open Neuromorphic benchmark layer (Linear(16384, 16384) → LIF, T = 500,
        /// batch 16, forward + backward) on each backend, this many passes (about a minute per
        /// pass on 2 CPU cores).
        #[arg(long, value_name = "PASSES", default_value_t = 0)]
        layer: usize,
        /// Also time the same training step in plain PyTorch and in snnTorch
        /// (bench/peers/peer_step.py, run by this Python, which needs torch and snntorch; same
        /// T, batch, warm-up and repetitions, as many threads as CPUs) and print the ratios.
        #[arg(long, value_name = "PYTHON")]
        peers: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench {
            backends,
            ablation,
            features,
            config,
            data,
            warmup,
            repeats,
            batches,
            layer,
            peers,
        } => {
            let root = workspace_root();
            let mut runs: Vec<bench::Run> =
                backends.iter().map(|b| bench::Run::new(b, &[])).collect();
            if ablation {
                for backend in &backends {
                    for lif in ["fused", "reference"] {
                        let flags = ["--projection", "dense", "--lif", lif];
                        runs.push(bench::Run::new(backend, &flags));
                    }
                }
            }
            let options = bench::Options {
                features,
                config,
                data,
                warmup,
                repeats,
                batches,
                layer_repeats: layer,
                peers,
            };
            bench::run(&root, &runs, &options)
        }
        Command::GpuBundle {
            out,
            data,
            no_cuda,
            nvrtc,
        } => {
            let options = gpu_bundle::Options {
                out,
                data,
                cuda: !no_cuda,
                nvrtc,
            };
            gpu_bundle::run(&workspace_root(), &options)
        }
        Command::FetchMnist {
            dataset,
            out,
            from,
            mirrors,
            no_default_mirrors,
            force,
        } => {
            let extra = Mirrors {
                mirrors,
                defaults: !no_default_mirrors,
            };
            fetch_mnist(dataset, out, from, extra, force)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err);
            ExitCode::FAILURE
        }
    }
}

/// The workspace this xtask belongs to.
fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `--mirror`s given and whether the data set's own mirrors follow them.
struct Mirrors {
    mirrors: Vec<String>,
    defaults: bool,
}

/// `fetch-mnist`: the data set from `from` (a local directory), else from the mirrors, into
/// `out` (default: the data set's own directory).
fn fetch_mnist(
    dataset: DataSetId,
    out: Option<PathBuf>,
    from: Option<PathBuf>,
    extra: Mirrors,
    force: bool,
) -> anyhow::Result<()> {
    let ds = dataset.data_set();
    let source = match from {
        Some(dir) => Source::LocalDir(dir),
        None => {
            let mut all = extra.mirrors;
            if extra.defaults {
                all.extend(ds.mirrors.iter().map(|m| m.to_string()));
            }
            Source::Mirrors(all)
        }
    };
    let out = out.unwrap_or_else(|| ds.default_out.into());
    data_fetch::fetch(ds, &out, &source, force).map_err(anyhow::Error::from)
}

/// `error: <message>`, then a `caused by:` line per cause, except for a [`FetchError`], whose
/// message already ends with its causes.
fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    if err.downcast_ref::<FetchError>().is_none() {
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
    }
}

/// `--dataset`: the data sets' ids, each with its help line (listed in `--help` and in the error
/// for an unknown value), parsed by `DataSetId::from_str`.
fn dataset_parser() -> impl TypedValueParser<Value = DataSetId> {
    let values = DataSetId::ALL.map(|id| PossibleValue::new(id.id()).help(dataset_help(id)));
    PossibleValuesParser::new(values).try_map(|id| DataSetId::from_str(&id))
}

/// The help line of a `--dataset` value.
fn dataset_help(id: DataSetId) -> &'static str {
    match id {
        DataSetId::Mnist => "MNIST handwritten digits (classes 0-9)",
        DataSetId::FashionMnist => {
            "Zalando's Fashion-MNIST (10 clothing classes, same format and sizes as MNIST)"
        }
        DataSetId::Kmnist => {
            "Kuzushiji-MNIST (10 classes of cursive Japanese hiragana, same format and sizes as \
             MNIST)"
        }
    }
}
