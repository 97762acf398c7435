//! Reader for the IDX format used by MNIST, Fashion-MNIST, KMNIST and EMNIST.
//!
//! An IDX file is `[0, 0, type, ndim]`, then `ndim` big-endian `u32` dimension sizes, then the
//! payload in row-major order. Only unsigned-byte payloads (`type = 0x08`) occur in these datasets:
//! images are magic `0x0803` (`count × rows × cols`), labels are magic `0x0801` (`count`).
//! Files may be raw or gzip-compressed (detected by the gzip magic `1f 8b`, not the file name;
//! concatenated gzip members are read as one stream).
//! Images stay as `u8` in memory; nothing is widened to `f32` here.
//!
//! # Contract: every bad input is an [`IdxError`] naming the file, never a panic
//!
//! * **Checked header.** The payload size the header declares (the product of its dimensions)
//!   is computed with checked arithmetic; a product that overflows, or exceeds
//!   [`MAX_PAYLOAD_BYTES`] (2^40 bytes, 1 TiB), is [`IdxError::TooLarge`], which names the file
//!   and the dimensions. Zero dimensions, a wrong magic and a short header have their own errors.
//! * **Bounded reading.** The header is read first (from the raw or the gunzipped stream); then at
//!   most *declared + 1* payload bytes are read ([`Read::take`]), so a gzip bomb is inflated no
//!   further than one byte past what its header announces. More data is
//!   [`IdxError::TrailingBytes`] (counted exactly when the stream's length is known: raw files
//!   and byte slices; "at least 1" for gzip and other streams), less is [`IdxError::Truncated`].
//! * **No allocation from the header alone.** A header can lie, so nothing is reserved from its
//!   declared size: the payload buffer grows with the bytes actually read (its initial reservation
//!   is capped by the file's size, 8× that for gzip, or 64 KiB for streams of unknown length).
//! * A gzip stream is read to its end (so its CRC is checked) whenever it is not longer than
//!   declared.
//!

use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// The largest payload (in bytes) a header may declare: 2^40 bytes (1 TiB). The largest IDX data
/// set in use (EMNIST ByClass training images) is about 0.55 GB, so anything above this limit is
/// a corrupt or hostile header. On targets whose `usize` cannot address the declared size, the
/// effective limit is `usize::MAX`.
pub const MAX_PAYLOAD_BYTES: u64 = 1 << 40;

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Initial payload reservation when the stream's length is unknown; the buffer grows past it only
/// as bytes actually arrive.
const UNKNOWN_LEN_RESERVATION: usize = 1 << 16;

/// Initial reservation for a gzip file: this many times its compressed size (MNIST's images
/// inflate about 5×), never more than declared.
const GZIP_RESERVATION_FACTOR: u64 = 8;

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
    /// The payload is longer than declared. `extra` is exact unless `at_least` is set (gzip and
    /// other streams of unknown length, which are not read past the first extra byte).
    #[error(
        "{file}: {}{extra} extra byte{} after the {what} the header announces",
        if *.at_least { "at least " } else { "" },
        if *.extra == 1 { "" } else { "s" }
    )]
    TrailingBytes {
        file: String,
        what: String,
        extra: usize,
        at_least: bool,
    },
    /// The header's dimensions multiply to more than [`MAX_PAYLOAD_BYTES`] (or overflow `u64`).
    #[error(
        "{file}: header declares {kind} of {dims}, a payload of {}, over the limit of {limit} \
         bytes; the header is corrupt",
        declared_size(.declared)
    )]
    TooLarge {
        file: String,
        kind: &'static str,
        /// The dimensions as in the header, joined by `x` (e.g. `65536x16777216x16777216`).
        dims: String,
        /// Their product in bytes, `None` if it overflows `u64`.
        declared: Option<u64>,
        limit: u64,
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

/// Reads and validates an IDX image file (raw or gzip), reading at most what its header declares
/// plus one byte.
pub fn read_images(path: &Path) -> Result<IdxImages, IdxError> {
    read_file(path, IMAGES).map(Idx::into_images)
}

/// Reads and validates an IDX label file (raw or gzip), reading at most what its header declares
/// plus one byte.
pub fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    Ok(read_file(path, LABELS)?.payload)
}

/// Reads and validates an IDX image file from any byte stream, raw or gzip (detected by its
/// magic); `file` names it in errors. At most the header, the declared payload and one more byte
/// are pulled from the (decompressed) stream, so it may even be endless.
pub fn read_images_from(file: &str, reader: impl Read) -> Result<IdxImages, IdxError> {
    read_stream(file, reader, IMAGES, None).map(Idx::into_images)
}

/// Reads and validates an IDX label file from any byte stream, raw or gzip; bounded like
/// [`read_images_from`].
pub fn read_labels_from(file: &str, reader: impl Read) -> Result<Vec<u8>, IdxError> {
    Ok(read_stream(file, reader, LABELS, None)?.payload)
}

/// Parses the (uncompressed) bytes of an IDX image file; `file` names it in errors.
pub fn parse_images(file: &str, mut bytes: Vec<u8>) -> Result<IdxImages, IdxError> {
    let dims = parse_in_memory(file, &bytes, IMAGES)?;
    bytes.drain(..IMAGES.header_len());
    Ok(Idx {
        dims,
        payload: bytes,
    }
    .into_images())
}

/// Parses the (uncompressed) bytes of an IDX label file; `file` names it in errors.
pub fn parse_labels(file: &str, mut bytes: Vec<u8>) -> Result<Vec<u8>, IdxError> {
    parse_in_memory(file, &bytes, LABELS)?;
    bytes.drain(..LABELS.header_len());
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

/// What a file must be: its magic number, what it holds (for messages) and the unit of its
/// payload.
#[derive(Clone, Copy)]
struct Kind {
    magic: u32,
    name: &'static str,
    /// `name` in the singular.
    one: &'static str,
    unit: &'static str,
}

const IMAGES: Kind = Kind {
    magic: IMAGES_MAGIC,
    name: "images",
    one: "image",
    unit: "pixels",
};

const LABELS: Kind = Kind {
    magic: LABELS_MAGIC,
    name: "labels",
    one: "label",
    unit: "labels",
};

impl Kind {
    fn ndim(self) -> usize {
        (self.magic & 0xff) as usize
    }

    fn header_len(self) -> usize {
        4 + 4 * self.ndim()
    }

    /// `60000 images of 28x28`, `1 image of 1x1`, `10000 labels`.
    fn describe(self, dims: &[usize]) -> String {
        let name = if dims.first() == Some(&1) {
            self.one
        } else {
            self.name
        };
        match dims {
            [count, rows, cols] => format!("{count} {name} of {rows}x{cols}"),
            _ => format!("{} {name}", join_dims(dims)),
        }
    }
}

/// A validated header and its payload.
struct Idx {
    dims: Vec<usize>,
    payload: Vec<u8>,
}

impl Idx {
    /// `self` must hold an image file (three dimensions).
    fn into_images(self) -> IdxImages {
        let [count, rows, cols] = self.dims[..] else {
            unreachable!("image headers have three dimensions")
        };
        IdxImages {
            count,
            rows,
            cols,
            pixels: self.payload,
        }
    }
}

/// The dimension sizes in a header whose magic and length have been checked.
fn decode_dims(header: &[u8]) -> Vec<usize> {
    header[4..]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect()
}

/// Reads `path`, raw or gzip, bounded by its header.
fn read_file(path: &Path, kind: Kind) -> Result<Idx, IdxError> {
    let file_name = display_name(path);
    let io_err = |source| IdxError::Io {
        file: file_name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    read_stream(&file_name, io::BufReader::new(file), kind, Some(len))
}

/// Detects gzip by the first two bytes of `reader`, then reads the IDX file it holds.
/// `raw_len` is the length of `reader`'s stream when known (a file's size).
fn read_stream(
    file: &str,
    mut reader: impl Read,
    kind: Kind,
    raw_len: Option<u64>,
) -> Result<Idx, IdxError> {
    let mut prefix = [0u8; 2];
    let n = read_full(&mut reader, &mut prefix).map_err(|source| IdxError::Io {
        file: file.to_string(),
        source,
    })?;
    let stream = (&prefix[..n]).chain(reader);
    if prefix[..n] == GZIP_MAGIC {
        let reserve = raw_len.map(|l| l.saturating_mul(GZIP_RESERVATION_FACTOR));
        read_idx(file, MultiGzDecoder::new(stream), kind, None, reserve, true)
    } else {
        read_idx(file, stream, kind, raw_len, raw_len, false)
    }
}

/// Reads header and payload from the uncompressed stream `reader`: at most the header, the
/// declared payload and one more byte. `len`: the stream's total length when known, for an exact
/// count of trailing bytes; `reserve`: a cap on the initial payload reservation.
fn read_idx(
    file: &str,
    mut reader: impl Read,
    kind: Kind,
    len: Option<u64>,
    reserve: Option<u64>,
    gzip: bool,
) -> Result<Idx, IdxError> {
    let stream_err = |source| {
        let file = file.to_string();
        if gzip {
            IdxError::Gzip { file, source }
        } else {
            IdxError::Io { file, source }
        }
    };
    let mut header = [0u8; 16];
    let header = &mut header[..kind.header_len()];
    let got = read_full(&mut reader, &mut header[..4]).map_err(stream_err)?;
    check_magic(file, &header[..got], kind)?;
    let got = 4 + read_full(&mut reader, &mut header[4..]).map_err(stream_err)?;
    check_header_len(file, got, kind)?;
    let dims = decode_dims(header);
    let declared = declared_len(file, &dims, kind)?;

    let reservation = reserve.map_or(UNKNOWN_LEN_RESERVATION as u64, |r| r.min(declared as u64));
    let mut payload = Vec::with_capacity(usize::try_from(reservation).unwrap_or(0));
    reader
        .take(declared as u64 + 1)
        .read_to_end(&mut payload)
        .map_err(stream_err)?;
    if payload.len() > declared {
        let (extra, at_least) = match len {
            Some(len) => {
                let rest = len.saturating_sub((kind.header_len() + declared) as u64);
                (usize::try_from(rest).unwrap_or(usize::MAX).max(1), false)
            }
            None => (1, true),
        };
        return Err(IdxError::TrailingBytes {
            file: file.to_string(),
            what: kind.describe(&dims),
            extra,
            at_least,
        });
    }
    check_payload(file, payload.len(), declared, &dims, kind)?;
    Ok(Idx { dims, payload })
}

/// Validates the IDX file held in `bytes`; returns its dimensions.
fn parse_in_memory(file: &str, bytes: &[u8], kind: Kind) -> Result<Vec<usize>, IdxError> {
    check_magic(file, &bytes[..bytes.len().min(4)], kind)?;
    check_header_len(file, bytes.len(), kind)?;
    let header_len = kind.header_len();
    let dims = decode_dims(&bytes[..header_len]);
    let declared = declared_len(file, &dims, kind)?;
    let got = bytes.len() - header_len;
    if got > declared {
        return Err(IdxError::TrailingBytes {
            file: file.to_string(),
            what: kind.describe(&dims),
            extra: got - declared,
            at_least: false,
        });
    }
    check_payload(file, got, declared, &dims, kind)?;
    Ok(dims)
}

/// `start`: the first (up to) four bytes of the file.
fn check_magic(file: &str, start: &[u8], kind: Kind) -> Result<(), IdxError> {
    let file = file.to_string();
    match *start {
        [] => Err(IdxError::Empty { file }),
        [a, b, c, d] => {
            let found = u32::from_be_bytes([a, b, c, d]);
            if found == kind.magic {
                Ok(())
            } else {
                Err(IdxError::BadMagic {
                    file,
                    kind: kind.name,
                    expected: kind.magic,
                    found,
                })
            }
        }
        _ => Err(IdxError::TruncatedHeader {
            file,
            needed: 4,
            got: start.len(),
        }),
    }
}

/// `got`: how many bytes of the header (or of the whole file) there are.
fn check_header_len(file: &str, got: usize, kind: Kind) -> Result<(), IdxError> {
    let needed = kind.header_len();
    if got < needed {
        Err(IdxError::TruncatedHeader {
            file: file.to_string(),
            needed,
            got,
        })
    } else {
        Ok(())
    }
}

/// The payload size the dimensions declare, checked: no zero dimension, no overflow, at most
/// [`MAX_PAYLOAD_BYTES`] (and addressable).
fn declared_len(file: &str, dims: &[usize], kind: Kind) -> Result<usize, IdxError> {
    if dims.contains(&0) {
        return Err(IdxError::ZeroDimension {
            file: file.to_string(),
            dims: join_dims(dims),
        });
    }
    let declared = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    match declared {
        Some(n) if n <= MAX_PAYLOAD_BYTES => {
            if let Ok(n) = usize::try_from(n) {
                return Ok(n);
            }
        }
        _ => {}
    }
    Err(IdxError::TooLarge {
        file: file.to_string(),
        kind: kind.name,
        dims: join_dims(dims),
        declared,
        limit: MAX_PAYLOAD_BYTES.min(usize::MAX as u64),
    })
}

/// `got` payload bytes, at most `expected`: [`IdxError::Truncated`] if fewer.
fn check_payload(
    file: &str,
    got: usize,
    expected: usize,
    dims: &[usize],
    kind: Kind,
) -> Result<(), IdxError> {
    if got < expected {
        Err(IdxError::Truncated {
            file: file.to_string(),
            what: kind.describe(dims),
            unit: kind.unit,
            got,
        })
    } else {
        Ok(())
    }
}

/// Fills as much of `buf` as the stream holds; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn join_dims(dims: &[usize]) -> String {
    dims.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// `18446744073709551616 bytes`-style text for [`IdxError::TooLarge`].
fn declared_size(declared: &Option<u64>) -> String {
    match declared {
        Some(n) => format!("{n} bytes"),
        None => "2^64 bytes or more (the product overflows 64 bits)".to_string(),
    }
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}
