//! `snn-train import`: a run directory built from a NIR file.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use snn_model::EncoderConfig;

use crate::interop::nir_import::ImportOptions;

#[derive(Args)]
pub struct ImportArgs {
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
    #[arg(long, value_parser = parse_encoder)]
    encoder: Option<EncoderConfig>,
}

fn parse_encoder(name: &str) -> Result<EncoderConfig, String> {
    name.parse().map_err(|e| format!("{e}"))
}

pub fn run(args: ImportArgs) -> Result<()> {
    let options = ImportOptions {
        dt: args.dt,
        steps: args.steps,
        encoder: args.encoder,
    };
    crate::interop::import(&args.input, &args.out, &options)?;
    let (input, out) = (args.input.display(), args.out.display());
    println!("imported {input} into {out} (evaluate it with `snn-train eval --run {out}`)");
    Ok(())
}
