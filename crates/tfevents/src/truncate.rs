//! Cutting a directory's event files back, as a resumed run must (its scalars past the last
//! checkpoint would otherwise be logged twice): every `events.out.tfevents.*` file is rewritten
//! keeping the scalar records a predicate accepts (a record whose every `(tag, step)` it keeps)
//! and every other record. A record cut short or damaged by a crash, and what follows it, is
//! dropped. Each file is replaced whole (written beside it, synced, renamed over it), so a crash
//! during the cut leaves the old file or the new one, never a mix.

use std::io::Write;
use std::path::Path;

use crate::framing::{parse_records, write_record};
use crate::{Result, TfEventsError, decode_scalars};

/// The prefix of every event file's name.
pub const FILE_PREFIX: &str = "events.out.tfevents.";

/// Rewrites each event file of `dir` keeping the scalar records whose every `(tag, step)`
/// `keep` accepts, and all other records (see the module docs).
pub fn retain_scalars(dir: &Path, keep: impl Fn(&str, i64) -> bool) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TfEventsError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let is_events =
            (path.file_name().and_then(|n| n.to_str())).is_some_and(|n| n.starts_with(FILE_PREFIX));
        if !is_events {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let mut out = Vec::new();
        for record in intact_records(&bytes, &path) {
            let kept = match decode_scalars(&record) {
                None => true,
                Some((step, values)) => values.iter().all(|(tag, _)| keep(tag, step)),
            };
            if kept {
                write_record(&mut out, &record).map_err(io(&path))?;
            }
        }
        replace(&path, &out).map_err(io(&path))?;
    }
    Ok(())
}

/// The records before the first damaged one (a crash can cut the last record short).
fn intact_records(bytes: &[u8], path: &Path) -> Vec<Vec<u8>> {
    match parse_records(bytes, path) {
        Ok(records) => records,
        Err(TfEventsError::Truncated { offset, .. } | TfEventsError::Crc { offset, .. }) => {
            parse_records(&bytes[..offset as usize], path).unwrap_or_default()
        }
        Err(_) => Vec::new(),
    }
}

/// Puts `bytes` in place of `path`: written to a hidden file beside it, synced, renamed.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{}.cut", name.unwrap_or_default()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
