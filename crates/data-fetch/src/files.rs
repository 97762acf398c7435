//! Files written into the output directory: data files staged and verified under a temporary
//! name, `classes.txt`, the SHA-256 record, and the removal of what interrupted runs left.
//!
//! Contract: a file is only ever created under its final name by renaming a fully written (for
//! data files: verified) temporary file `.<name>.part-<pid>` in the same directory; so are
//! `classes.txt` and the record. Temporaries are deleted on every error path; one left behind by
//! a killed process is hidden, never has a data file's name, and is removed at the start of the
//! next run (so concurrent runs into one directory are not supported).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::FetchError;
use crate::mnist::{CLASSES_FILE, DATA_SETS, DataSet, IdxFile, Pinned};
use crate::verify::{self, Digest};

/// How a source stream is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Raw,
    Gz,
}

/// A verified file, still under its temporary name: [`PartFile::persist`] puts it in place
/// (after its SHA-256 is recorded, for [`Pinned::Gz`] data sets); dropped, it is deleted.
pub(crate) struct Staged {
    pub(crate) part: PartFile,
    /// Size and SHA-256 of the uncompressed file.
    pub(crate) digest: Digest,
    /// Whether it was checked against a pin (else only as a valid IDX file of the right shape).
    pub(crate) pinned: bool,
}

/// Writes the uncompressed content of `reader` (encoded as `encoding`) to a temporary file in
/// `out` and verifies it as `ds`'s `file` (see the [crate docs](crate)). On any error the
/// temporary is removed; `out/<name>` is untouched either way.
pub(crate) fn install(
    reader: impl Read,
    encoding: Encoding,
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged, FetchError> {
    let part = PartFile::create(out, file.name)?;
    let writer = BufWriter::new(part.file());
    let raw_limit = match ds.pinned {
        Pinned::Raw => file.size,
        Pinned::Gz => file.shape.raw_size(),
    } + 1;
    let (digest, pinned) = match (ds.pinned, encoding) {
        (Pinned::Raw, Encoding::Raw) => {
            let digest = verify::copy_and_hash(reader, writer, &part.path, raw_limit)?;
            verify::check_digest(&digest, file.into())?;
            (digest, true)
        }
        (Pinned::Raw, Encoding::Gz) => {
            let decoded = MultiGzDecoder::new(reader);
            let digest = verify::copy_and_hash(decoded, writer, &part.path, raw_limit)?;
            verify::check_digest(&digest, file.into())?;
            (digest, true)
        }
        (Pinned::Gz, Encoding::Gz) => {
            let digest = verify::gunzip_pinned(reader, writer, &part.path, file)?;
            (digest, true)
        }
        (Pinned::Gz, Encoding::Raw) => {
            let digest = verify::copy_and_hash(reader, writer, &part.path, raw_limit)?;
            verify::check_unpinned(&part.path, &digest, ds, file)?;
            (digest, false)
        }
    };
    Ok(Staged {
        part,
        digest,
        pinned,
    })
}

/// The SHA-256 of each uncompressed file of a [`Pinned::Gz`] data set written from a verified
/// source, kept in `out/.<id>.sha256` (`sha256sum` format, `<sha256>  <name>` per line). A
/// missing or unreadable record is empty.
#[derive(Debug, Default)]
pub(crate) struct Record {
    /// (name, SHA-256) pairs.
    entries: Vec<(String, String)>,
}

impl Record {
    pub(crate) fn load(out: &Path, ds: &DataSet) -> Self {
        if ds.pinned != Pinned::Gz {
            return Self::default();
        }
        let text = fs::read_to_string(out.join(ds.manifest_name())).unwrap_or_default();
        let entries = text
            .lines()
            .filter_map(|line| line.split_once("  "))
            .filter(|(sha, _)| sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|(sha, name)| (name.to_string(), sha.to_ascii_lowercase()))
            .collect();
        Self { entries }
    }

    pub(crate) fn sha(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, sha)| sha.as_str())
    }

    /// Records `sha256` for `name`; keeps only entries for `ds`'s files, in table order.
    pub(crate) fn set(&mut self, ds: &DataSet, name: &str, sha256: &str) {
        self.entries.retain(|(n, _)| n != name);
        self.entries.push((name.to_string(), sha256.to_string()));
        self.entries = ds
            .files
            .iter()
            .filter_map(|f| self.entries.iter().find(|(n, _)| n == f.name).cloned())
            .collect();
    }

    pub(crate) fn save(&self, out: &Path, ds: &DataSet) -> Result<(), FetchError> {
        let text: String = self
            .entries
            .iter()
            .map(|(name, sha)| format!("{sha}  {name}\n"))
            .collect();
        write_atomic(out, &ds.manifest_name(), text.as_bytes())
    }
}

/// Removes the records of other data sets from `out` (its files are now `ds`'s).
pub(crate) fn remove_other_records(out: &Path, ds: &DataSet) -> Result<(), FetchError> {
    for other in DATA_SETS.iter().filter(|other| other.id != ds.id) {
        let path = out.join(other.manifest_name());
        match fs::remove_file(&path) {
            Ok(()) => eprintln!("removed {} (its files were replaced)", path.display()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(FetchError::Remove { path, source }),
        }
    }
    Ok(())
}

/// Writes `out/classes.txt`: `ds`'s class names, one per line in label order (left alone when
/// it already holds exactly that).
pub(crate) fn write_classes(out: &Path, ds: &DataSet) -> Result<(), FetchError> {
    let text: String = ds.classes.iter().map(|c| format!("{c}\n")).collect();
    if fs::read(out.join(CLASSES_FILE)).is_ok_and(|present| present == text.as_bytes()) {
        return Ok(());
    }
    write_atomic(out, CLASSES_FILE, text.as_bytes())
}

/// Writes `bytes` to `dir/name` through a temporary file renamed into place.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), FetchError> {
    let part = PartFile::create(dir, name)?;
    part.file()
        .write_all(bytes)
        .map_err(|source| FetchError::Write {
            path: part.path.clone(),
            source,
        })?;
    part.persist(&dir.join(name))
}

const PART_INFIX: &str = ".part-";

/// Removes `.<name>.part-*` leftovers of interrupted runs from `out`, for every file this crate
/// writes (any data set's IDX files, `classes.txt`, the records).
pub(crate) fn remove_stale_parts(out: &Path) -> Result<(), FetchError> {
    let mut names: Vec<String> = DATA_SETS
        .iter()
        .flat_map(|ds| ds.files.iter().map(|f| f.name.to_string()))
        .collect();
    names.extend(DATA_SETS.iter().map(|ds| ds.manifest_name()));
    names.push(CLASSES_FILE.to_string());
    let listing = |source: io::Error| FetchError::ListDir {
        path: out.to_path_buf(),
        source,
    };
    for entry in fs::read_dir(out).map_err(listing)? {
        let entry = entry.map_err(listing)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = names.iter().any(|f| {
            name.strip_prefix('.')
                .and_then(|n| n.strip_prefix(f.as_str()))
                .is_some_and(|n| n.starts_with(PART_INFIX))
        });
        if stale {
            let path = entry.path();
            fs::remove_file(&path).map_err(|source| FetchError::RemoveStale {
                path: path.clone(),
                source,
            })?;
            eprintln!("removed stale partial download {}", path.display());
        }
    }
    Ok(())
}

/// A temporary `.<name>.part-<pid>` file; deleted on drop unless persisted.
pub(crate) struct PartFile {
    path: PathBuf,
    file: Option<File>,
}

impl PartFile {
    fn create(dir: &Path, name: &str) -> Result<Self, FetchError> {
        let path = dir.join(format!(".{name}{PART_INFIX}{}", std::process::id()));
        let file = OpenOptions::new().write(true).create_new(true).open(&path);
        match file {
            Ok(file) => Ok(Self {
                path,
                file: Some(file),
            }),
            Err(source) => Err(FetchError::CreateTemp { path, source }),
        }
    }

    fn file(&self) -> &File {
        self.file.as_ref().expect("PartFile used after persist")
    }

    /// Flushes the file to disk and renames it to `dest` (replacing it).
    pub(crate) fn persist(mut self, dest: &Path) -> Result<(), FetchError> {
        let file = self.file.take().expect("PartFile persisted twice");
        file.sync_all().map_err(|source| FetchError::Sync {
            path: self.path.clone(),
            source,
        })?;
        drop(file);
        fs::rename(&self.path, dest).map_err(|source| FetchError::Rename {
            from: self.path.clone(),
            to: dest.to_path_buf(),
            source,
        })?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::{FASHION_MNIST, MNIST_FILES};
    use crate::test_util::{ABC, abc_set, entries};

    #[test]
    fn install_leaves_nothing_on_mismatch_and_renames_on_match() {
        let dir = tempfile::tempdir().unwrap();
        let ds = abc_set();
        assert!(install(&b"xyz"[..], Encoding::Raw, &ds, &ABC, dir.path()).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let staged = install(&b"abc"[..], Encoding::Raw, &ds, &ABC, dir.path()).unwrap();
        assert_eq!(entries(dir.path()).len(), 1);
        assert!(entries(dir.path())[0].starts_with(".abc.part-"));
        staged.part.persist(&dir.path().join("abc")).unwrap();
        assert_eq!(entries(dir.path()), ["abc"]);
    }

    #[test]
    fn stale_parts_are_removed_and_data_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = format!(".{}{PART_INFIX}12345", MNIST_FILES[0].name);
        let stale_classes = format!(".{CLASSES_FILE}{PART_INFIX}7");
        let stale_record = format!(".{}{PART_INFIX}8", FASHION_MNIST.manifest_name());
        for name in [
            stale.as_str(),
            &stale_classes,
            &stale_record,
            MNIST_FILES[1].name,
            ".unrelated.part-1",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_stale_parts(dir.path()).unwrap();
        assert_eq!(
            entries(dir.path()),
            [".unrelated.part-1", MNIST_FILES[1].name]
        );
    }
}
