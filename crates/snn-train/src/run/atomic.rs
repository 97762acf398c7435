//! Files written whole: through a temporary file beside the target and a rename, so a reader
//! never sees a half-written file and a crash leaves the old file (or none). [`partial_path`]
//! names the scratch file of a writer that saves through its own API (Burn's records).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The scratch name of `path` while it is written (`model.bpk` → `model.bpk.partial`).
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(PARTIAL_SUFFIX);
    path.with_file_name(name)
}

/// What [`partial_path`] appends.
pub const PARTIAL_SUFFIX: &str = ".partial";

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
