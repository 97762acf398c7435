//! `--resume`: the checks a run directory must pass before anything in it is touched (a newest
//! complete checkpoint set, readable, whose weights fit the config; epochs left to train), and
//! the cut back to that checkpoint: scratch files of the killed process removed, `metrics.csv`
//! and the TensorBoard files cut to the epochs it holds, so nothing is logged twice.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::config::RunConfig;
use crate::run::atomic::partial_path;
use crate::run::metrics_csv::truncate_metrics;
use crate::run::{
    CHECKPOINT_DIR, CONFIG_FILE, MODEL_FILE, checkpoint, last_checkpoint, load_weights,
};

/// The epoch `--resume` continues after: the newest complete checkpoint set of `run_dir`, with
/// all three files readable and the weights fitting `config`. Reads only.
pub fn check_resumable(
    run_dir: &Path,
    config: &RunConfig,
    device: &burn::tensor::Device,
) -> Result<usize> {
    let Some(epoch) = last_checkpoint(run_dir) else {
        bail!(
            "{}: no complete checkpoint to resume from (the run stopped before its first \
             epoch ended); start it again without --resume",
            run_dir.display()
        );
    };
    if epoch >= config.train.epochs {
        bail!(
            "{}: already trained {epoch} of {} epochs; pass --epochs N (N > {epoch}) to \
             train further",
            run_dir.display(),
            config.train.epochs
        );
    }
    let config_file = run_dir.join(CONFIG_FILE);
    let autodiff = device.clone().autodiff();
    checkpoint::verify(&run_dir.join(CHECKPOINT_DIR), epoch, &|model_file| {
        load_weights(config, &config_file, model_file, &autodiff).map(|_| ())
    })?;
    Ok(epoch)
}

/// Cuts `run_dir` back to the end of `epoch`, whose batches per split are `batches`.
pub fn cut_back(run_dir: &Path, epoch: usize, batches: &HashMap<String, usize>) -> Result<()> {
    checkpoint::clean(&run_dir.join(CHECKPOINT_DIR))?;
    let partial_model = partial_path(&run_dir.join(MODEL_FILE));
    if partial_model.exists() {
        std::fs::remove_file(&partial_model)
            .with_context(|| format!("cannot remove {}", partial_model.display()))?;
    }
    truncate_metrics(run_dir, epoch)?;
    // Epoch scalars (`epoch/...`) are stepped by epoch, batch scalars (`<split>/...`) by batch.
    let last_step: HashMap<&str, i64> = (batches.iter())
        .map(|(split, n)| (split.as_str(), (epoch * n) as i64))
        .collect();
    let keep = |tag: &str, step: i64| {
        if tag.starts_with("epoch/") {
            return step <= epoch as i64;
        }
        let split = tag.split_once('/').map(|(s, _)| s);
        split
            .and_then(|s| last_step.get(s))
            .is_none_or(|&limit| step <= limit)
    };
    tfevents::retain_scalars(run_dir, keep).with_context(|| {
        format!(
            "cannot cut back the TensorBoard files of {}",
            run_dir.display()
        )
    })
}
