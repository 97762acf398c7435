//! Minimal TensorBoard event-file writer (and a small reader for our own files).
//!
//! An event file is a sequence of TFRecord-framed `tensorboard.Event` protobufs
//! (see [`framing`] and [`proto`]). [`EventWriter`] writes scalars (as the legacy
//! `simple_value`, the most widely readable form) and PNG images; [`read_records`]
//! reads a file back strictly (both masked CRC32Cs verified) and [`decode_scalars`] /
//! [`decode_event`] decode the few messages we write; [`retain_scalars`] cuts a directory's
//! files back to the scalars a resumed run keeps.
//!
//! ```no_run
//! # fn main() -> Result<(), tfevents::TfEventsError> {
//! let mut w = tfevents::EventWriter::create(std::path::Path::new("runs/demo"))?;
//! w.add_scalar("train/loss", 1, 0.25)?;
//! w.flush()?;
//! # Ok(()) }
//! ```

use std::io;
use std::path::PathBuf;

pub mod framing;
pub mod proto;
mod truncate;
mod writer;

pub use framing::{masked_crc32c, read_records};
pub use proto::{DecodedEvent, DecodedValue, ValueData, decode_event, decode_scalars};
pub use truncate::{FILE_PREFIX, retain_scalars};
pub use writer::EventWriter;

/// Errors of this crate; every message names the event file concerned.
#[derive(Debug, thiserror::Error)]
pub enum TfEventsError {
    /// An I/O operation on the event file (or its directory) failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A masked CRC32C stored in the file does not match the bytes it covers.
    #[error(
        "{}: record {index} (at byte {offset}): {part} CRC mismatch (stored {stored:#010x}, computed {computed:#010x})",
        path.display()
    )]
    Crc {
        path: PathBuf,
        /// 0-based record index.
        index: usize,
        /// Byte offset of the record's start in the file.
        offset: u64,
        /// `"length"` or `"data"`.
        part: &'static str,
        stored: u32,
        computed: u32,
    },
    /// The file ends in the middle of a record.
    #[error("{}: record {index} (at byte {offset}) is truncated: {detail}", path.display())]
    Truncated {
        path: PathBuf,
        index: usize,
        offset: u64,
        detail: String,
    },
    /// An argument cannot be encoded (e.g. an image dimension above `i32::MAX`).
    #[error("{}: invalid argument: {detail}", path.display())]
    InvalidArgument { path: PathBuf, detail: String },
}

/// Result alias of this crate.
pub type Result<T, E = TfEventsError> = std::result::Result<T, E>;
