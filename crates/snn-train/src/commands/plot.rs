//! `snn-train plot`: the figures of a trained run into `RUN_DIR/figures`.

use anyhow::Result;

use super::RunOnTest;
use crate::run::RunLock;

pub fn run(args: RunOnTest) -> Result<()> {
    let (run, test) = args.open()?;
    let _lock = RunLock::acquire(&args.on.run)?;
    crate::analysis::plot::plot(&run, &test)?;
    println!(
        "figures written to {}",
        args.on.run.join("figures").display()
    );
    Ok(())
}
