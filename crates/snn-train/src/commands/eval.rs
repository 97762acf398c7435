//! `snn-train eval`: prints a trained run's accuracy, loss, per-class accuracy and confusion
//! matrix on the test split, or on the validation examples it held out (`--split valid`).

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::RunOnTest;
use crate::analysis::eval::evaluate_split;

#[derive(Args, Clone)]
pub struct EvalArgs {
    #[command(flatten)]
    pub on: RunOnTest,
    /// Which examples: the test split, or the run's validation examples (held out of the
    /// training split as at training time; --test-limit does not apply).
    #[arg(long, value_enum, default_value = "test")]
    pub split: EvalSplit,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EvalSplit {
    Test,
    Valid,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let (run, test) = args.on.open()?;
    let evaluation = match args.split {
        EvalSplit::Test => evaluate_split(&run, &test, "test")?,
        EvalSplit::Valid => {
            let valid = run.valid_data(&args.on.on.data)?;
            evaluate_split(&run, &valid, "valid")?
        }
    };
    println!("{}", evaluation.table());
    Ok(())
}
