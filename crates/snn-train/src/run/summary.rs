//! `summary.json`: a finished run's final figures.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::dir::SUMMARY_FILE;

/// Final figures of a run (`summary.json`). Accuracies are percentages. The test figures are
/// those of the kept weights (`model.bpk`, the `selected_epoch`), measured once, at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub test_accuracy: f64,
    pub test_loss: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// The epoch whose weights the run kept, and by which rule (`best-valid`, `last`).
    #[serde(default)]
    pub selected_epoch: Option<usize>,
    #[serde(default)]
    pub select: Option<String>,
    /// Validation examples held out of the training set, and the kept epoch's figures on them.
    #[serde(default)]
    pub validation_examples: Option<usize>,
    #[serde(default)]
    pub valid_accuracy: Option<f64>,
    #[serde(default)]
    pub valid_loss: Option<f64>,
    pub wall_seconds: f64,
    pub train_images_per_s: f64,
    pub backend: String,
    pub seed: u64,
}

impl RunSummary {
    pub fn save(&self, run_dir: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self).expect("summary serialises");
        write_atomic(&run_dir.join(SUMMARY_FILE), json.as_bytes())
    }

    pub fn load(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(SUMMARY_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("invalid {}", path.display()))
    }
}
