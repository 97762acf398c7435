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

use crate::sparsity::SparsityConfig;
use std::path::Path;

use anyhow::{Context, Result, bail};
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

impl TrainConfig {
    /// The training-image transforms these settings ask for.
    pub fn augment(&self) -> crate::augment::Augment {
        crate::augment::Augment {
            shift: self.augment_shift,
            rotate: self.augment_rotate,
            scale: self.augment_scale,
        }
    }
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
        }
    }
}

/// Values given on the command line that replace those of the config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub epochs: Option<usize>,
    pub steps: Option<usize>,
    pub batch_size: Option<usize>,
    pub lr: Option<f64>,
    pub seed: Option<u64>,
    pub hidden: Option<Vec<usize>>,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
}

impl Overrides {
    /// The flag that sets `key`, if it was given.
    fn flag_for(&self, key: &str) -> Option<&'static str> {
        let given = |set: bool, flag| set.then_some(flag);
        match key {
            "train.epochs" => given(self.epochs.is_some(), "--epochs"),
            "model.steps" => given(self.steps.is_some(), "--steps"),
            "train.batch_size" => given(self.batch_size.is_some(), "--batch-size"),
            "train.lr" => given(self.lr.is_some(), "--lr"),
            k if k.starts_with("model.hidden") => given(self.hidden.is_some(), "--hidden"),
            "train.train_limit" => given(self.train_limit.is_some(), "--train-limit"),
            "train.test_limit" => given(self.test_limit.is_some(), "--test-limit"),
            _ => None,
        }
    }
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

    /// Applies command-line overrides, then validates; errors name the key and, when a flag set
    /// it, the flag.
    pub fn with_overrides(mut self, o: &Overrides) -> Result<Self> {
        if let Some(v) = o.epochs {
            self.train.epochs = v;
        }
        if let Some(v) = o.steps {
            self.model.steps = v;
        }
        if let Some(v) = o.batch_size {
            self.train.batch_size = v;
        }
        if let Some(v) = o.lr {
            self.train.lr = v;
        }
        if let Some(v) = o.seed {
            self.train.seed = v;
        }
        if let Some(v) = &o.hidden {
            if !self.model.layers.is_empty() {
                bail!(
                    "--hidden is the shorthand for linear → lif layers, but this config lists \
                     [[model.layers]]; change the layers in the config file instead"
                );
            }
            self.model.hidden = Some(v.clone());
        }
        if o.train_limit.is_some() {
            self.train.train_limit = o.train_limit;
        }
        if o.test_limit.is_some() {
            self.train.test_limit = o.test_limit;
        }
        if let Err(e) = self.validate() {
            match o.flag_for(&e.key) {
                Some(flag) => bail!("invalid configuration: {e} (set by {flag})"),
                None => bail!("invalid configuration: {e}"),
            }
        }
        Ok(self)
    }

    /// The config of a resumed run: `self` is the run's saved `config.toml`. Overrides that would
    /// change what the checkpoint holds or how its epochs were counted are refused, naming the
    /// flag and the saved value: the layer sizes (the weights' shapes), the batch size and the
    /// data limits (the batches per epoch, and so the TensorBoard steps already written). The
    /// others (epochs, steps, lr, seed) apply as for a new run.
    pub fn for_resume(self, o: &Overrides, config_file: &Path) -> Result<Self> {
        let refuse = |flag: &str, given: String, key: &str, saved: String, why: &str| {
            anyhow::anyhow!(
                "--resume cannot take {flag} {given}: the run was trained with {key} = {saved} \
                 ({}) and {why}; leave {flag} out, or start a new run with --out",
                config_file.display()
            )
        };
        if let Some(h) = &o.hidden
            && self.model.hidden.as_ref() != Some(h)
        {
            let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            return Err(refuse(
                "--hidden",
                list(h),
                "model.hidden",
                match &self.model.hidden {
                    Some(hidden) => format!("{hidden:?}"),
                    None => format!("{} [[model.layers]]", self.model.layers.len()),
                },
                "its checkpoint holds weights of that shape",
            ));
        }
        let counted = "the epochs already logged were counted in its batches";
        if let Some(b) = o.batch_size
            && b != self.train.batch_size
        {
            let saved = self.train.batch_size.to_string();
            return Err(refuse(
                "--batch-size",
                b.to_string(),
                "train.batch_size",
                saved,
                counted,
            ));
        }
        for (flag, given, key, saved) in [
            (
                "--train-limit",
                o.train_limit,
                "train.train_limit",
                self.train.train_limit,
            ),
            (
                "--test-limit",
                o.test_limit,
                "train.test_limit",
                self.train.test_limit,
            ),
        ] {
            if let Some(n) = given
                && Some(n) != saved
            {
                let saved = saved.map_or("none".to_string(), |s| s.to_string());
                return Err(refuse(flag, n.to_string(), key, saved, counted));
            }
        }
        self.with_overrides(o)
    }

    /// Checks every value of the run.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.model.validate("model")?;
        let t = &self.train;
        if t.epochs == 0 {
            return Err(ConfigError::new("train.epochs", 0, "must be ≥ 1"));
        }
        if t.batch_size == 0 {
            return Err(ConfigError::new("train.batch_size", 0, "must be ≥ 1"));
        }
        if !(t.lr.is_finite() && t.lr > 0.0) {
            return Err(ConfigError::new(
                "train.lr",
                t.lr,
                "must be a finite number > 0",
            ));
        }
        if t.train_limit == Some(0) {
            return Err(ConfigError::new("train.train_limit", 0, "must be ≥ 1"));
        }
        if t.test_limit == Some(0) {
            return Err(ConfigError::new("train.test_limit", 0, "must be ≥ 1"));
        }
        match t.lr_schedule {
            LrSchedule::Constant => {}
            LrSchedule::Cosine { min_lr } => {
                if t.lr > 1.0 {
                    return Err(ConfigError::new(
                        "train.lr",
                        t.lr,
                        "must be ≤ 1 with the cosine schedule",
                    ));
                }
                if !(0.0..=t.lr).contains(&min_lr) {
                    return Err(ConfigError::new(
                        "train.lr_schedule.min_lr",
                        min_lr,
                        format!("must be in [0, train.lr = {}]", t.lr),
                    ));
                }
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
            }
        }
        if let Some(sparsity) = &t.sparsity {
            sparsity.validate(&self.model.neuron_layer_names())?;
        }
        if t.augment_shift > 8 {
            return Err(ConfigError::new(
                "train.augment_shift",
                t.augment_shift,
                "must be at most 8 pixels",
            ));
        }
        if !(0.0..=90.0).contains(&t.augment_rotate) {
            return Err(ConfigError::new(
                "train.augment_rotate",
                t.augment_rotate,
                "must be between 0 and 90 degrees",
            ));
        }
        if !(0.0..=0.5).contains(&t.augment_scale) {
            return Err(ConfigError::new(
                "train.augment_scale",
                t.augment_scale,
                "must be between 0 and 0.5 (a relative change of size)",
            ));
        }
        self.model.check_batch(t.batch_size, "train.batch_size")?;
        Ok(())
    }
}
