//! Configuration errors that name the offending key.

use std::fmt::Display;

/// A configuration value that is out of range or inconsistent. Its message names the key,
/// the value and what is allowed, e.g. ``model.lif.beta = 1.5: must be in (0, 1)``.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key} = {value}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, value: impl Display, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// The same error with `prefix.` in front of its key.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.key = format!("{prefix}.{}", self.key);
        self
    }
}
