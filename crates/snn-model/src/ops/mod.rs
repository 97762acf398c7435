//! Custom backend operations of the spiking network, as a Burn backend extension.
//!
//! [`SnnOps`] is implemented for Flex, NdArray and every CubeCL runtime (wgpu, CUDA, …), and for
//! `Autodiff<B>` with hand-written backward passes ([`autodiff`]). The default bodies are the
//! portable implementations: primitive tensor ops for the spike, and the host kernels of
//! [`host`] (through [`host_ops`], on tensors read back and uploaded: [`access::Copied`]) for the
//! LIF scan, the spike matmul and the Poisson encoder. The CPU backends run the same glue on
//! their memory directly ([`cpu`], [`access::Direct`]); CubeCL runtimes run kernels of their own
//! ([`cube`]).

// The extension is routed to NdArray, which Burn 0.22 deprecates but still supports.
#![allow(deprecated)]

pub mod access;
pub mod autodiff;
pub mod cpu;
pub mod cube;
pub mod dense;
pub mod host;
pub mod host_ops;
pub mod scan_params;
mod simd;
pub mod surrogate;

use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

use access::Copied;
use scan_params::LifScanParams;
use surrogate::Surrogate;

/// The largest number of spike slots `T·B·N` one Poisson encoding may draw: the counter of the
/// draws ([`host::uniform`] on CPU, the same hash in [`cube`]) is a `u32`, so a larger tensor
/// would repeat its random numbers (CPU) or overflow the kernel's index (GPU).
/// [`crate::SnnConfig::check_batch`] refuses such a batch before anything is allocated.
pub const MAX_SPIKE_SLOTS: usize = u32::MAX as usize;

/// The vector extension the host kernels run with on this CPU (`avx512`, `avx2`, `baseline`).
pub fn simd_level() -> &'static str {
    match simd::level() {
        simd::Level::Avx512 => "avx512",
        simd::Level::Avx2 => "avx2",
        simd::Level::Baseline => "baseline",
    }
}

#[backend_extension(Cube, Flex, NdArray, Fusion, Autodiff)]
pub trait SnnOps: Backend {
    /// Heaviside step `H(x) = 1[x > 0]` (exactly 0.0 or 1.0). Under autodiff its backward is
    /// `grad · σ'(x)` with the given surrogate (see [`Surrogate`]).
    #[fusion(default)]
    fn spike(x: FloatTensor<Self>, surrogate: Surrogate) -> FloatTensor<Self> {
        let _ = surrogate;
        // sign(x) ∈ {-1, 0, 1}; relu maps it to 1[x > 0]. NaN stays NaN.
        Self::relu(Self::float_sign(x))
    }

    /// `grad · σ'(x)`, the surrogate gradient of [`SnnOps::spike`] ([`surrogate`]'s formulas:
    /// host kernel on CPU backends, a CubeCL kernel on CubeCL runtimes).
    #[fusion(dtype = grad, shape = x.clone())]
    fn spike_surrogate_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        host_ops::spike_surrogate_grad::<Self, Copied>(x, grad, surrogate)
    }

    /// Fused LIF recurrence over all time steps (see [`crate::lif`] for the equations).
    ///
    /// `current`: `[T, B, N]` input currents; `beta`: `[N]` decay factors.
    /// Returns `(spikes, membrane)`, both `[T, B, N]`; `membrane[t]` is `u[t]` before the spike
    /// test, so `spikes = H(membrane − θ)`.
    #[fusion(meta = |current, _beta, _params| (current.clone(), current.clone()))]
    fn lif_scan_forward(
        current: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        host_ops::lif_scan_forward::<Self, Copied>(current, beta, params)
    }

    /// Backward pass through time of [`SnnOps::lif_scan_forward`].
    ///
    /// `grad_spikes` and `membrane` are `[T, B, N]`, `beta` is `[N]`.
    /// Returns `(grad_current [T, B, N], grad_beta [N])`.
    #[fusion(meta = |grad_spikes, _membrane, beta, _params| (grad_spikes.clone(), beta.clone()))]
    fn lif_scan_backward(
        grad_spikes: FloatTensor<Self>,
        membrane: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        host_ops::lif_scan_backward::<Self, Copied>(grad_spikes, membrane, beta, params)
    }

    /// Spikes of the fused LIF scan, differentiable under autodiff with respect to `current`
    /// and `beta` (backward: [`SnnOps::lif_scan_backward`]).
    #[fusion(default)]
    fn lif_scan(
        current: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> FloatTensor<Self> {
        Self::lif_scan_forward(current, beta, params).0
    }

    /// Poisson spikes `[T, B, N]`: `s[t, b, n] = 1[U(0,1) < clamp(gain·x[b, n], 0, 1)]` for
    /// intensities `x` `[B, N]`. `seed` holds two uniform draws from the device's RNG that seed a
    /// counter-based generator ([`host::poisson_spikes`]), so the same seed gives the same
    /// spikes on every backend: the CPU backends draw on their memory, the CubeCL runtimes in a
    /// kernel, this default body on the host. Never differentiated.
    #[fusion(dtype = intensity, shape = burn::tensor::Shape::new([*steps, intensity[0], intensity[1]]))]
    fn poisson_encode(
        intensity: FloatTensor<Self>,
        seed: FloatTensor<Self>,
        steps: usize,
        gain: f32,
    ) -> FloatTensor<Self> {
        host_ops::poisson_encode::<Self, Copied>(intensity, seed, steps, gain)
    }

    /// `input [T, B, K] × weight [K, N]` → `[T, B, N]` for spike trains (mostly zeros). The
    /// CPU implementations visit only the non-zeros (events) when their density is at most
    /// `max_density`, and multiply densely otherwise; the result equals the dense product up to
    /// summation order.
    #[fusion(dtype = input, shape = burn::tensor::Shape::new([input[0], input[1], weight[1]]))]
    fn spike_matmul(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        max_density: f32,
    ) -> FloatTensor<Self> {
        host_ops::spike_matmul::<Self, Copied>(input, weight, max_density)
    }

    /// The operand the [`SnnOps::spike_events_matmul`] family multiplies with: on CPU backends
    /// the events of spike train `input` `[T, B, K]` packed in a 1-D tensor (bit patterns, read
    /// only by those ops) when their density is at most `max_density`; otherwise, and on every
    /// other backend, `input` itself. Lets the autodiff spike matmul scan its input once and keep
    /// the (smaller) events for its backward pass.
    #[fusion(default)]
    fn spike_events(input: FloatTensor<Self>, max_density: f32) -> FloatTensor<Self> {
        let _ = max_density;
        input
    }

    /// `input · weight` → `[T, B, N]` for `events` from [`SnnOps::spike_events`] (event-driven
    /// when they are packed events, dense when they are the input itself).
    #[fusion(default)]
    fn spike_events_matmul(
        events: FloatTensor<Self>,
        weight: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        dense::dense_matmul::<Self>(events, weight)
    }

    /// `Σ_{t,b} input[t, b]ᵀ · grad[t, b]` → `[K, N]` for `events` from [`SnnOps::spike_events`].
    #[fusion(default)]
    fn spike_events_weight_grad(
        events: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        dense::dense_weight_grad::<Self>(events, grad)
    }

    /// [`SnnOps::spike_matmul`], differentiable under autodiff with respect to both operands.
    #[fusion(default)]
    fn spike_linear(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        max_density: f32,
    ) -> FloatTensor<Self> {
        Self::spike_matmul(input, weight, max_density)
    }
}
