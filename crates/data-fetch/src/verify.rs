//! Pins and digests: the size and SHA-256 a file must have, computed while the file streams by.
//!
//! Contract: a stream is hashed as it is copied and read at most `limit` bytes (one more than the
//! size it should have), so an oversized stream is detected without being consumed whole; a
//! mismatch names both digests, and both sizes if they differ. A `.gz` pinned as published
//! ([`Pinned::Gz`]) is read entirely and checked against its pin before what it decompresses to
//! counts (a digest mismatch is reported in preference to a decompression error). A raw file of
//! such a data set has no pin: it is checked only as a valid IDX file of the right shape (labels
//! below the number of classes) that is not another data set's pinned file.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest as _, Sha256};

use crate::error::FetchError;
use crate::mnist::{DATA_SETS, DataSet, IdxFile, Pinned, Shape};

/// A pinned size and SHA-256 (lowercase hex).
#[derive(Debug, Clone, Copy)]
pub struct Pin<'a> {
    pub size: u64,
    pub sha256: &'a str,
}

impl From<&IdxFile> for Pin<'static> {
    fn from(file: &IdxFile) -> Self {
        Pin {
            size: file.size,
            sha256: file.sha256,
        }
    }
}

/// Size and SHA-256 (lowercase hex) of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub size: u64,
    pub sha256: String,
}

/// Checks that the file at `path` has exactly the size and SHA-256 pinned for `file` (the
/// uncompressed file for [`Pinned::Raw`] data sets, the `.gz` for [`Pinned::Gz`] ones).
pub fn verify_file(path: &Path, file: &IdxFile) -> Result<(), FetchError> {
    let digest = hash_file(path, file.size + 1)?;
    check_digest(&digest, file.into())
}

/// `Ok` iff `digest` matches `pin`; the error reads `SHA-256 mismatch (got …, expected …)`,
/// plus the sizes if they differ ([`FetchError::Mismatch`]).
pub fn check_digest(digest: &Digest, pin: Pin) -> Result<(), FetchError> {
    if digest.sha256 == pin.sha256 && digest.size == pin.size {
        return Ok(());
    }
    Err(FetchError::Mismatch {
        actual_sha256: digest.sha256.clone(),
        expected_sha256: pin.sha256.to_string(),
        actual_size: digest.size,
        expected_size: pin.size,
    })
}

/// Size and SHA-256 of the first `limit` bytes of the file at `path`.
pub(crate) fn hash_file(path: &Path, limit: u64) -> Result<Digest, FetchError> {
    let reader = File::open(path).map_err(|source| FetchError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = BufReader::new(reader);
    // Reading errors name the file; writing to a sink cannot fail.
    copy_and_hash(reader, io::sink(), Path::new("nowhere"), limit).map_err(|err| match err {
        FetchError::ReadOrDecompress { path: None, source } => FetchError::ReadOrDecompress {
            path: Some(path.to_path_buf()),
            source,
        },
        err => err,
    })
}

/// Streams at most `limit` bytes of `reader` into `writer` (described as `dest` in errors),
/// hashing what passes through. With `limit` one more than the expected size, an oversized
/// stream is detected without consuming it all (its digest then fails [`check_digest`]).
pub(crate) fn copy_and_hash(
    reader: impl Read,
    mut writer: impl Write,
    dest: &Path,
    limit: u64,
) -> Result<Digest, FetchError> {
    let write_error = |source: io::Error| FetchError::Write {
        path: dest.to_path_buf(),
        source,
    };
    let mut reader = reader.take(limit);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(FetchError::ReadOrDecompress { path: None, source }),
        };
        hasher.update(&buf[..n]);
        writer.write_all(&buf[..n]).map_err(write_error)?;
        size += n as u64;
    }
    writer.flush().map_err(write_error)?;
    Ok(Digest {
        size,
        sha256: format!("{:x}", hasher.finalize()),
    })
}

/// A reader that hashes and counts every byte read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Decompresses the `.gz` stream `reader` into `writer`, checking the compressed bytes against
/// `file`'s pin (read entirely, at most one byte past the pinned size) and the decompressed
/// size against its shape; returns the digest of the decompressed bytes. A digest mismatch is
/// reported in preference to a decompression error (bytes that are not the pinned ones need not
/// be gzip at all).
pub(crate) fn gunzip_pinned(
    reader: impl Read,
    writer: impl Write,
    dest: &Path,
    file: &IdxFile,
) -> Result<Digest, FetchError> {
    let hashing = HashingReader {
        inner: reader.take(file.size + 1),
        hasher: Sha256::new(),
        size: 0,
    };
    let mut decoder = MultiGzDecoder::new(hashing);
    let raw_size = file.shape.raw_size();
    let raw = copy_and_hash(&mut decoder, writer, dest, raw_size + 1);
    let mut hashing = decoder.into_inner();
    io::copy(&mut hashing, &mut io::sink()).map_err(|source| FetchError::Read { source })?;
    let gz = Digest {
        size: hashing.size,
        sha256: format!("{:x}", hashing.hasher.finalize()),
    };
    check_digest(&gz, file.into())?;
    let raw = raw?;
    if raw.size != raw_size {
        return Err(FetchError::GzSize {
            actual: raw.size,
            shape: file.shape,
            expected: raw_size,
        });
    }
    Ok(raw)
}

/// The check of an uncompressed file of a [`Pinned::Gz`] data set (written to `path`, with
/// `digest`): a valid IDX file of `file`'s shape (labels below the number of classes) and not a
/// pinned file of another data set.
pub(crate) fn check_unpinned(
    path: &Path,
    digest: &Digest,
    ds: &DataSet,
    file: &IdxFile,
) -> Result<(), FetchError> {
    let expected = file.shape.raw_size();
    if digest.size != expected {
        return Err(FetchError::RawSize {
            actual: digest.size,
            shape: file.shape,
            expected,
        });
    }
    let found = read_shape(path, ds, file)?;
    if found != file.shape {
        return Err(FetchError::WrongShape {
            found,
            data_set: ds.name,
            file: file.name,
            expected: file.shape,
        });
    }
    if let Some(other) = pinned_elsewhere(digest, ds, file) {
        return Err(FetchError::OtherDataSetsFile {
            other: other.name,
            file: file.name,
            data_set: ds.name,
        });
    }
    Ok(())
}

/// The shape of the IDX file at `path`, read as what `file` holds (images or labels); a label
/// that is not a class of `ds` is an error.
fn read_shape(path: &Path, ds: &DataSet, file: &IdxFile) -> Result<Shape, FetchError> {
    let f = File::open(path).map_err(|source| FetchError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    match file.shape {
        Shape::Images { .. } => {
            let images = mnist_idx::read_images_from(file.name, BufReader::new(f))?;
            Ok(Shape::Images {
                count: images.count as u64,
                rows: images.rows as u64,
                cols: images.cols as u64,
            })
        }
        Shape::Labels { .. } => {
            let labels = mnist_idx::read_labels_from(file.name, BufReader::new(f))?;
            if let Some(&max) = labels.iter().max()
                && usize::from(max) >= ds.classes.len()
            {
                return Err(FetchError::NotAClass {
                    label: max,
                    data_set: ds.name,
                    classes: ds.classes.len(),
                });
            }
            Ok(Shape::Labels {
                count: labels.len() as u64,
            })
        }
    }
}

/// The data set other than `ds`, pinned by its uncompressed files ([`Pinned::Raw`]), whose
/// `file` has exactly `digest`.
fn pinned_elsewhere(digest: &Digest, ds: &DataSet, file: &IdxFile) -> Option<&'static DataSet> {
    DATA_SETS
        .into_iter()
        .filter(|other| other.id != ds.id)
        .find(|other| {
            other.files.iter().any(|f| {
                other.pinned == Pinned::Raw
                    && f.name == file.name
                    && check_digest(digest, f.into()).is_ok()
            })
        })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::test_util::ABC;

    #[test]
    fn copy_and_hash_matches_known_vector() {
        let mut out = Vec::new();
        let digest = copy_and_hash(&b"abc"[..], &mut out, Path::new("out"), 4).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(
            digest,
            Digest {
                size: 3,
                sha256: ABC.sha256.into()
            }
        );
        check_digest(&digest, (&ABC).into()).unwrap();
    }

    #[test]
    fn verify_file_accepts_match_and_reports_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        fs::write(&path, b"abc").unwrap();
        verify_file(&path, &ABC).unwrap();

        fs::write(&path, b"abd").unwrap();
        let err = verify_file(&path, &ABC).unwrap_err().to_string();
        assert!(err.starts_with("SHA-256 mismatch (got "), "{err}");
        assert!(err.contains(&format!("expected {})", ABC.sha256)), "{err}");
        assert!(!err.contains("size"), "{err}");

        fs::write(&path, b"abcdef").unwrap();
        let err = verify_file(&path, &ABC).unwrap_err().to_string();
        assert!(err.contains("size 4 or more bytes, expected 3"), "{err}");
    }
}
