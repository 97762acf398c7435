//! The command line: one file per subcommand, each with its arguments and its `run`; training
//! is the default command (`snn-train --config …` is `snn-train train --config …`).

pub mod bench;
pub mod bench_layer;
pub mod eval;
pub mod export;
pub mod import;
pub mod plot;
pub mod predict;
pub mod report;
pub mod self_test;
pub mod sweep;
pub mod train;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::platform::backend::BackendChoice;

#[derive(Parser)]
#[command(
    name = "snn-train",
    version,
    about = "Train spiking neural networks on MNIST with Burn"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: train::TrainArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Train a network (the default command).
    Train(train::TrainArgs),
    /// Test-set (or validation) accuracy, loss, per-class accuracy and confusion matrix of a
    /// trained run.
    Eval(eval::EvalArgs),
    /// Time full training steps of a config on one backend (see `cargo xtask bench`).
    Bench(bench::BenchArgs),
    /// Time one Linear(n, n) → LIF layer, forward + backward (the Open Neuromorphic library
    /// benchmark's workload; defaults to its shape: n = 16,384, T = 500, batch 16).
    BenchLayer(bench_layer::BenchLayerArgs),
    /// Check that a backend computes what the reference computes (fused LIF scan vs per-step
    /// loop, Poisson kernel vs host generator) and time the LIF scan: "does my GPU work?".
    SelfTest(self_test::SelfTestArgs),
    /// Figures of a run into RUN_DIR/figures (also made at the end of training).
    Plot(RunOnTest),
    /// Firing rates, synaptic operations and energy estimate of a run (writes report.json).
    Report(report::ReportArgs),
    /// Train a grid of variants of a config (steps × encoders × firing-rate penalty weights) and
    /// the same layers as an ANN; writes sweep.csv and a Pareto figure of test accuracy against
    /// estimated energy per inference.
    Sweep(sweep::SweepArgs),
    /// Write a trained run for other tools: a NIR graph (snnTorch, Norse, SpikingJelly, Sinabs,
    /// Lava, neuromorphic chips) or its weights as safetensors with PyTorch names and layouts.
    Export(export::ExportArgs),
    /// Build a run directory from a NIR file (then eval, report, plot or predict it).
    Import(import::ImportArgs),
    /// Class probabilities for one image (28×28 grayscale PNG, or any size, resized).
    Predict(predict::PredictArgs),
}

/// Runs the command `cli` names.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => train::run(cli.train),
        Some(Command::Train(args)) => train::run(args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::BenchLayer(args)) => bench_layer::run(args),
        Some(Command::SelfTest(args)) => self_test::run(args),
        Some(Command::Plot(args)) => plot::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Sweep(args)) => sweep::run(args),
        Some(Command::Export(args)) => export::run(args),
        Some(Command::Import(args)) => import::run(args),
        Some(Command::Predict(args)) => predict::run(args),
    }
}

/// A config, the backend it runs on and the data it reads (train, bench).
#[derive(Args, Clone)]
pub struct ConfigOn {
    /// Compute backend.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Run configuration (TOML).
    #[arg(long, value_name = "FILE", default_value = "configs/seed.toml")]
    pub config: PathBuf,
    /// Data directory (IDX files, raw or .gz).
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    pub data: PathBuf,
}

/// A finished run, the backend to load it on and the data directory (eval, plot, report).
#[derive(Args, Clone)]
pub struct RunArgs {
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    pub data: PathBuf,
}

/// A finished run and the first test images it is run on (eval, plot).
#[derive(Args, Clone)]
pub struct RunOnTest {
    #[command(flatten)]
    pub on: RunArgs,
    /// Use only the first N test images [default: the run's train.test_limit, else all].
    #[arg(long, value_name = "N")]
    pub test_limit: Option<usize>,
}

impl RunOnTest {
    /// The run opened on its backend, and its test split (the images the run was tested on,
    /// unless --test-limit says otherwise).
    pub fn open(&self) -> Result<(crate::run::Run, crate::data::ImageDataset)> {
        let backend = self.on.backend.resolve()?;
        let run = crate::run::Run::open(&self.on.run, &backend.device)?;
        let limit = self.test_limit.or(run.config.train.test_limit);
        let test = run.test_data(&self.on.data, limit)?;
        Ok((run, test))
    }
}

/// Parses a kebab-case name of a config enum (`fused`, `dense`, …) with its serde names, so the
/// flags accept exactly what config files do.
pub fn parse_kebab<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    T::deserialize(s.into_deserializer()).map_err(|e: serde::de::value::Error| e.to_string())
}
