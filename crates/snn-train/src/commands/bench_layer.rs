//! `snn-train bench-layer`: one Linear(n, n) → LIF layer timed, forward + backward.

use anyhow::Result;
use clap::Args;
use snn_model::LifImpl;

use super::parse_kebab;
use crate::bench::layer::{LayerBenchRequest, result_line};
use crate::platform::backend::BackendChoice;

#[derive(Args)]
pub struct BenchLayerArgs {
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
    #[arg(long, value_parser = parse_kebab::<LifImpl>, default_value = "fused")]
    lif: LifImpl,
}

pub fn run(args: BenchLayerArgs) -> Result<()> {
    let req = LayerBenchRequest {
        backend: args.backend.resolve()?,
        neurons: args.neurons,
        steps: args.steps,
        batch: args.batch,
        warmup: args.warmup,
        repeats: args.repeats,
        lif: args.lif,
    };
    let result = crate::bench::layer::run(&req)?;
    let samples: Vec<String> = (result.samples_ms.iter())
        .map(|s| format!("{s:.1}"))
        .collect();
    eprintln!("samples (ms): {}", samples.join(" "));
    println!("{}", result_line(&req, &result));
    Ok(())
}
