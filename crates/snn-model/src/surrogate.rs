//! Surrogate derivatives for the spike non-linearity.
//!
//! The forward pass of a spike is the exact Heaviside step `H(x) = 1[x > 0]` with `x = u − θ`.
//! Its true derivative is zero almost everywhere, so the backward pass replaces `H'(x)` by the
//! derivative of a smooth stand-in:
//!
//! | name           | surrogate derivative `σ'(x)`                      | parameter |
//! |----------------|---------------------------------------------------|-----------|
//! | `sigmoid`      | `k·s(kx)·(1 − s(kx))`, `s` the logistic function  | slope `k` |
//! | `fast-sigmoid` | `1 / (1 + k·|x|)²`                                | slope `k` |
//! | `atan`         | `(α/2) / (1 + (π/2·α·x)²)`                        | `α`       |
//!
//! All three are evaluated in a form that never overflows: the sigmoid derivative is computed as
//! `k·e / (1 + e)²` with `e = exp(−k·|x|) ∈ (0, 1]`, which is exact (the derivative is even) and
//! finite for every finite `x` and `k` (snnTorch 1.0's `k·exp(−kx)/(1+exp(−kx))²` overflows to
//! `inf/inf = NaN` once `−kx` exceeds ~88).

use serde::{Deserialize, Serialize};

/// Which surrogate derivative the backward pass of a spike uses, with its parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Surrogate {
    /// `k·s(kx)(1 − s(kx))`, the derivative of the logistic sigmoid `s(kx)`.
    Sigmoid { slope: f32 },
    /// `1 / (1 + k|x|)²` (SuperSpike's fast sigmoid).
    FastSigmoid { slope: f32 },
    /// `(α/2) / (1 + (π/2·α·x)²)`, the derivative of `atan(π/2·α·x)/π + 1/2`.
    Atan { alpha: f32 },
}

impl Default for Surrogate {
    /// The sigmoid surrogate with slope 25 (snnTorch's default slope).
    fn default() -> Self {
        Surrogate::Sigmoid { slope: 25.0 }
    }
}

impl Surrogate {
    /// The surrogate derivative `σ'(x)` at one point (host reference and CPU kernels).
    #[inline]
    pub fn derivative(self, x: f32) -> f32 {
        match self {
            Surrogate::Sigmoid { slope } => {
                let e = (-slope * x.abs()).exp();
                let d = 1.0 + e;
                slope * e / (d * d)
            }
            Surrogate::FastSigmoid { slope } => {
                let d = 1.0 + slope * x.abs();
                1.0 / (d * d)
            }
            Surrogate::Atan { alpha } => {
                let y = std::f32::consts::FRAC_PI_2 * alpha * x;
                (alpha / 2.0) / (1.0 + y * y)
            }
        }
    }

    /// The surrogate's parameter (slope `k` or `α`).
    pub fn parameter(self) -> f32 {
        match self {
            Surrogate::Sigmoid { slope } | Surrogate::FastSigmoid { slope } => slope,
            Surrogate::Atan { alpha } => alpha,
        }
    }

    /// Short kebab-case name: `sigmoid`, `fast-sigmoid` or `atan`.
    pub fn name(self) -> &'static str {
        match self {
            Surrogate::Sigmoid { .. } => "sigmoid",
            Surrogate::FastSigmoid { .. } => "fast-sigmoid",
            Surrogate::Atan { .. } => "atan",
        }
    }

    /// Checks that the parameter is finite and positive.
    pub fn validate(self) -> Result<(), crate::ConfigError> {
        let p = self.parameter();
        if p.is_finite() && p > 0.0 {
            Ok(())
        } else {
            let key = match self {
                Surrogate::Atan { .. } => "surrogate.alpha",
                _ => "surrogate.slope",
            };
            Err(crate::ConfigError::new(
                key,
                p,
                "must be a finite number > 0",
            ))
        }
    }
}
