//! Reader for the IDX format used by MNIST, Fashion-MNIST, KMNIST and EMNIST.
//!
//! An IDX file is `[0, 0, type, ndim]`, then `ndim` big-endian `u32` dimension sizes, then the
//! payload in row-major order. Only unsigned-byte payloads (`type = 0x08`) occur in these datasets:
//! images are magic `0x0803` (`count × rows × cols`), labels are magic `0x0801` (`count`).
//! Files may be raw or gzip-compressed (detected by the gzip magic, not the file name).
//! Images stay as `u8` in memory; nothing is widened to `f32` here.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Everything that can be wrong with an IDX file. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a valid gzip stream: {source}")]
    Gzip {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: file is empty")]
    Empty { file: String },
    #[error("{file}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({kind} file)")]
    BadMagic {
        file: String,
        kind: &'static str,
        expected: u32,
        found: u32,
    },
    #[error("{file}: truncated header: needs {needed} bytes, file holds {got}")]
    TruncatedHeader {
        file: String,
        needed: usize,
        got: usize,
    },
    #[error("{file}: header has a zero dimension ({dims})")]
    ZeroDimension { file: String, dims: String },
    #[error("{file}: truncated: header says {what}, file holds {got} bytes of {unit}")]
    Truncated {
        file: String,
        what: String,
        unit: &'static str,
        got: usize,
    },
    #[error("{file}: {extra} extra bytes after the {what} the header announces")]
    TrailingBytes {
        file: String,
        what: String,
        extra: usize,
    },
    #[error("{dir}: no {name} (nor {name}.gz) in this directory")]
    NotFound { dir: String, name: String },
    #[error(
        "{images_file} holds {images} images but {labels_file} holds {labels} labels; they must agree"
    )]
    CountMismatch {
        images_file: String,
        labels_file: String,
        images: usize,
        labels: usize,
    },
}

/// A stack of same-sized grayscale images, pixels `0..=255` row-major, image after image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Pixels per image (`rows × cols`).
    pub fn image_len(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[index * n..(index + 1) * n]
    }
}

/// A validated pair of image and label files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledImages {
    pub images: IdxImages,
    pub labels: Vec<u8>,
}

impl LabeledImages {
    /// Loads `images_path` and `labels_path` (raw or gzip) and checks that their counts agree.
    pub fn load(images_path: &Path, labels_path: &Path) -> Result<Self, IdxError> {
        let images = read_images(images_path)?;
        let labels = read_labels(labels_path)?;
        check_counts(
            &display_name(images_path),
            &images,
            &display_name(labels_path),
            &labels,
        )?;
        Ok(Self { images, labels })
    }

    /// Loads `<dir>/<prefix>-images-idx3-ubyte` and `<dir>/<prefix>-labels-idx1-ubyte`
    /// (each raw or with `.gz`), e.g. prefix `train` or `t10k` for MNIST.
    pub fn load_split(dir: &Path, prefix: &str) -> Result<Self, IdxError> {
        let images = locate(dir, &format!("{prefix}-images-idx3-ubyte"))?;
        let labels = locate(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
        Self::load(&images, &labels)
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of classes: the largest label plus one (10 for MNIST; not assumed).
    pub fn num_classes(&self) -> usize {
        self.labels
            .iter()
            .copied()
            .max()
            .map_or(0, |m| m as usize + 1)
    }

    /// Keeps only the first `n` examples (all of them if `n` is larger).
    pub fn truncate(&mut self, n: usize) {
        if n < self.len() {
            self.labels.truncate(n);
            self.images.pixels.truncate(n * self.images.image_len());
            self.images.count = n;
        }
    }
}

/// `dir/name` if it exists, else `dir/name.gz`, else [`IdxError::NotFound`].
pub fn locate(dir: &Path, name: &str) -> Result<std::path::PathBuf, IdxError> {
    let raw = dir.join(name);
    if raw.is_file() {
        return Ok(raw);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(IdxError::NotFound {
        dir: dir.display().to_string(),
        name: name.to_string(),
    })
}

/// Reads a file fully, gunzipping it when it starts with the gzip magic `1f 8b`.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, IdxError> {
    let file = display_name(path);
    let raw = std::fs::read(path).map_err(|source| IdxError::Io {
        file: file.clone(),
        source,
    })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| IdxError::Gzip { file, source })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Reads and validates an IDX image file (raw or gzip).
pub fn read_images(path: &Path) -> Result<IdxImages, IdxError> {
    parse_images(&display_name(path), read_maybe_gz(path)?)
}

/// Reads and validates an IDX label file (raw or gzip).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    parse_labels(&display_name(path), read_maybe_gz(path)?)
}

/// Parses the bytes of an IDX image file; `file` names it in errors.
pub fn parse_images(file: &str, mut bytes: Vec<u8>) -> Result<IdxImages, IdxError> {
    let dims = parse_header(file, &bytes, IMAGES_MAGIC, "images")?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    let expected = count * rows * cols;
    let what = || format!("{count} images of {rows}x{cols}");
    check_payload(file, bytes.len() - 16, expected, what, "pixels")?;
    bytes.drain(..16);
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: bytes,
    })
}

/// Parses the bytes of an IDX label file; `file` names it in errors.
pub fn parse_labels(file: &str, mut bytes: Vec<u8>) -> Result<Vec<u8>, IdxError> {
    let dims = parse_header(file, &bytes, LABELS_MAGIC, "labels")?;
    let count = dims[0];
    check_payload(
        file,
        bytes.len() - 8,
        count,
        || format!("{count} labels"),
        "labels",
    )?;
    bytes.drain(..8);
    Ok(bytes)
}

/// Checks that image and label files describe the same number of examples.
pub fn check_counts(
    images_file: &str,
    images: &IdxImages,
    labels_file: &str,
    labels: &[u8],
) -> Result<(), IdxError> {
    if images.count == labels.len() {
        Ok(())
    } else {
        Err(IdxError::CountMismatch {
            images_file: images_file.to_string(),
            labels_file: labels_file.to_string(),
            images: images.count,
            labels: labels.len(),
        })
    }
}

/// Validates magic and header length; returns the dimension sizes.
fn parse_header(
    file: &str,
    bytes: &[u8],
    magic: u32,
    kind: &'static str,
) -> Result<Vec<usize>, IdxError> {
    let file = file.to_string();
    if bytes.is_empty() {
        return Err(IdxError::Empty { file });
    }
    if bytes.len() < 4 {
        return Err(IdxError::TruncatedHeader {
            file,
            needed: 4,
            got: bytes.len(),
        });
    }
    let found = be_u32(&bytes[0..4]);
    if found != magic {
        return Err(IdxError::BadMagic {
            file,
            kind,
            expected: magic,
            found,
        });
    }
    let ndim = (magic & 0xff) as usize;
    let needed = 4 + 4 * ndim;
    if bytes.len() < needed {
        return Err(IdxError::TruncatedHeader {
            file,
            needed,
            got: bytes.len(),
        });
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|d| be_u32(&bytes[4 + 4 * d..8 + 4 * d]) as usize)
        .collect();
    if dims.contains(&0) {
        let dims = dims
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("x");
        return Err(IdxError::ZeroDimension { file, dims });
    }
    Ok(dims)
}

fn check_payload(
    file: &str,
    got: usize,
    expected: usize,
    what: impl Fn() -> String,
    unit: &'static str,
) -> Result<(), IdxError> {
    if got < expected {
        Err(IdxError::Truncated {
            file: file.to_string(),
            what: what(),
            unit,
            got,
        })
    } else if got > expected {
        Err(IdxError::TrailingBytes {
            file: file.to_string(),
            what: what(),
            extra: got - expected,
        })
    } else {
        Ok(())
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}
