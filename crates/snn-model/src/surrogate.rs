//! Surrogate derivatives for the spike non-linearity (defined with the kernels, in
//! [`crate::ops::surrogate`], so that the host and CubeCL code share one definition).

pub use crate::ops::surrogate::{Surrogate, code};
