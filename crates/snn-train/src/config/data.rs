//! `[data]`: how the training examples are split into the examples a run learns from and the
//! validation examples it is judged on while training.
//!
//! ```toml
//! [data]
//! validation = 5000   # examples held out of the training set; or a fraction, e.g. 0.1
//! ```
//! The held-out examples are drawn per class in proportion to the class sizes, reproducibly from
//! `train.seed` ([`crate::data::holdout`]); the test set is not touched until the run is over.
//! `validation = 0` holds nothing out: the per-epoch pass then runs on the test set and is
//! labelled `test` (how figures were chosen before this protocol; needs `train.select = "last"`).

use serde::{Deserialize, Serialize};

pub use crate::data::splits::Validation;

/// The data settings (TOML section `[data]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Training examples held out for validation [default: 10%].
    #[serde(default)]
    pub validation: Validation,
}
