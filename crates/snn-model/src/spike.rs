//! The spike non-linearity as a tensor function.

use burn::backend::Dispatch;
use burn::tensor::{Tensor, activation::sigmoid};

use crate::ops::SnnOps;
use crate::ops::surrogate::Surrogate;

/// `H(x) = 1[x > 0]` (exactly 0.0 or 1.0); backward `grad · σ'(x)` with the given surrogate.
/// A custom autodiff op ([`SnnOps::spike`]), so no surrogate is evaluated in the forward pass.
pub fn spike<const D: usize>(x: Tensor<D>, surrogate: Surrogate) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as SnnOps>::spike(x.into_dispatch(), surrogate))
}

/// Reference spike built with the detach trick from plain tensor ops:
/// `f(x) + (H(x) − f(x)).detach()` where `f` is a smooth function with `f' = σ'`:
/// `s(kx)` (sigmoid), `x/(1 + k|x|)` (fast sigmoid), `atan(π/2·α·x)/π` (atan).
/// Forward equals `H(x)` exactly for the sigmoid; to rounding for the others. Tests only.
pub fn spike_reference<const D: usize>(x: Tensor<D>, surrogate: Surrogate) -> Tensor<D> {
    let smooth = match surrogate {
        Surrogate::Sigmoid { slope } => sigmoid(x.clone() * slope),
        Surrogate::FastSigmoid { slope } => x.clone() / (x.clone().abs() * slope + 1.0),
        Surrogate::Atan { alpha } => {
            (x.clone() * (std::f32::consts::FRAC_PI_2 * alpha)).atan() / std::f32::consts::PI
        }
    };
    let step = x.greater_elem(0.0).float();
    smooth.clone() + (step - smooth).detach()
}
