//! Copies from a local directory ([`Source::LocalDir`](crate::Source::LocalDir), `--from`),
//! holding each file as `<name>` or `<name>.gz`.
//!
//! Contract: the raw file is tried first for data sets pinned by their uncompressed files, the
//! `.gz` first for those pinned by their `.gz` (its pin is the stronger check); the first copy
//! that verifies is installed ([`files::install`]). A raw file of a data set pinned by its `.gz`
//! is checked only as a valid IDX file of the right shape, and a line says so. Each failure is
//! printed as it happens; when no copy verifies, the error lists each one.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::error::{CopyFailure, FetchError};
use crate::files::{self, Encoding, Staged};
use crate::mnist::{DataSet, IdxFile, Pinned};

/// Installs `file` from `dir/<name>` or `dir/<name>.gz`: the raw file first for
/// [`Pinned::Raw`] data sets, the `.gz` first for [`Pinned::Gz`] ones (its pin is the stronger
/// check).
pub(crate) fn copy_from_dir(
    dir: &Path,
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged, FetchError> {
    let raw = (dir.join(file.name), Encoding::Raw);
    let gz = (dir.join(format!("{}.gz", file.name)), Encoding::Gz);
    if !raw.0.is_file() && !gz.0.is_file() {
        return Err(FetchError::NotInDir {
            file: file.name,
            dir: dir.to_path_buf(),
        });
    }
    let order = match ds.pinned {
        Pinned::Raw => [raw, gz],
        Pinned::Gz => [gz, raw],
    };
    let mut failures = Vec::new();
    for (path, encoding) in order {
        if !path.is_file() {
            continue;
        }
        match copy_file(&path, encoding, ds, file, out) {
            Ok(staged) => return Ok(staged),
            Err(error) => {
                eprintln!("{} from {}: {error}", file.name, path.display());
                failures.push(CopyFailure { path, error });
            }
        }
    }
    Err(FetchError::NoValidCopy {
        file: file.name,
        dir: dir.to_path_buf(),
        failures,
    })
}

/// Installs `file` from the copy at `path` (encoded as `encoding`) and says how it was checked.
fn copy_file(
    path: &Path,
    encoding: Encoding,
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged, FetchError> {
    let f = File::open(path).map_err(|source| FetchError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let staged = files::install(BufReader::new(f), encoding, ds, file, out)?;
    if staged.pinned {
        eprintln!("{}: copied from {}, verified", file.name, path.display());
    } else {
        eprintln!(
            "{}: copied from {}, checked only as a valid IDX file of {} ({} pins the .gz files: \
             give {}.gz for a SHA-256 check)",
            file.name,
            path.display(),
            file.shape,
            ds.name,
            file.name
        );
    }
    Ok(staged)
}
