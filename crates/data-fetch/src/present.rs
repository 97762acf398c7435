//! What is already at each data file's place in the output directory, and the refusal to replace
//! another IDX data set's files.
//!
//! Contract: a present file that is a valid IDX file (it parses as IDX images or labels with
//! `mnist-idx`, raw or gzip) but not the requested data set's verified file (e.g. Fashion-MNIST
//! when fetching MNIST, or MNIST when fetching Fashion-MNIST) is never replaced without `force`:
//! [`refuse_foreign`] stops the run before anything is fetched or changed. When every such file
//! is recognised as one other known data set (MNIST by its pins, Fashion-MNIST by its record),
//! the error is one line naming the directory, that data set and the fix
//! ([`FetchError::ForeignDataSet`]); otherwise it names every such file
//! ([`FetchError::ForeignFiles`]). Files that are not valid IDX (corrupt, truncated, a stale
//! partial copy) are replaced, and so is the data set's own file stored gzip-compressed.

use std::fs::File;
use std::io::{self, BufReader, Read as _, Seek as _};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{FetchError, ForeignFile};
use crate::files::Record;
use crate::mnist::{DATA_SETS, DataSet, IdxFile, Pinned, Shape};
use crate::verify::{self, Pin};

/// What is at an output path before fetching.
#[derive(Debug)]
pub(crate) enum Present {
    Missing,
    /// The data set's verified file.
    Verified,
    /// Not the data set's file and not a valid IDX file (corrupt, truncated, unreadable), or the
    /// data set's file gzip-compressed: replaced.
    Invalid(FetchError),
    /// A valid IDX file that is not the data set's, described (`60000 images of 28x28`), and the
    /// name of the known data set it belongs to, if recognised: replaced only with `force`.
    Foreign {
        what: String,
        known: Option<&'static str>,
    },
}

/// Classifies what is at `out/<file.name>` when fetching `ds`.
pub(crate) fn inspect(ds: &DataSet, record: &Record, out: &Path, file: &IdxFile) -> Present {
    let path = out.join(file.name);
    if !path.exists() {
        return Present::Missing;
    }
    let err = match verify_present(ds, record, &path, file) {
        Ok(()) => return Present::Verified,
        Err(err) => err,
    };
    match describe_idx(&path, file.shape) {
        Ok(what) if !is_gzipped_own(ds, &path, file) => Present::Foreign {
            what,
            known: identify(ds, out, &path, file.name),
        },
        // A gz-pinned data set has no digest for a raw file it did not record; what makes
        // such a file invalid is that it is not valid IDX.
        Err(idx_err) if ds.pinned == Pinned::Gz && record.sha(file.name).is_none() => {
            Present::Invalid(idx_err)
        }
        _ => Present::Invalid(err),
    }
}

/// `Ok` iff the uncompressed file at `path` is `ds`'s `file`: its pinned size and SHA-256
/// ([`Pinned::Raw`]), or the SHA-256 in `record` ([`Pinned::Gz`]).
fn verify_present(
    ds: &DataSet,
    record: &Record,
    path: &Path,
    file: &IdxFile,
) -> Result<(), FetchError> {
    match ds.pinned {
        Pinned::Raw => verify::verify_file(path, file),
        Pinned::Gz => {
            let Some(recorded) = record.sha(file.name) else {
                return Err(FetchError::NotRecorded {
                    manifest: ds.manifest_name(),
                    file: file.name,
                });
            };
            // The record is this command's own, so its SHA-256 alone identifies the file.
            let digest = verify::hash_file(path, file.shape.raw_size() + 1)?;
            verify::check_digest(
                &digest,
                Pin {
                    size: digest.size,
                    sha256: recorded,
                },
            )
        }
    }
}

/// `"60000 images of 28x28"` or `"60000 labels"` if `path` is a valid IDX image or label file
/// (raw or gzip), whatever its name says it should hold; else the error of reading it as what
/// `expected` says it should be.
fn describe_idx(path: &Path, expected: Shape) -> Result<String, FetchError> {
    let images = mnist_idx::read_images(path)
        .map(|images| format!("{} images of {}x{}", images.count, images.rows, images.cols));
    let labels = || mnist_idx::read_labels(path).map(|labels| format!("{} labels", labels.len()));
    match (images, expected) {
        (Ok(what), _) => Ok(what),
        (Err(err), Shape::Images { .. }) => labels().map_err(|_| err.into()),
        (Err(_), Shape::Labels { .. }) => labels().map_err(Into::into),
    }
}

/// Whether `path` is `file` itself, gzip-compressed (e.g. a mirror's `.gz` saved without its
/// suffix): that is `ds`, not another data set, so it may be replaced by the uncompressed file.
fn is_gzipped_own(ds: &DataSet, path: &Path, file: &IdxFile) -> bool {
    if ds.pinned == Pinned::Gz {
        return verify::verify_file(path, file).is_ok();
    }
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 2];
    if f.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] || f.rewind().is_err() {
        return false;
    }
    let decoded = MultiGzDecoder::new(BufReader::new(f));
    verify::copy_and_hash(decoded, io::sink(), Path::new("nowhere"), file.size + 1)
        .is_ok_and(|digest| verify::check_digest(&digest, file.into()).is_ok())
}

/// The name of the known data set other than `ds` whose file `name` is at `path` (in `out`):
/// by its pins for [`Pinned::Raw`] sets, by its record in `out` for [`Pinned::Gz`] sets.
fn identify(ds: &DataSet, out: &Path, path: &Path, name: &str) -> Option<&'static str> {
    DATA_SETS
        .iter()
        .filter(|other| other.id != ds.id)
        .find(|other| {
            let Some(file) = other.files.iter().find(|f| f.name == name) else {
                return false;
            };
            match other.pinned {
                Pinned::Raw => verify::verify_file(path, file).is_ok(),
                Pinned::Gz => verify_present(other, &Record::load(out, other), path, file).is_ok(),
            }
        })
        .map(|other| other.name)
}

/// Without `force`: the error naming the valid IDX files in `out` that are not `ds`'s
/// ([`Present::Foreign`] in `found`, which lists `ds`'s files in order), if any. One line when
/// they all belong to one other known data set; otherwise one line per file.
pub(crate) fn refuse_foreign(
    ds: &DataSet,
    out: &Path,
    found: &[Present],
) -> Result<(), FetchError> {
    let files = foreign_files(ds, out, found);
    let Some(first) = files.first() else {
        return Ok(());
    };
    let one_set = first
        .known
        .filter(|_| files.iter().all(|f| f.known == first.known));
    Err(match one_set {
        Some(found) => FetchError::ForeignDataSet {
            out: out.to_path_buf(),
            found,
            files,
            of: ds.files.len(),
            requested: ds.name,
            default_out: ds.default_out,
        },
        None => FetchError::ForeignFiles {
            out: out.to_path_buf(),
            files,
            requested: ds.name,
            pinned: ds.pinned,
            manifest: ds.manifest_name(),
            default_out: ds.default_out,
        },
    })
}

/// The [`Present::Foreign`] entries of `found` (in `ds`'s file order), as [`ForeignFile`]s.
fn foreign_files(ds: &DataSet, out: &Path, found: &[Present]) -> Vec<ForeignFile> {
    ds.files
        .iter()
        .zip(found)
        .filter_map(|(file, found)| match found {
            Present::Foreign { what, known } => Some(ForeignFile {
                path: out.join(file.name),
                name: file.name,
                holds: what.clone(),
                known: *known,
            }),
            _ => None,
        })
        .collect()
}
