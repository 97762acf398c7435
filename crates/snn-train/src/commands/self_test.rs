//! `snn-train self-test`: the conformance checks on one backend, with the LIF scan timed.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use crate::platform::backend::BackendChoice;

#[derive(Args)]
pub struct SelfTestArgs {
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// Also write the report as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Skip the timing of the LIF scan.
    #[arg(long)]
    no_timing: bool,
}

pub fn run(args: SelfTestArgs) -> Result<()> {
    let backend = args.backend.resolve()?;
    let report = crate::bench::self_test::run(&backend, !args.no_timing)?;
    if let Some(path) = &args.json {
        crate::bench::self_test::write_json(&report, path)?;
    }
    let (failures, checks) = (report.failures(), report.checks.len());
    if failures > 0 {
        bail!(
            "self-test on {}: {failures} of {checks} checks failed (see the FAIL lines above)",
            report.backend
        );
    }
    let detail = match report.detail.is_empty() {
        true => String::new(),
        false => format!(" ({})", report.detail),
    };
    println!(
        "self-test on {}{detail}: all {checks} checks passed",
        report.backend
    );
    Ok(())
}
