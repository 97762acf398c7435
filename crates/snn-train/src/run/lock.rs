//! The lock of a run directory, held by the one process writing it.

use std::path::Path;

use anyhow::{Context, Result, bail};

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
