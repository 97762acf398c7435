//! `snn-train predict`: class probabilities for one image, with the run's class names.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::analysis::predict::predict;
use crate::platform::backend::BackendChoice;
use crate::run::Run;

#[derive(Args)]
pub struct PredictArgs {
    #[arg(long, value_name = "RUN_DIR")]
    run: PathBuf,
    image: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// Poisson draws averaged over.
    #[arg(long, default_value_t = 8)]
    samples: usize,
}

pub fn run(args: PredictArgs) -> Result<()> {
    let backend = args.backend.resolve()?;
    let run = Run::open(&args.run, &backend.device)?;
    let probs = predict(&run, &args.image, args.samples)?;
    let best = (probs.iter().enumerate())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    // The training data's class names, when it had a classes.txt.
    let names = crate::data::read_class_names(&run.dir)?;
    println!("class  probability");
    for (c, p) in probs.iter().enumerate() {
        let name = match names.as_ref().and_then(|n| n.get(c)) {
            Some(name) if *name != c.to_string() => format!(" {name}"),
            _ => String::new(),
        };
        let mark = if c == best { "  <- predicted" } else { "" };
        println!("{c:>5}  {p:.4}{mark}{name}");
    }
    Ok(())
}
