//! A run's data: the training examples it learns from, the validation examples it is judged on
//! every epoch, and the test set, which it sees once, at the end.
//!
//! The training split's first `train_limit` examples are divided by [`hold_out`] (stratified by
//! class, drawn from the seed); `validation` is a count or a fraction of them, or 0 for none (the
//! per-epoch pass then runs on the test set, labelled `test`).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::Result;
use burn::data::dataset::Dataset;
use serde::{Deserialize, Serialize};
use snn_model::{ConfigError, SnnConfig};

use super::holdout::hold_out;
use super::{ImageDataset, Split, load_split};

/// How a run's data is divided (from its config: `train.train_limit`, `train.test_limit`,
/// `data.validation`, `train.seed`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitPlan {
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    pub validation: Validation,
    pub seed: u64,
}

/// The data of a run, checked against its model: the examples trained on, those validated on
/// every epoch, and the test set.
pub struct Splits {
    pub train: ImageDataset,
    pub valid: ImageDataset,
    pub test: ImageDataset,
    /// The name of the per-epoch pass in the outputs: `valid`, or `test` when the run holds
    /// nothing out (`data.validation = 0`) and so validates on the test set.
    pub valid_label: &'static str,
}

impl Splits {
    /// Batches per epoch of each split, by the split's name in the logs.
    pub fn batches(&self, batch_size: usize) -> HashMap<String, usize> {
        HashMap::from([
            ("train".to_string(), self.train.len().div_ceil(batch_size)),
            (
                self.valid_label.to_string(),
                self.valid.len().div_ceil(batch_size),
            ),
        ])
    }

    /// The training split of `data_dir` divided as `plan` says, and the test split, each
    /// checked against `model`; `origin` names the config in errors.
    pub fn load(
        data_dir: &Path,
        plan: &SplitPlan,
        model: &SnnConfig,
        origin: &str,
    ) -> Result<Self> {
        let all = load_split(data_dir, Split::Train, plan.train_limit)?;
        let test = load_split(data_dir, Split::Test, plan.test_limit)?;
        all.check_fits(model, origin)?;
        test.check_fits(model, origin)?;
        let validation = plan.validation;
        if validation.is_none() {
            let valid = test.clone();
            return Ok(Splits {
                train: all,
                valid,
                test,
                valid_label: "test",
            });
        }
        let count = validation.count(all.len()).map_err(|e| {
            anyhow::anyhow!(
                "invalid configuration: {e} (data.validation in {origin}, or --validation)"
            )
        })?;
        let held = hold_out(&all.labels(), count, plan.seed);
        Ok(Splits {
            train: all.subset(held.train),
            valid: all.subset(held.valid),
            test,
            valid_label: "valid",
        })
    }
}

/// How many training examples are held out: a count, or a fraction of the training examples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Validation {
    Count(usize),
    Fraction(f64),
}

impl Default for Validation {
    fn default() -> Self {
        Validation::Fraction(0.1)
    }
}

impl Validation {
    /// Nothing held out (the per-epoch pass runs on the test set).
    pub fn is_none(&self) -> bool {
        *self == Validation::Count(0)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            Validation::Fraction(f) if !(f > 0.0 && f < 1.0) => Err(ConfigError::new(
                "data.validation",
                f,
                "must be a count of examples (0 = none) or a fraction strictly between 0 and 1",
            )),
            _ => Ok(()),
        }
    }

    /// The examples held out of `available` training examples; an error when that leaves
    /// nothing to train on.
    pub fn count(&self, available: usize) -> Result<usize, ConfigError> {
        let n = match *self {
            Validation::Count(n) => n,
            Validation::Fraction(f) => ((f * available as f64).round() as usize).max(1),
        };
        if n >= available {
            return Err(ConfigError::new(
                "data.validation",
                self,
                format!(
                    "holds out {n} of the {available} training examples, leaving none to train \
                     on: hold out fewer (e.g. a fraction such as 0.1), or use more training \
                     examples (train.train_limit)"
                ),
            ));
        }
        Ok(n)
    }
}

impl std::fmt::Display for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Validation::Count(n) => write!(f, "{n}"),
            Validation::Fraction(x) => write!(f, "{x}"),
        }
    }
}

/// `--validation 5000` (a count) or `--validation 0.1` (a fraction).
impl FromStr for Validation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parsed = if s.contains(['.', 'e', 'E']) {
            s.parse().map(Validation::Fraction).ok()
        } else {
            s.parse().map(Validation::Count).ok()
        };
        let v = parsed.ok_or_else(|| {
            format!("`{s}` is neither a count of examples (e.g. 5000) nor a fraction (e.g. 0.1)")
        })?;
        v.validate().map_err(|e| e.to_string())?;
        Ok(v)
    }
}

/// A TOML integer (a count), float (a fraction) or string of either; anything else is an error
/// that says what is expected.
impl<'de> Deserialize<'de> for Validation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expected;
        impl serde::de::Visitor<'_> for Expected {
            type Value = Validation;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a count of examples (e.g. 5000, 0 = none) or a fraction (e.g. 0.1)")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Validation, E> {
                Ok(Validation::Count(v as usize))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Validation, E> {
                let count = usize::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))?;
                Ok(Validation::Count(count))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Validation, E> {
                Ok(Validation::Fraction(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Validation, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Expected)
    }
}
