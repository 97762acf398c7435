//! Our metric logger: TensorBoard scalars per step and per epoch, and `metrics.csv` rows.
//!
//! Registered beside Burn's `FileMetricLogger` (which Burn's checkpoint strategy reads back).
//! Tags: `<split>/<metric>` at step `(epoch − 1)·batches_per_epoch + batch` for every batch, and
//! `epoch/<split>/<column>` at step `epoch` for every `metrics.csv` value.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use burn::train::logger::MetricLogger;
use burn::train::metric::store::{EpochSummary, MetricsUpdate, Split};
use burn::train::metric::{MetricDefinition, MetricId, NumericEntry};
use tfevents::EventWriter;

use crate::run::METRICS_FILE;
use crate::run::metrics_csv::{MetricsRow, csv_header, csv_line};
use crate::train::progress::{SplitClock, column_name};

pub struct RunLogger {
    csv_path: PathBuf,
    /// Value columns of `metrics.csv` (after `epoch,split`).
    columns: Vec<String>,
    events: Option<EventWriter>,
    names: HashMap<MetricId, String>,
    clock: SplitClock,
    batches_per_epoch: HashMap<String, usize>,
    /// Batch index within the current epoch, per split.
    batch: HashMap<String, (usize, usize)>,
    /// Epoch-level values of the split being finished.
    finals: HashMap<String, HashMap<String, f64>>,
    /// What Burn's `valid` split is called in the outputs: `valid`, or `test` when the run holds
    /// no examples out and validates on the test set.
    valid_label: String,
}

impl RunLogger {
    /// `metric_columns`: the metric columns of `metrics.csv`, in order (e.g. loss, accuracy,
    /// rate_input, rate_hidden0); `seconds` and `images_per_s` are appended.
    pub fn new(
        run_dir: &Path,
        metric_columns: &[String],
        batches_per_epoch: HashMap<String, usize>,
        clock: SplitClock,
        valid_label: &str,
    ) -> anyhow::Result<Self> {
        let mut columns = metric_columns.to_vec();
        columns.extend(["seconds".to_string(), "images_per_s".to_string()]);
        let csv_path = run_dir.join(METRICS_FILE);
        if !csv_path.exists() {
            crate::run::write_atomic(&csv_path, csv_header(&columns).as_bytes())?;
        }
        Ok(Self {
            csv_path,
            columns,
            events: Some(EventWriter::create(run_dir)?),
            names: HashMap::new(),
            clock,
            batches_per_epoch,
            batch: HashMap::new(),
            finals: HashMap::new(),
            valid_label: valid_label.to_string(),
        })
    }

    /// The name of Burn's `split` in `metrics.csv` and TensorBoard.
    fn label(&self, split: &Split) -> String {
        match split.to_string() {
            s if s == "valid" => self.valid_label.clone(),
            s => s,
        }
    }

    fn scalar(&mut self, tag: &str, step: i64, value: f64) {
        if let Some(events) = &mut self.events
            && let Err(e) = events.add_scalar(tag, step, value as f32)
        {
            eprintln!("warning: TensorBoard logging stopped: {e}");
            self.events = None;
        }
    }

    fn write_row(&mut self, row: &MetricsRow) {
        let result = OpenOptions::new()
            .append(true)
            .open(&self.csv_path)
            .and_then(|mut f| {
                f.write_all(csv_line(row).as_bytes())
                    .and_then(|_| f.sync_data())
            });
        if let Err(e) = result {
            eprintln!("warning: cannot append to {}: {e}", self.csv_path.display());
        }
    }
}

impl MetricLogger for RunLogger {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        let split = self.label(split);
        let mut per_batch = Vec::new();
        for u in update.entries_numeric {
            let Some(name) = self.names.get(&u.entry.metric_id).cloned() else {
                continue;
            };
            match (u.numeric_entry, u.running_entry) {
                (Some(value), Some(_)) => per_batch.push((name, value)),
                (Some(value), None) => {
                    self.finals
                        .entry(split.clone())
                        .or_default()
                        .insert(name, value.current());
                }
                _ => {}
            }
        }
        if per_batch.is_empty() {
            return;
        }
        let slot = self.batch.entry(split.clone()).or_insert((epoch, 0));
        if slot.0 != epoch {
            *slot = (epoch, 0);
        }
        slot.1 += 1;
        let per_epoch = self.batches_per_epoch.get(&split).copied().unwrap_or(0);
        let step = ((epoch - 1) * per_epoch + slot.1) as i64;
        for (name, value) in per_batch {
            self.scalar(&format!("{split}/{name}"), step, numeric(&value));
        }
    }

    fn read_numeric(
        &mut self,
        _name: &str,
        _epoch: usize,
        _split: &Split,
    ) -> Result<Vec<NumericEntry>, String> {
        Err("RunLogger does not read metrics back; Burn's FileMetricLogger does".into())
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id, column_name(&definition.name));
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        let split = self.label(&summary.split);
        let epoch = summary.epoch_number;
        let finals = self.finals.remove(&split).unwrap_or_default();
        let clock = summary.split.to_string();
        let (seconds, items) = self.clock.elapsed(&clock).unwrap_or((f64::NAN, 0));
        let values: Vec<(String, f64)> = self
            .columns
            .iter()
            .map(|c| {
                let v = match c.as_str() {
                    "seconds" => seconds,
                    "images_per_s" => items as f64 / seconds,
                    other => finals.get(other).copied().unwrap_or(f64::NAN),
                };
                (c.clone(), v)
            })
            .collect();
        let row = MetricsRow {
            epoch,
            split: split.clone(),
            values,
        };
        self.write_row(&row);
        for (column, value) in &row.values {
            self.scalar(&format!("epoch/{split}/{column}"), epoch as i64, *value);
        }
        if let Some(events) = &mut self.events {
            events.flush().ok();
        }
    }
}

fn numeric(entry: &NumericEntry) -> f64 {
    entry.current()
}
