//! `snn-train export`: a trained run as a NIR graph or as safetensors.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::interop::ExportFormat;

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long, value_name = "RUN_DIR")]
    run: PathBuf,
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Seconds per step that NIR's time constants assume (τ = dt/(1 − β)), as snnTorch.
    #[arg(long, default_value_t = 1e-4)]
    dt: f64,
    /// The file to write (must not exist).
    out: PathBuf,
}

pub fn run(args: ExportArgs) -> Result<()> {
    for warning in crate::interop::export(&args.run, args.format, args.dt, &args.out)? {
        eprintln!("warning: {warning}");
    }
    println!("wrote {}", args.out.display());
    Ok(())
}
