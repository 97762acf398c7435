//! `snn-train eval`: prints a trained run's test accuracy, loss, per-class accuracy and
//! confusion matrix.

use anyhow::Result;

use super::RunOnTest;
use crate::analysis::eval::evaluate;

pub fn run(args: RunOnTest) -> Result<()> {
    let (run, test) = args.open()?;
    println!("{}", evaluate(&run, &test)?.table());
    Ok(())
}
