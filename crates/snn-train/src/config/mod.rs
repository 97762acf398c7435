//! Run configuration: the TOML file (`configs/*.toml`), command-line overrides, validation.
//!
//! ```toml
//! [model]            # snn_model::SnnConfig: inputs, hidden or [[model.layers]], classes, steps, …
//! hidden = [256]
//! steps = 100
//! [train]
//! epochs = 5
//! batch_size = 64
//! lr = 1e-3
//! seed = 42
//! ```
//! Unknown keys are errors. Every value is checked before anything starts; an error names the
//! key, the value and the allowed range, and the flag that set it when it came from one.
//! [`train`] holds `[train]`, [`sparsity`] the firing-rate regulariser, [`overrides`] the flags
//! that replace config values (for a new run and for `--resume`).

mod overrides;
pub mod sparsity;
mod train;

pub use overrides::Overrides;
pub use sparsity::SparsityConfig;
pub use train::{LrSchedule, TrainConfig};

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use snn_model::{ConfigError, SnnConfig};

/// Everything a training run needs to know, as saved to `RUN_DIR/config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default)]
    pub model: SnnConfig,
    #[serde(default)]
    pub train: TrainConfig,
}

impl RunConfig {
    /// Parses TOML text; `origin` names the source in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).with_context(|| format!("invalid config {origin}"))
    }

    /// Reads and parses a TOML config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The config as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a RunConfig always serialises")
    }

    /// Checks every value of the run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.model.validate("model")?;
        self.train.validate()?;
        if let Some(sparsity) = &self.train.sparsity {
            sparsity.validate(&self.model.neuron_layer_names())?;
        }
        self.model
            .check_batch(self.train.batch_size, "train.batch_size")?;
        Ok(())
    }
}
