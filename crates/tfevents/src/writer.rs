//! [`EventWriter`]: appends TensorBoard events to a fresh file in a run directory.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::TfEventsError;
use crate::framing::write_record;
use crate::proto::{self, SummaryValue};

/// Process-wide counter: the last component of every file name this process creates.
static FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes one TensorBoard event file.
///
/// The file is `<dir>/events.out.tfevents.<10-digit unix seconds>.<hostname>.<pid>.<counter>`,
/// where `counter` is a process-wide atomic counter and the file is opened with
/// `create_new`, so two writers (in one process or several) never share a file.
/// Scalars are written as legacy `simple_value`s, which TensorBoard's scalar dashboard,
/// `EventAccumulator` and `tbparse` all read.
///
/// Writes are buffered: call [`EventWriter::flush`] to make them visible to readers.
/// Dropping the writer flushes too, ignoring errors.
#[derive(Debug)]
pub struct EventWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

/// Seconds since the Unix epoch, fractional (0.0 if the clock is before 1970).
fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `/proc/sys/kernel/hostname`, restricted to `[A-Za-z0-9._-]`; `"localhost"` if unavailable.
fn hostname() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "localhost".to_owned()
    } else {
        name
    }
}

impl EventWriter {
    /// Creates `dir` (and parents) if needed, creates a new event file in it and writes
    /// (and flushes) the first record, `Event { wall_time: now, file_version: "brain.Event:2" }`.
    pub fn create(dir: &Path) -> Result<Self, TfEventsError> {
        std::fs::create_dir_all(dir).map_err(|source| TfEventsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let host = hostname();
        let pid = std::process::id();
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Retry with the next counter value in the unlikely case the name exists already
        // (e.g. pid reuse by another process writing the same directory).
        let mut attempts = 0;
        let (path, file) = loop {
            let n = FILE_COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("{}{secs:010}.{host}.{pid}.{n}", crate::FILE_PREFIX));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => break (path, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                    attempts += 1;
                }
                Err(source) => return Err(TfEventsError::Io { path, source }),
            }
        };
        let mut w = Self {
            path,
            out: BufWriter::new(file),
        };
        w.write_event(&proto::encode_file_version_event(
            now_secs(),
            proto::FILE_VERSION,
        ))?;
        w.flush()?;
        Ok(w)
    }

    /// The path of the event file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_err(&self, source: io::Error) -> TfEventsError {
        TfEventsError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn write_event(&mut self, event: &[u8]) -> Result<(), TfEventsError> {
        write_record(&mut self.out, event).map_err(|e| self.io_err(e))
    }

    fn write_values(
        &mut self,
        step: i64,
        values: &[SummaryValue<'_>],
    ) -> Result<(), TfEventsError> {
        let event = proto::encode_summary_event(now_secs(), step, values);
        self.write_event(&event)
    }

    /// Appends one scalar `value` for `tag` at `step` (wall time = now).
    pub fn add_scalar(&mut self, tag: &str, step: i64, value: f32) -> Result<(), TfEventsError> {
        self.write_values(step, &[SummaryValue::Simple { tag, value }])
    }

    /// Appends several scalars at one `step` as a **single** `Event` whose `Summary`
    /// holds one `Value` per `(tag, value)`, in order. TensorBoard readers treat this
    /// exactly like one event per scalar. An empty slice writes nothing.
    pub fn add_scalars(&mut self, step: i64, scalars: &[(&str, f32)]) -> Result<(), TfEventsError> {
        if scalars.is_empty() {
            return Ok(());
        }
        let values: Vec<SummaryValue<'_>> = scalars
            .iter()
            .map(|&(tag, value)| SummaryValue::Simple { tag, value })
            .collect();
        self.write_values(step, &values)
    }

    /// Appends an already PNG-encoded image for `tag` at `step`.
    ///
    /// `width`, `height` are in pixels and `colorspace` is the channel count
    /// (1 grayscale, 2 grayscale+alpha, 3 RGB, 4 RGBA). They are stored as given (the PNG
    /// is not inspected); each must fit in an `i32`, otherwise
    /// [`TfEventsError::InvalidArgument`] is returned and nothing is written.
    pub fn add_image_png(
        &mut self,
        tag: &str,
        step: i64,
        width: u32,
        height: u32,
        colorspace: u32,
        png: &[u8],
    ) -> Result<(), TfEventsError> {
        let as_i32 = |name: &str, v: u32| {
            i32::try_from(v).map_err(|_| TfEventsError::InvalidArgument {
                path: self.path.clone(),
                detail: format!("image {tag:?}: {name} {v} exceeds i32::MAX"),
            })
        };
        let image = SummaryValue::Image {
            tag,
            height: as_i32("height", height)?,
            width: as_i32("width", width)?,
            colorspace: as_i32("colorspace", colorspace)?,
            encoded: png,
        };
        self.write_values(step, &[image])
    }

    /// Flushes buffered events to the file.
    pub fn flush(&mut self) -> Result<(), TfEventsError> {
        self.out.flush().map_err(|e| self.io_err(e))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_is_safe_and_nonempty() {
        let h = hostname();
        assert!(!h.is_empty());
        assert!(
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{h}"
        );
    }
}
