//! Maintenance of a run's TensorBoard event files.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};

/// Rewrites every `events.out.tfevents.*` file of `run_dir`, keeping only the scalars of epochs
/// `≤ epoch`: tags `epoch/...` with step `≤ epoch`, and per-batch tags `<split>/...` with step
/// `≤ step_limits[split]`. Records cut short by a crash are dropped. Used by `--resume`.
pub fn truncate_run(run_dir: &Path, epoch: i64, step_limits: &HashMap<String, i64>) -> Result<()> {
    for entry in
        std::fs::read_dir(run_dir).with_context(|| format!("cannot list {}", run_dir.display()))?
    {
        let path = entry?.path();
        let is_events = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("events.out.tfevents."));
        if !is_events {
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let kept: Vec<Vec<u8>> = intact_records(&bytes, &path)
            .into_iter()
            .filter(|record| match tfevents::decode_scalars(record) {
                None => true,
                Some((step, values)) => values
                    .iter()
                    .all(|(tag, _)| keep(tag, step, epoch, step_limits)),
            })
            .collect();
        let mut out = Vec::new();
        for record in &kept {
            tfevents::framing::write_record(&mut out, record)
                .expect("writing to a Vec cannot fail");
        }
        crate::run_dir::write_atomic(&path, &out)?;
    }
    Ok(())
}

fn keep(tag: &str, step: i64, epoch: i64, limits: &HashMap<String, i64>) -> bool {
    if tag.starts_with("epoch/") {
        return step <= epoch;
    }
    match tag.split_once('/') {
        Some((split, _)) => limits.get(split).is_none_or(|&limit| step <= limit),
        None => true,
    }
}

/// The records before the first damaged one (a crash can cut the last record short).
fn intact_records(bytes: &[u8], path: &Path) -> Vec<Vec<u8>> {
    use tfevents::TfEventsError::{Crc, Truncated};
    match tfevents::framing::parse_records(bytes, path) {
        Ok(records) => records,
        Err(Truncated { offset, .. } | Crc { offset, .. }) => {
            tfevents::framing::parse_records(&bytes[..offset as usize], path).unwrap_or_default()
        }
        Err(_) => Vec::new(),
    }
}
