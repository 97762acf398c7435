//! `[train]`: optimisation, data limits, augmentation, the learning-rate schedule and the
//! firing-rate regulariser, with their checks.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use snn_model::ConfigError;

use super::SparsityConfig;
use crate::data::augment::Augment;

/// Optimisation settings (TOML section `[train]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Adam learning rate.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Seeds weight init, shuffling and spike generation.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Use only the first N training examples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_limit: Option<usize>,
    /// Use only the first N test examples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_limit: Option<usize>,
    /// Shift each training image by a random offset of up to this many pixels in x and y (0, the
    /// default: no augmentation). Test images are never shifted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub augment_shift: usize,
    /// Rotate each training image by a random angle of up to this many degrees either way (0,
    /// the default: none); bilinear interpolation.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub augment_rotate: f64,
    /// Scale each training image by a random factor in `[1 − z, 1 + z]` (0, the default: none).
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub augment_scale: f64,
    /// How the learning rate changes over the run (`[train.lr_schedule]`; constant by default).
    #[serde(default, skip_serializing_if = "LrSchedule::is_constant")]
    pub lr_schedule: LrSchedule,
    /// Firing-rate regulariser added to the loss (`[train.sparsity]`; none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<SparsityConfig>,
    /// Which epoch's weights the run keeps (`model.bpk`) and tests.
    #[serde(default)]
    pub select: Select,
    /// Stop when the best validation epoch is this many epochs behind (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience: Option<usize>,
}

/// The epoch whose weights a run keeps (`[train] select`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Select {
    /// The best validation accuracy, ties by the lower validation loss, then the earlier epoch.
    #[default]
    BestValid,
    /// The last epoch trained.
    Last,
}

impl Select {
    pub fn name(self) -> &'static str {
        match self {
            Select::BestValid => "best-valid",
            Select::Last => "last",
        }
    }
}

/// Learning-rate schedule (TOML section `[train.lr_schedule]`), stepped once per batch.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LrSchedule {
    /// `lr` throughout.
    #[default]
    Constant,
    /// Cosine annealing from `lr` to `min_lr` over all batches of the run (Burn's
    /// `CosineAnnealingLrScheduler`, PyTorch's `CosineAnnealingLR`).
    Cosine {
        #[serde(default)]
        min_lr: f64,
    },
    /// `lr` multiplied by `gamma` every `every_epochs` epochs (Burn's `StepLrScheduler`).
    Step { every_epochs: usize, gamma: f64 },
}

impl LrSchedule {
    fn is_constant(&self) -> bool {
        *self == LrSchedule::Constant
    }

    /// The Burn scheduler for a run of `epochs` epochs of `batches` batches from `lr`.
    pub fn build(
        &self,
        lr: f64,
        epochs: usize,
        batches: usize,
    ) -> Result<burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler> {
        use burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
        use burn::optim::lr_scheduler::step::StepLrSchedulerConfig;
        let scheduler = match *self {
            LrSchedule::Constant => lr.into(),
            LrSchedule::Cosine { min_lr } => {
                CosineAnnealingLrSchedulerConfig::new(lr, (epochs * batches).max(1))
                    .with_min_lr(min_lr)
                    .init()
                    .map_err(|e| anyhow::anyhow!("train.lr_schedule (cosine): {e}"))?
            }
            LrSchedule::Step {
                every_epochs,
                gamma,
            } => StepLrSchedulerConfig::new(lr, (every_epochs * batches).max(1))
                .with_gamma(gamma)
                .init()
                .map_err(|e| anyhow::anyhow!("train.lr_schedule (step): {e}"))?,
        };
        Ok(scheduler)
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

fn default_epochs() -> usize {
    5
}
fn default_batch_size() -> usize {
    64
}
fn default_lr() -> f64 {
    1e-3
}
fn default_seed() -> u64 {
    42
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: default_epochs(),
            batch_size: default_batch_size(),
            lr: default_lr(),
            seed: default_seed(),
            train_limit: None,
            test_limit: None,
            augment_shift: 0,
            augment_rotate: 0.0,
            augment_scale: 0.0,
            lr_schedule: LrSchedule::Constant,
            sparsity: None,
            select: Select::BestValid,
            patience: None,
        }
    }
}

impl TrainConfig {
    /// The training-image transforms these settings ask for.
    pub fn augment(&self) -> Augment {
        Augment {
            shift: self.augment_shift,
            rotate: self.augment_rotate,
            scale: self.augment_scale,
        }
    }

    /// Checks every value of `[train]` but the sparsity (checked against the network).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let at_least_one = |key: &str, v: usize| match v {
            0 => Err(ConfigError::new(key, 0, "must be ≥ 1")),
            _ => Ok(()),
        };
        at_least_one("train.epochs", self.epochs)?;
        at_least_one("train.batch_size", self.batch_size)?;
        if let Some(n) = self.train_limit {
            at_least_one("train.train_limit", n)?;
        }
        if let Some(n) = self.test_limit {
            at_least_one("train.test_limit", n)?;
        }
        if let Some(n) = self.patience {
            at_least_one("train.patience", n)?;
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ConfigError::new(
                "train.lr",
                self.lr,
                "must be a finite number > 0",
            ));
        }
        self.lr_schedule.validate(self.lr)?;
        self.validate_augment()
    }

    fn validate_augment(&self) -> Result<(), ConfigError> {
        if self.augment_shift > 8 {
            return Err(ConfigError::new(
                "train.augment_shift",
                self.augment_shift,
                "must be at most 8 pixels",
            ));
        }
        if !(0.0..=90.0).contains(&self.augment_rotate) {
            return Err(ConfigError::new(
                "train.augment_rotate",
                self.augment_rotate,
                "must be between 0 and 90 degrees",
            ));
        }
        if !(0.0..=0.5).contains(&self.augment_scale) {
            return Err(ConfigError::new(
                "train.augment_scale",
                self.augment_scale,
                "must be between 0 and 0.5 (a relative change of size)",
            ));
        }
        Ok(())
    }
}

impl LrSchedule {
    /// Checks the schedule's values for a run starting at `lr`.
    fn validate(&self, lr: f64) -> Result<(), ConfigError> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Cosine { min_lr } => {
                if lr > 1.0 {
                    return Err(ConfigError::new(
                        "train.lr",
                        lr,
                        "must be ≤ 1 with the cosine schedule",
                    ));
                }
                if !(0.0..=lr).contains(&min_lr) {
                    return Err(ConfigError::new(
                        "train.lr_schedule.min_lr",
                        min_lr,
                        format!("must be in [0, train.lr = {lr}]"),
                    ));
                }
                Ok(())
            }
            LrSchedule::Step {
                every_epochs,
                gamma,
            } => {
                if every_epochs == 0 {
                    return Err(ConfigError::new(
                        "train.lr_schedule.every_epochs",
                        0,
                        "must be ≥ 1",
                    ));
                }
                if !(gamma > 0.0 && gamma <= 1.0) {
                    return Err(ConfigError::new(
                        "train.lr_schedule.gamma",
                        gamma,
                        "must be in (0, 1]",
                    ));
                }
                Ok(())
            }
        }
    }
}
