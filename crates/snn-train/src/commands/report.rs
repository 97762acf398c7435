//! `snn-train report`: firing rates, synaptic operations and the energy estimate of a trained
//! run, printed and written to `RUN_DIR/report.json`.

use anyhow::{Result, bail};
use clap::Args;

use super::RunArgs;
use crate::analysis::energy::EnergyCosts;
use crate::run::{Run, RunLock};

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    on: RunArgs,
    /// Test images measured.
    #[arg(long, default_value_t = 1000)]
    images: usize,
    /// Energy of one accumulate (a synaptic operation), in pJ [default: 0.9, 45 nm, Horowitz
    /// ISSCC 2014].
    #[arg(long, value_name = "PJ")]
    ac_pj: Option<f64>,
    /// Energy of one multiply-accumulate, in pJ [default: 4.6, 45 nm, Horowitz ISSCC 2014].
    #[arg(long, value_name = "PJ")]
    mac_pj: Option<f64>,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let default = EnergyCosts::default();
    let costs = EnergyCosts {
        ac_pj: args.ac_pj.unwrap_or(default.ac_pj),
        mac_pj: args.mac_pj.unwrap_or(default.mac_pj),
    };
    for (flag, value) in [("--ac-pj", costs.ac_pj), ("--mac-pj", costs.mac_pj)] {
        if !(value.is_finite() && value > 0.0) {
            bail!("{flag} {value}: an energy per operation must be a number of pJ > 0");
        }
    }
    let backend = args.on.backend.resolve()?;
    let run = Run::open(&args.on.run, &backend.device)?;
    let test = run.test_data(&args.on.data, Some(args.images))?;
    let _lock = RunLock::acquire(&args.on.run)?;
    let report = crate::analysis::report::report(&run, &test, args.images, costs)?;
    print!("{}", report.text());
    Ok(())
}
