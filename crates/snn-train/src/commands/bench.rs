//! `snn-train bench`: full training and inference steps of a config timed on one backend.

use anyhow::Result;
use clap::Args;
use snn_model::{LifImpl, Projection};

use super::{ConfigOn, parse_kebab};
use crate::bench::step::{BenchRequest, result_line};
use crate::config::{Overrides, RunConfig};
use crate::data::batcher::DataPath;

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    on: ConfigOn,
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
    #[arg(long, value_parser = parse_kebab::<LifImpl>)]
    lif: Option<LifImpl>,
    /// Override the projection (auto, dense, sparse).
    #[arg(long, value_parser = parse_kebab::<Projection>)]
    projection: Option<Projection>,
    /// Where batches are assembled: host (pixels converted on the CPU, f32 upload per
    /// batch) or device (data set uploaded once, u8 where supported; batches gathered and
    /// shifted there; rotated or scaled training batches are built on the host). Default:
    /// device on wgpu and cuda, host on CPU backends.
    #[arg(long, value_enum)]
    data_path: Option<DataPath>,
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long)]
    batch_size: Option<usize>,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let overrides = Overrides {
        steps: args.steps,
        batch_size: args.batch_size,
        ..Overrides::default()
    };
    let config = RunConfig::load(&args.on.config)?.with_overrides(&overrides)?;
    let req = BenchRequest {
        config,
        backend: args.on.backend.resolve()?,
        data_dir: args.on.data,
        warmup: args.warmup,
        repeats: args.repeats,
        batches: args.batches,
        lif: args.lif,
        projection: args.projection,
        data_path: args.data_path,
    };
    let result = crate::bench::step::run(&req)?;
    let launches = &result.train_launches;
    if launches.total > 0 {
        let (n, top) = (launches.total, launches.top(usize::MAX));
        eprintln!(
            "kernel launches of {} training steps: {n} ({top})",
            req.batches
        );
    }
    let samples: Vec<String> = result.samples.iter().map(|s| format!("{s:.0}")).collect();
    eprintln!("samples (images/s): {}", samples.join(" "));
    println!("{}", result_line(&req, &result));
    Ok(())
}
