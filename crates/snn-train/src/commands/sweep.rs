//! `snn-train sweep`: a grid of variants of a config and the same layers as an ANN, measured
//! and drawn as an accuracy–energy front; or, for a sweep run elsewhere, its plan (`--plan`) and
//! its results from the finished runs (`--collect`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::config::RunConfig;
use crate::platform::backend::BackendChoice;
use crate::sweep::distributed::{collect, write_plan};
use crate::sweep::{SweepPoint, SweepRequest};

#[derive(Args)]
pub struct SweepArgs {
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// The config varied.
    #[arg(long, value_name = "FILE", default_value = "configs/sweep-fc.toml")]
    config: PathBuf,
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    data: PathBuf,
    /// New or empty directory for the sweep's runs and results.
    #[arg(long, value_name = "DIR", required_unless_present = "collect")]
    out: Option<PathBuf>,
    /// Train nothing: write the points' configs into --out and one `snn-train` command per
    /// point into FILE, for GNU parallel, a Slurm job array or any batch system to run.
    #[arg(long, value_name = "FILE", conflicts_with = "collect")]
    plan: Option<PathBuf>,
    /// Train nothing: build sweep.csv and the Pareto figure of a planned sweep in DIR from its
    /// finished run directories.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    collect: Option<PathBuf>,
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
}

pub fn run(args: SweepArgs) -> Result<()> {
    let backend = args.backend.resolve()?;
    if let Some(dir) = &args.collect {
        let points = collect(dir, &backend, &args.data, args.images)?;
        for p in &points {
            println!("{}", point_line(p));
        }
        println!(
            "results in {} (sweep.csv, pareto.png, pareto.svg)",
            dir.display()
        );
        return Ok(());
    }
    let req = SweepRequest {
        base: RunConfig::load(&args.config)?,
        base_origin: args.config.display().to_string(),
        backend,
        data_dir: args.data.clone(),
        out: args.out.clone().context("--out DIR is needed")?,
        steps: args.steps.clone(),
        encoders: args.encoders.clone(),
        sparsity_weights: args.sparsity.clone(),
        budget: args.budget.map(Into::into),
        report_images: args.images,
    };
    if let Some(file) = &args.plan {
        let names = write_plan(&req, file)?;
        println!(
            "{}: {} commands, one a point ({}); when they have run: snn-train sweep --collect {}",
            file.display(),
            names.len(),
            names.join(", "),
            req.out.display()
        );
        return Ok(());
    }
    let (points, left_out) = crate::sweep::run(&req)?;
    for p in &points {
        println!("{}", point_line(p));
    }
    if !left_out.is_empty() {
        let why = match args.budget {
            Some(budget) if !crate::train::ctrl_c_pressed() => format!("by the {budget} budget"),
            _ => "after Ctrl-C".to_string(),
        };
        println!("left out {why}: {}", left_out.join(", "));
    }
    let out = req.out.display();
    println!("results in {out} (sweep.csv, pareto.png, pareto.svg)");
    Ok(())
}

fn point_line(p: &SweepPoint) -> String {
    format!(
        "{:<22} valid {:6.2}%  test {:6.2}%  energy {:9.1} nJ  ({:.3} of the ANN)  {:5.0} s",
        p.name,
        p.valid_accuracy,
        p.test_accuracy,
        p.energy_nj,
        p.energy_nj / p.ann_energy_nj,
        p.seconds
    )
}
