//! The host-side contract of the LIF scan kernels: everything a kernel needs besides its
//! tensors. Defined here, below the module layer ([`crate::lif`] re-exports both types), so the
//! kernels never import the modules that use them.

use serde::{Deserialize, Serialize};

use crate::ops::surrogate::Surrogate;

/// How the membrane is reset after a spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reset {
    /// `u ← u − θ` (keeps the excess above threshold).
    #[default]
    Subtract,
    /// `u ← 0`.
    Zero,
}

/// Host-side parameters of a LIF scan (everything but the tensors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifScanParams {
    pub threshold: f32,
    pub reset: Reset,
    pub detach_reset: bool,
    pub surrogate: Surrogate,
}
