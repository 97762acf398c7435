//! The [`super::host`] kernels on backend tensors, written once for both ways of reaching the
//! memory ([`super::access`]): the default bodies of [`super::SnnOps`] run them through
//! [`super::access::Copied`] (any backend), the CPU backends through [`super::access::Direct`]
//! ([`super::cpu`]). Each function reads its operands, runs the kernel into a fresh buffer and
//! makes the result a tensor of the operand's dtype on its device.

use burn::backend::{Backend, DType, TensorMetadata, tensor::FloatTensor};
use burn::tensor::Shape;

use super::access::HostAccess;
use super::dense::{dense_matmul, dense_weight_grad, dims2, dims3};
use super::host::poisson::{probabilities, seed_from_draws};
use super::host::{
    SpikeEvents, events_matmul, events_weight_grad, lif_backward, lif_forward, poisson_spikes,
    surrogate_grad,
};
use super::scan_params::LifScanParams;
use super::surrogate::Surrogate;

/// `grad · σ'(x)`.
pub fn spike_surrogate_grad<B: Backend, M: HostAccess<B>>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    surrogate: Surrogate,
) -> FloatTensor<B> {
    let (shape, dtype, device) = (grad.shape(), grad.dtype(), grad.device());
    let g = M::read(&grad);
    let mut out = vec![0.0; g.len()];
    surrogate_grad(&M::read(&x), &g, surrogate, &mut out);
    M::write(out, shape, dtype, &device)
}

/// The LIF scan forward: `(spikes, membrane)`.
pub fn lif_scan_forward<B: Backend, M: HostAccess<B>>(
    current: FloatTensor<B>,
    beta: FloatTensor<B>,
    params: LifScanParams,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (shape, dtype, device) = (current.shape(), current.dtype(), current.device());
    let input = M::read(&current);
    let (mut spikes, mut membrane) = (vec![0.0; input.len()], vec![0.0; input.len()]);
    let dims = dims3(&shape);
    lif_forward(
        &input,
        &M::read(&beta),
        dims,
        params,
        &mut spikes,
        &mut membrane,
    );
    (
        M::write(spikes, shape.clone(), dtype, &device),
        M::write(membrane, shape, dtype, &device),
    )
}

/// The LIF scan backward: `(grad_current, grad_beta)`.
pub fn lif_scan_backward<B: Backend, M: HostAccess<B>>(
    grad_spikes: FloatTensor<B>,
    membrane: FloatTensor<B>,
    beta: FloatTensor<B>,
    params: LifScanParams,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (shape, dtype, device) = (
        grad_spikes.shape(),
        grad_spikes.dtype(),
        grad_spikes.device(),
    );
    let grad = M::read(&grad_spikes);
    let mut grad_current = vec![0.0; grad.len()];
    let (m, b) = (M::read(&membrane), M::read(&beta));
    let grad_beta = lif_backward(&grad, &m, &b, dims3(&shape), params, &mut grad_current);
    (
        M::write(grad_current, shape, dtype, &device),
        M::write(grad_beta, beta.shape(), dtype, &device),
    )
}

/// The events of spike tensor `t` `[T, B, K]`.
fn events_of<B: Backend, M: HostAccess<B>>(t: &FloatTensor<B>) -> SpikeEvents {
    SpikeEvents::scan(&M::read(t), dims3(&t.shape()))
}

/// `input · weight`, event by event up to `max_density`, densely above it.
pub fn spike_matmul<B: Backend, M: HostAccess<B>>(
    input: FloatTensor<B>,
    weight: FloatTensor<B>,
    max_density: f32,
) -> FloatTensor<B> {
    let events = events_of::<B, M>(&input);
    if events.density() > max_density {
        return dense_matmul::<B>(input, weight);
    }
    matmul_events::<B, M>(&events, weight)
}

/// `x · weight` → `[T, B, N]` for spikes `x` given by their events.
fn matmul_events<B: Backend, M: HostAccess<B>>(
    x: &SpikeEvents,
    weight: FloatTensor<B>,
) -> FloatTensor<B> {
    let n = weight.shape()[1];
    let mut out = vec![0.0; x.steps * x.batch * n];
    events_matmul(x, &M::read(&weight), n, &mut out);
    let shape = Shape::new([x.steps, x.batch, n]);
    M::write(out, shape, weight.dtype(), &weight.device())
}

/// The events of `input` packed in a 1-D tensor up to `max_density`; `input` itself above it.
pub fn spike_events<B: Backend, M: HostAccess<B>>(
    input: FloatTensor<B>,
    max_density: f32,
) -> FloatTensor<B> {
    let events = events_of::<B, M>(&input);
    if events.density() > max_density {
        return input;
    }
    // Bit patterns, read only by the events ops: kept as f32 whatever the input's dtype.
    let packed = events.pack();
    let len = packed.len();
    M::write(packed, Shape::new([len]), DType::F32, &input.device())
}

/// The events [`spike_events`] packed, or `None` for a dense `[T, B, K]` operand.
fn unpacked<B: Backend, M: HostAccess<B>>(events: &FloatTensor<B>) -> Option<SpikeEvents> {
    (events.shape().num_dims() == 1).then(|| SpikeEvents::unpack(&M::read(events)))
}

/// `events · weight` for the operand of [`spike_events`].
pub fn spike_events_matmul<B: Backend, M: HostAccess<B>>(
    events: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> FloatTensor<B> {
    match unpacked::<B, M>(&events) {
        Some(x) => matmul_events::<B, M>(&x, weight),
        None => dense_matmul::<B>(events, weight),
    }
}

/// `Σ_{t,b} x[t, b]ᵀ · grad[t, b]` for the operand of [`spike_events`].
pub fn spike_events_weight_grad<B: Backend, M: HostAccess<B>>(
    events: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    let Some(x) = unpacked::<B, M>(&events) else {
        return dense_weight_grad::<B>(events, grad);
    };
    let n = grad.shape()[2];
    let dw = events_weight_grad(&x, &M::read(&grad), n);
    M::write(dw, Shape::new([x.k, n]), grad.dtype(), &grad.device())
}

/// Poisson spikes `[steps, B, N]` for intensities `[B, N]` and the two seed draws.
pub fn poisson_encode<B: Backend, M: HostAccess<B>>(
    intensity: FloatTensor<B>,
    seed: FloatTensor<B>,
    steps: usize,
    gain: f32,
) -> FloatTensor<B> {
    let (shape, dtype, device) = (intensity.shape(), intensity.dtype(), intensity.device());
    let [b, n] = dims2(&shape);
    let p = probabilities(&M::read(&intensity), gain);
    let mut out = vec![0.0; steps * b * n];
    poisson_spikes(&p, seed_from_draws(&M::read(&seed)), &mut out);
    M::write(out, Shape::new([steps, b, n]), dtype, &device)
}
