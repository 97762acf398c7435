//! Run configuration: the TOML file (`configs/*.toml`), command-line overrides, validation.
//!
//! ```toml
//! [model]            # snn_model::SnnConfig: inputs, hidden or [[model.layers]], classes, steps, …
//! hidden = [256]
//! steps = 100
//! [data]             # validation examples held out of the training set
//! validation = 5000
//! [train]
//! epochs = 5
//! batch_size = 64
//! lr = 1e-3
//! seed = 42
//! ```
//! Unknown keys are errors. Every value is checked before anything starts; an error names the
//! key, the value and the allowed range, and the flag that set it when it came from one.
//! [`data`] holds `[data]`, [`train`] `[train]`, [`sparsity`] the firing-rate regulariser, [`overrides`] the flags
//! that replace config values (for a new run and for `--resume`).

mod data;
mod overrides;
pub mod sparsity;
mod train;

pub use data::{DataConfig, Validation};
pub use overrides::Overrides;
pub use sparsity::SparsityConfig;
pub use train::{LrSchedule, Select, TrainConfig};

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
    pub data: DataConfig,
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

    /// How the run's data is divided into training, validation and test examples.
    pub fn split_plan(&self) -> crate::data::splits::SplitPlan {
        crate::data::splits::SplitPlan {
            train_limit: self.train.train_limit,
            test_limit: self.train.test_limit,
            validation: self.data.validation,
            seed: self.train.seed,
        }
    }

    /// Checks every value of the run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.model.validate("model")?;
        self.train.validate()?;
        self.data.validation.validate()?;
        if self.data.validation.is_none() && self.train.select == Select::BestValid {
            return Err(ConfigError::new(
                "train.select",
                "best-valid",
                "needs validation examples, and data.validation = 0 holds none out (choosing an \
                 epoch on the test set is what a validation split avoids): hold some out, or set \
                 train.select = \"last\"",
            ));
        }
        if let Some(sparsity) = &self.train.sparsity {
            sparsity.validate(&self.model.neuron_layer_names())?;
        }
        self.model
            .check_batch(self.train.batch_size, "train.batch_size")?;
        Ok(())
    }
}
