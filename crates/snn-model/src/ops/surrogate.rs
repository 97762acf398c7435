//! Surrogate derivatives for the spike non-linearity: the one definition every kernel uses.
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
//!
//! **Adding a surrogate** is one entry in the `surrogates!` invocation below: its variant,
//! parameter, TOML name, numeric code and formula. The macro makes from it the [`Surrogate`]
//! enum (and its TOML form), the host derivative ([`Surrogate::derivative`], and
//! [`Surrogate::derivative_row`] which the CPU kernels vectorise) and the CubeCL function
//! [`surrogate_derivative`] the GPU kernels call with the variant's [`code`]. A formula is
//! written once in a syntax both compile: constants as `c::<F>(value)`, `exp_neg::<F>(v)` for
//! `exp(v)` with `v ≤ 0`, `.abs()`, `+ − × ÷` and `let`.

use burn_cubecl::cubecl;
use burn_cubecl::cubecl::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! surrogates {
    (
        kernel { $($kernel:tt)* } ($dx:ident, $dk:ident, $dkind:ident)
        $(
            $(#[$doc:meta])*
            $variant:ident { $param:ident } = $name:literal, code $code:literal,
            |$x:ident, $k:ident| $body:block;
        )*
    ) => {
        /// Which surrogate derivative the backward pass of a spike uses, with its parameter.
        #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
        pub enum Surrogate {
            $($(#[$doc])* $variant { $param: f32 },)*
        }

        /// The number each kind goes by in the CubeCL kernels (a comptime argument).
        #[allow(non_upper_case_globals)]
        pub mod code {
            $(pub const $variant: u32 = $code;)*
        }

        impl Surrogate {
            /// The kind's [`code`].
            pub fn code(self) -> u32 {
                match self {
                    $(Surrogate::$variant { .. } => code::$variant,)*
                }
            }

            /// The surrogate's parameter.
            pub fn parameter(self) -> f32 {
                match self {
                    $(Surrogate::$variant { $param } => $param,)*
                }
            }

            /// The TOML name of the kind.
            pub fn name(self) -> &'static str {
                match self {
                    $(Surrogate::$variant { .. } => $name,)*
                }
            }

            /// The TOML key of the parameter (`surrogate.slope`, …).
            pub fn parameter_key(self) -> &'static str {
                match self {
                    $(Surrogate::$variant { .. } => concat!("surrogate.", stringify!($param)),)*
                }
            }

            /// The surrogate derivative `σ'(x)` at one point.
            #[inline(always)]
            pub fn derivative(self, x: f32) -> f32 {
                use host_math::*;
                #[allow(dead_code)]
                type F = f32;
                match self {
                    $(Surrogate::$variant { $param } => {
                        let ($x, $k) = (x, $param);
                        $body
                    })*
                }
            }

            /// `out[j] = σ'(u[j] − θ)` for a row, the kind chosen once outside the loop so the
            /// compiler vectorises it (no libm calls).
            #[inline(always)]
            pub fn derivative_row(self, u: &[f32], theta: f32, out: &mut [f32]) {
                use host_math::*;
                #[allow(dead_code)]
                type F = f32;
                let u = &u[..out.len()];
                match self {
                    $(Surrogate::$variant { $param } => {
                        for (o, &u) in out.iter_mut().zip(u) {
                            let ($x, $k) = (u - theta, $param);
                            *o = $body;
                        }
                    })*
                }
            }
        }

        surrogates!(@kernel { $($kernel)* } ($dx, $dk, $dkind) [$($code, $x, $k, $body;)*] []);
    };
    // Builds the CubeCL function's `if kind == code { … } else if … else { … }` chain from
    // tokens of the invocation only (CubeCL's expansion and macro hygiene must agree on names),
    // then emits the function.
    (@kernel { $($kernel:tt)* } ($dx:ident, $dk:ident, $dkind:ident)
        [$code:literal, $x:ident, $k:ident, $body:block; $($rest:tt)+] [$($chain:tt)*]) => {
        surrogates!(@kernel { $($kernel)* } ($dx, $dk, $dkind) [$($rest)+]
            [$($chain)* if $dkind == $code { let $x = $dx; let $k = $dk; $body } else]);
    };
    (@kernel { $($kernel:tt)* } ($dx:ident, $dk:ident, $dkind:ident)
        [$code:literal, $x:ident, $k:ident, $body:block;] [$($chain:tt)*]) => {
        $($kernel)* {
            use cube_math::*;
            $($chain)* { let $x = $dx; let $k = $dk; $body }
        }
    };
}

surrogates! {
    kernel {
        /// `σ'(x)` with parameter `k` for the kind with [`code`] `kind`, in CubeCL kernels.
        #[allow(clippy::redundant_locals)] // each formula rebinds its own names for x and k
        #[cube]
        pub fn surrogate_derivative<F: Float>(x: F, k: F, #[comptime] kind: u32) -> F
    } (x, k, kind)
    /// `k·s(kx)(1 − s(kx))`, the derivative of the logistic sigmoid `s(kx)`.
    Sigmoid { slope } = "sigmoid", code 0, |x, k| {
        let e = exp_neg::<F>(c::<F>(0.0) - k * x.abs());
        let d = c::<F>(1.0) + e;
        k * e / (d * d)
    };
    /// `1 / (1 + k|x|)²` (SuperSpike's fast sigmoid).
    FastSigmoid { slope } = "fast-sigmoid", code 1, |x, k| {
        let d = c::<F>(1.0) + k * x.abs();
        c::<F>(1.0) / (d * d)
    };
    /// `(α/2) / (1 + (π/2·α·x)²)`, the derivative of `atan(π/2·α·x)/π + 1/2`.
    Atan { alpha } = "atan", code 2, |x, k| {
        let y = c::<F>(std::f32::consts::FRAC_PI_2) * k * x;
        (k / c::<F>(2.0)) / (c::<F>(1.0) + y * y)
    };
}

/// The helpers a formula may call, on the host.
mod host_math {
    /// A constant of the formula's float type.
    #[inline(always)]
    pub fn c<F: From<f32>>(v: f32) -> F {
        F::from(v)
    }

    /// `exp(v)` for `v ≤ 0`, vectorisable.
    #[inline(always)]
    pub fn exp_neg<F: From<f32> + Into<f32>>(v: F) -> F {
        F::from(super::exp_nonpositive(v.into()))
    }
}

/// The same helpers in CubeCL kernels.
mod cube_math {
    use burn_cubecl::cubecl;
    use burn_cubecl::cubecl::prelude::*;

    #[cube]
    pub fn c<F: Float>(#[comptime] v: f32) -> F {
        F::new(v)
    }

    #[cube]
    pub fn exp_neg<F: Float>(v: F) -> F {
        v.exp()
    }
}

impl Default for Surrogate {
    /// The sigmoid surrogate with slope 25 (snnTorch's default slope).
    fn default() -> Self {
        Surrogate::Sigmoid { slope: 25.0 }
    }
}

impl Surrogate {
    /// Checks that the parameter is finite and positive.
    pub fn validate(self) -> Result<(), crate::ConfigError> {
        let p = self.parameter();
        if p.is_finite() && p > 0.0 {
            Ok(())
        } else {
            Err(crate::ConfigError::new(
                self.parameter_key(),
                p,
                "must be a finite number > 0",
            ))
        }
    }
}

/// `exp(x)` for `x ≤ 0` to about 2 ulp without a libm call (Cephes' `expf` polynomial with
/// Cody–Waite range reduction), so loops over it vectorise. Inputs below −87 give `exp(−87)`.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    let x = x.clamp(-87.0, 0.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}
