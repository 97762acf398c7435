//! Training progress on stderr: a live bar on a terminal, a plain line every few seconds
//! otherwise (CI logs, pipes). Replaces Burn's per-batch debug printout.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use burn::train::LearnerSummary;
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use indicatif::{ProgressBar, ProgressStyle};

/// When each split of the current epoch started and how many items it holds, shared with the
/// run logger (which turns it into `seconds` and `images_per_s`).
#[derive(Debug, Default, Clone)]
pub struct SplitClock {
    inner: Arc<Mutex<HashMap<String, (Instant, usize)>>>,
}

impl SplitClock {
    fn start(&self, split: &str, items: usize) {
        let mut map = self.inner.lock().expect("clock lock");
        map.insert(split.to_string(), (Instant::now(), items));
    }

    /// Seconds since `split` started and its item count.
    pub fn elapsed(&self, split: &str) -> Option<(f64, usize)> {
        let map = self.inner.lock().expect("clock lock");
        map.get(split).map(|(t, n)| (t.elapsed().as_secs_f64(), *n))
    }
}

/// Metric name as used in tags and CSV columns: `Loss` → `loss`, `Learning Rate` → `lr`.
pub fn column_name(metric: &str) -> String {
    match metric {
        "Learning Rate" | "LearningRate" | "Learning rate" => "lr".into(),
        other => other.to_lowercase().replace([' ', '-'], "_"),
    }
}

/// The renderer handed to Burn's `SupervisedTraining`.
pub struct ProgressRenderer {
    clock: SplitClock,
    bar: Option<ProgressBar>,
    names: HashMap<MetricId, String>,
    values: Vec<(String, f64)>,
    epoch: usize,
    total_epochs: usize,
    split: String,
    total_items: usize,
    processed: usize,
    started: Instant,
    last_line: Instant,
    interval: Duration,
}

impl ProgressRenderer {
    pub fn new(clock: SplitClock) -> Self {
        Self {
            clock,
            bar: None,
            names: HashMap::new(),
            values: Vec::new(),
            epoch: 1,
            total_epochs: 1,
            split: String::new(),
            total_items: 0,
            processed: 0,
            started: Instant::now(),
            last_line: Instant::now(),
            interval: Duration::from_secs(5),
        }
    }

    fn record(&mut self, state: MetricState) {
        if let MetricState::Numeric(entry, Some(value)) = state
            && let Some(name) = self.names.get(&entry.metric_id)
        {
            let v = value.current();
            match self.values.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = v,
                None => self.values.push((name.clone(), v)),
            }
        }
    }

    fn status(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let mut parts: Vec<String> = self
            .values
            .iter()
            .filter(|(n, _)| n != "lr")
            .map(|(n, v)| match n.as_str() {
                "accuracy" => format!("acc {v:.2}%"),
                n if n.starts_with("rate_") => format!("{n} {v:.3}"),
                n => format!("{n} {v:.4}"),
            })
            .collect();
        parts.push(format!("{:.0} img/s", self.processed as f64 / secs));
        parts.join("  ")
    }

    fn prefix(&self) -> String {
        format!("epoch {}/{} {}", self.epoch, self.total_epochs, self.split)
    }
}

impl TrainingProgressLogger for ProgressRenderer {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _: Option<usize>,
        _: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.epoch = starting_epoch;
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.clock.start(split, total_items);
        self.split = split.to_string();
        self.total_items = total_items;
        self.processed = 0;
        self.values.clear();
        self.started = Instant::now();
        self.last_line = Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_items as u64);
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(self.prefix());
            self.bar = Some(bar);
        }
    }

    fn update_split(&mut self, items_processed: usize) {
        self.processed = items_processed;
        match &self.bar {
            Some(bar) => {
                bar.set_position(items_processed as u64);
                bar.set_message(self.status());
            }
            None if self.last_line.elapsed() >= self.interval => {
                eprintln!(
                    "{} {}/{}  {}",
                    self.prefix(),
                    items_processed,
                    self.total_items,
                    self.status()
                );
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    fn end_split(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let secs = self.started.elapsed().as_secs_f64();
        eprintln!("{} done in {secs:.1}s  {}", self.prefix(), self.status());
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Burn reports every processed batch as an "Iteration" event; progress shows those.
    fn log_event_training(&mut self, event: String) {
        if event != "Iteration" {
            eprintln!("{event}");
        }
    }
}

impl MetricsRendererTraining for ProgressRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.record(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.record(state);
    }

    fn on_train_end(
        &mut self,
        _: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for ProgressRenderer {
    fn update_test(&mut self, _: EvaluationName, state: MetricState) {
        self.record(state);
    }
}

impl EvaluationProgressLogger for ProgressRenderer {
    fn start_global_progress(&mut self, _: usize) {}
    fn start_test(&mut self, name: &str, total_items: usize) {
        self.start_split(name, total_items);
    }
    fn update_test_progress(&mut self, items_processed: usize) {
        self.update_split(items_processed);
    }
    fn end_test(&mut self) {
        self.end_split();
    }
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, event: String) {
        self.log_event_training(event);
    }
}

impl MetricsRenderer for ProgressRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id, column_name(&definition.name));
    }
}
