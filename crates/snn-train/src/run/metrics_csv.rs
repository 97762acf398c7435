//! `metrics.csv`: one row per epoch and split (`epoch,split,<columns>…`), read back, and cut
//! back to the epochs a resumed run keeps.

use std::path::Path;

use anyhow::{Context, Result};

use super::atomic::write_atomic;
use super::dir::METRICS_FILE;

/// One row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub epoch: usize,
    pub split: String,
    /// `(column, value)` in column order, without `epoch` and `split`.
    pub values: Vec<(String, f64)>,
}

impl MetricsRow {
    pub fn get(&self, column: &str) -> Option<f64> {
        self.values
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| *v)
    }
}

/// Reads `metrics.csv` (rows that do not parse, e.g. a line cut by a crash, are dropped).
pub fn read_metrics(run_dir: &Path) -> Result<Vec<MetricsRow>> {
    let path = run_dir.join(METRICS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Ok(Vec::new());
    };
    let columns: Vec<&str> = header.split(',').collect();
    let rows = lines
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != columns.len() || columns.len() < 2 {
                return None;
            }
            let epoch = cells[0].parse().ok()?;
            let values = columns[2..]
                .iter()
                .zip(&cells[2..])
                .map(|(c, v)| Some((c.to_string(), v.parse().ok()?)))
                .collect::<Option<Vec<_>>>()?;
            Some(MetricsRow {
                epoch,
                split: cells[1].to_string(),
                values,
            })
        })
        .collect();
    Ok(rows)
}

/// Rewrites `metrics.csv` keeping only the rows of epochs `≤ last_epoch`, without the final
/// test result of a run that has `valid` rows (used by `--resume`).
pub fn truncate_metrics(run_dir: &Path, last_epoch: usize) -> Result<()> {
    let rows = read_metrics(run_dir)?;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<String> = first.values.iter().map(|(c, _)| c.clone()).collect();
    let final_test = rows.iter().any(|r| r.split == "valid");
    let kept: Vec<MetricsRow> = (rows.into_iter())
        .filter(|r| r.epoch <= last_epoch && !(final_test && r.split == "test"))
        .collect();
    let mut text = csv_header(&columns);
    for row in &kept {
        text.push_str(&csv_line(row));
    }
    write_atomic(&run_dir.join(METRICS_FILE), text.as_bytes())
}

/// Appends `row` to the run's `metrics.csv` (whose columns it must have, in order).
pub fn append_metrics(run_dir: &Path, row: &MetricsRow) -> Result<()> {
    use std::io::Write;
    let path = run_dir.join(METRICS_FILE);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| {
            f.write_all(csv_line(row).as_bytes())
                .and_then(|_| f.sync_data())
        })
        .with_context(|| format!("cannot append to {}", path.display()))
}

pub fn csv_header(columns: &[String]) -> String {
    format!("epoch,split,{}\n", columns.join(","))
}

pub fn csv_line(row: &MetricsRow) -> String {
    let values: Vec<String> = row.values.iter().map(|(_, v)| format!("{v}")).collect();
    format!("{},{},{}\n", row.epoch, row.split, values.join(","))
}
