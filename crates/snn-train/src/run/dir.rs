//! The run directory: its files' names, a new directory for a run, and the check that `--out`
//! may receive one.
//!
//! ```text
//! RUN_DIR/config.toml        resolved config
//! RUN_DIR/metrics.csv        epoch,split,loss,accuracy,rate_<layer>…,seconds,images_per_s
//! RUN_DIR/summary.json       final figures (see RunSummary)
//! RUN_DIR/model.bpk          final weights (burnpack)
//! RUN_DIR/checkpoint/        Burn checkpoints: epoch-<N>/{model,optim,scheduler}.bpk
//! RUN_DIR/.lock              held by the process writing the run (see RunLock)
//! RUN_DIR/events.out.tfevents.*   TensorBoard scalars
//! RUN_DIR/classes.txt        the data's class names, when it has them
//! RUN_DIR/figures/, report.json   figures and the spike report
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub const CONFIG_FILE: &str = "config.toml";
pub const METRICS_FILE: &str = "metrics.csv";
pub const SUMMARY_FILE: &str = "summary.json";
pub const MODEL_FILE: &str = "model.bpk";
pub const CHECKPOINT_DIR: &str = "checkpoint";

/// Creates a new run directory `<runs>/<config-stem>-<UTC timestamp>` (`-2`, `-3`, … appended
/// when another run took that name in the same second) and returns it. The directory is created
/// by this call, so two runs started together never share one.
pub fn create_default_run_dir(runs: &Path, config_stem: &str) -> Result<PathBuf> {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let stamp: String = now
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        .replace('T', "-");
    std::fs::create_dir_all(runs).with_context(|| format!("cannot create {}", runs.display()))?;
    for n in 1.. {
        let name = match n {
            1 => format!("{config_stem}-{stamp}"),
            n => format!("{config_stem}-{stamp}-{n}"),
        };
        let dir = runs.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
        }
    }
    unreachable!("the loop returns")
}

/// Checks that `--out DIR` may receive a new run: it does not exist, or is an empty directory.
/// A run there is pointed to `--resume`; anything else is refused, so no foreign file is ever
/// appended to or replaced.
pub fn check_new_run_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        bail!("--out {}: exists and is not a directory", dir.display());
    }
    if dir.join(CONFIG_FILE).exists() {
        bail!(
            "{} already holds a run; choose another --out or continue it with --resume",
            dir.display()
        );
    }
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the directory {}", dir.display()))?;
    if let Some(entry) = entries.next() {
        let first = entry.map(|e| e.file_name().to_string_lossy().into_owned());
        bail!(
            "--out {}: the directory holds files ({}…) but no run ({CONFIG_FILE}); choose a new \
             or empty directory",
            dir.display(),
            first.unwrap_or_default()
        );
    }
    Ok(())
}
