//! The run directory: file names, atomic writes, `metrics.csv` and `summary.json`.
//!
//! ```text
//! RUN_DIR/config.toml        resolved config
//! RUN_DIR/metrics.csv        epoch,split,loss,accuracy,rate_<layer>…,seconds,images_per_s
//! RUN_DIR/summary.json       final figures (see RunSummary)
//! RUN_DIR/model.bpk          final weights (burnpack)
//! RUN_DIR/checkpoint/        Burn checkpoints: epoch-<N>/{model,optim,scheduler}.bpk
//! RUN_DIR/.lock              held by the process writing the run (see RunLock)
//! RUN_DIR/events.out.tfevents.*   TensorBoard scalars
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const CONFIG_FILE: &str = "config.toml";
pub const METRICS_FILE: &str = "metrics.csv";
pub const SUMMARY_FILE: &str = "summary.json";
pub const MODEL_FILE: &str = "model.bpk";
pub const CHECKPOINT_DIR: &str = "checkpoint";

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file and a crash leaves the old file (or none).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    // Temporary files are created owner-only; the file we put in place is an ordinary one.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    }
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot move the new {} into place", path.display()))?;
    Ok(())
}

/// Final figures of a run (`summary.json`). Accuracies are percentages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub test_accuracy: f64,
    pub test_loss: f64,
    pub epochs: usize,
    pub wall_seconds: f64,
    pub train_images_per_s: f64,
    pub backend: String,
    pub seed: u64,
}

impl RunSummary {
    pub fn save(&self, run_dir: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self).expect("summary serialises");
        write_atomic(&run_dir.join(SUMMARY_FILE), json.as_bytes())
    }

    pub fn load(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(SUMMARY_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("invalid {}", path.display()))
    }
}

/// One row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub epoch: usize,
    pub split: String,
    /// `(column, value)` in column order, without `epoch` and `split`.
    pub values: Vec<(String, f64)>,
}

impl MetricsRow {
    pub fn get(&self, column: &str) -> Option<f64> {
        self.values
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| *v)
    }
}

/// Reads `metrics.csv` (rows that do not parse, e.g. a line cut by a crash, are dropped).
pub fn read_metrics(run_dir: &Path) -> Result<Vec<MetricsRow>> {
    let path = run_dir.join(METRICS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Ok(Vec::new());
    };
    let columns: Vec<&str> = header.split(',').collect();
    let rows = lines
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != columns.len() || columns.len() < 2 {
                return None;
            }
            let epoch = cells[0].parse().ok()?;
            let values = columns[2..]
                .iter()
                .zip(&cells[2..])
                .map(|(c, v)| Some((c.to_string(), v.parse().ok()?)))
                .collect::<Option<Vec<_>>>()?;
            Some(MetricsRow {
                epoch,
                split: cells[1].to_string(),
                values,
            })
        })
        .collect();
    Ok(rows)
}

/// Rewrites `metrics.csv` keeping only the rows of epochs `≤ last_epoch` (used by `--resume`).
pub fn truncate_metrics(run_dir: &Path, last_epoch: usize) -> Result<()> {
    let rows = read_metrics(run_dir)?;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<String> = first.values.iter().map(|(c, _)| c.clone()).collect();
    let kept: Vec<MetricsRow> = rows.into_iter().filter(|r| r.epoch <= last_epoch).collect();
    let mut text = csv_header(&columns);
    for row in &kept {
        text.push_str(&csv_line(row));
    }
    write_atomic(&run_dir.join(METRICS_FILE), text.as_bytes())
}

pub fn csv_header(columns: &[String]) -> String {
    format!("epoch,split,{}\n", columns.join(","))
}

pub fn csv_line(row: &MetricsRow) -> String {
    let values: Vec<String> = row.values.iter().map(|(_, v)| format!("{v}")).collect();
    format!("{},{},{}\n", row.epoch, row.split, values.join(","))
}

/// The newest epoch of `run_dir` with a committed checkpoint set (see [`crate::checkpoint`]).
pub fn last_checkpoint(run_dir: &Path) -> Option<usize> {
    crate::checkpoint::last_committed(&run_dir.join(CHECKPOINT_DIR))
}

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

/// Lock file of a run directory.
pub const LOCK_FILE: &str = ".lock";

/// An exclusive lock on a run directory, held by the process that writes into it (training,
/// resume, plot, report) and released when dropped or when the process dies. The lock file is
/// never removed (removing it would let a second process lock a new file while the first still
/// writes).
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    pub fn acquire(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "{} is in use by another snn-train process (it holds {}); wait for it to \
                 finish, or use another run directory",
                run_dir.display(),
                path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}
