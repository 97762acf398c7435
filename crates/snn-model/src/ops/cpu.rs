//! CPU backends (Flex, NdArray): the host kernels run on the backend's own memory (no read-back
//! copies). A spike tensor's events are scanned from it where an op needs them (forward and
//! weight gradient of the spike matmul); nothing is cached between ops.

use std::borrow::Cow;

use burn::backend::{Backend, DType, TensorData, TensorMetadata, tensor::FloatTensor};
use burn::tensor::Shape;

use super::generic::{dense_matmul, dense_weight_grad, dims2, dims3, to_host};
use super::host::poisson::{probabilities, seed_from_draws};
use super::host::{
    SpikeEvents, events_matmul, events_weight_grad, lif_backward, lif_forward, poisson_spikes,
    surrogate_grad,
};
use super::surrogate::Surrogate;
use crate::ops::scan_params::LifScanParams;

/// Direct access to a CPU backend's float tensors.
pub trait HostMemory: Backend {
    /// The values of a contiguous `f32` tensor, without copying; `None` otherwise.
    fn borrow_f32(t: &FloatTensor<Self>) -> Option<&[f32]>;
    /// A tensor owning `values` (row-major, `shape`).
    fn from_f32(values: Vec<f32>, shape: Shape) -> FloatTensor<Self>;
}

impl HostMemory for burn::backend::Flex {
    fn borrow_f32(t: &FloatTensor<Self>) -> Option<&[f32]> {
        t.as_slice::<f32>()
    }

    fn from_f32(values: Vec<f32>, shape: Shape) -> FloatTensor<Self> {
        burn::backend::flex::FlexTensor::from_data(TensorData::new(values, shape))
    }
}

impl HostMemory for burn::backend::NdArray {
    fn borrow_f32(t: &FloatTensor<Self>) -> Option<&[f32]> {
        match t {
            burn::backend::ndarray::NdArrayTensor::F32(storage) => storage.view().to_slice(),
            _ => None,
        }
    }

    fn from_f32(values: Vec<f32>, shape: Shape) -> FloatTensor<Self> {
        burn::backend::ndarray::NdArrayTensor::from_data(TensorData::new(values, shape))
    }
}

/// The tensor's values as `f32`: borrowed when possible, else copied.
fn values<B: HostMemory>(t: &FloatTensor<B>) -> Cow<'_, [f32]> {
    match B::borrow_f32(t) {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(to_host::<B>(t.clone())),
    }
}

/// A tensor of `dtype` holding `values`.
fn tensor<B: HostMemory>(values: Vec<f32>, shape: Shape, dtype: DType) -> FloatTensor<B> {
    if dtype == DType::F32 {
        B::from_f32(values, shape)
    } else {
        let data = TensorData::new(values, shape).convert_dtype(dtype);
        B::float_from_data(data, &Default::default())
    }
}

/// The events of spike tensor `t` `[T, B, K]` (scanned from its values).
fn events_of<B: HostMemory>(t: &FloatTensor<B>) -> SpikeEvents {
    SpikeEvents::scan(&values::<B>(t), dims3(&t.shape()))
}

pub fn spike_surrogate_grad<B: HostMemory>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    surrogate: Surrogate,
) -> FloatTensor<B> {
    let (shape, dtype) = (grad.shape(), grad.dtype());
    let g = values::<B>(&grad);
    let mut out = vec![0.0; g.len()];
    surrogate_grad(&values::<B>(&x), &g, surrogate, &mut out);
    tensor::<B>(out, shape, dtype)
}

pub fn lif_scan_forward<B: HostMemory>(
    current: FloatTensor<B>,
    beta: FloatTensor<B>,
    params: LifScanParams,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (shape, dtype) = (current.shape(), current.dtype());
    let dims = dims3(&shape);
    let input = values::<B>(&current);
    let (mut spikes, mut membrane) = (vec![0.0; input.len()], vec![0.0; input.len()]);
    lif_forward(
        &input,
        &values::<B>(&beta),
        dims,
        params,
        &mut spikes,
        &mut membrane,
    );
    (
        tensor::<B>(spikes, shape.clone(), dtype),
        tensor::<B>(membrane, shape, dtype),
    )
}

pub fn lif_scan_backward<B: HostMemory>(
    grad_spikes: FloatTensor<B>,
    membrane: FloatTensor<B>,
    beta: FloatTensor<B>,
    params: LifScanParams,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let (shape, dtype) = (grad_spikes.shape(), grad_spikes.dtype());
    let grad = values::<B>(&grad_spikes);
    let mut grad_current = vec![0.0; grad.len()];
    let grad_beta = lif_backward(
        &grad,
        &values::<B>(&membrane),
        &values::<B>(&beta),
        dims3(&shape),
        params,
        &mut grad_current,
    );
    (
        tensor::<B>(grad_current, shape, dtype),
        tensor::<B>(grad_beta, beta.shape(), dtype),
    )
}

pub fn spike_matmul<B: HostMemory>(
    input: FloatTensor<B>,
    weight: FloatTensor<B>,
    max_density: f32,
) -> FloatTensor<B> {
    let events = events_of::<B>(&input);
    if events.density() > max_density {
        return dense_matmul::<B>(input, weight);
    }
    matmul_events::<B>(&events, weight)
}

/// `x · weight` → `[T, B, N]` for spikes `x` given by their events.
fn matmul_events<B: HostMemory>(x: &SpikeEvents, weight: FloatTensor<B>) -> FloatTensor<B> {
    let n = weight.shape()[1];
    let mut out = vec![0.0; x.steps * x.batch * n];
    events_matmul(x, &values::<B>(&weight), n, &mut out);
    tensor::<B>(out, Shape::new([x.steps, x.batch, n]), weight.dtype())
}

pub fn spike_events<B: HostMemory>(input: FloatTensor<B>, max_density: f32) -> FloatTensor<B> {
    let events = events_of::<B>(&input);
    if events.density() > max_density {
        return input;
    }
    let packed = events.pack();
    let len = packed.len();
    B::from_f32(packed, Shape::new([len]))
}

/// The events `spike_events` packed into a 1-D tensor, or `None` for a dense `[T, B, K]` operand.
fn unpacked<B: HostMemory>(events: &FloatTensor<B>) -> Option<SpikeEvents> {
    (events.shape().num_dims() == 1).then(|| SpikeEvents::unpack(&values::<B>(events)))
}

pub fn spike_events_matmul<B: HostMemory>(
    events: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> FloatTensor<B> {
    match unpacked::<B>(&events) {
        Some(x) => matmul_events::<B>(&x, weight),
        None => dense_matmul::<B>(events, weight),
    }
}

pub fn spike_events_weight_grad<B: HostMemory>(
    events: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    let Some(x) = unpacked::<B>(&events) else {
        return dense_weight_grad::<B>(events, grad);
    };
    let n = grad.shape()[2];
    let dw = events_weight_grad(&x, &values::<B>(&grad), n);
    tensor::<B>(dw, Shape::new([x.k, n]), grad.dtype())
}

pub fn poisson_encode<B: HostMemory>(
    intensity: FloatTensor<B>,
    seed: FloatTensor<B>,
    steps: usize,
    gain: f32,
) -> FloatTensor<B> {
    let (shape, dtype) = (intensity.shape(), intensity.dtype());
    let [b, k] = dims2(&shape);
    let p = probabilities(&values::<B>(&intensity), gain);
    let mut out = vec![0.0; steps * b * k];
    poisson_spikes(&p, seed_from_draws(&values::<B>(&seed)), &mut out);
    tensor::<B>(out, Shape::new([steps, b, k]), dtype)
}

/// Implements [`super::SnnOps`] for a CPU backend with the functions above.
macro_rules! impl_cpu_ops {
    ($backend:ty) => {
        impl super::SnnOps for $backend {
            fn spike_surrogate_grad(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                surrogate: Surrogate,
            ) -> FloatTensor<Self> {
                spike_surrogate_grad::<Self>(x, grad, surrogate)
            }

            fn lif_scan_forward(
                current: FloatTensor<Self>,
                beta: FloatTensor<Self>,
                params: LifScanParams,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                lif_scan_forward::<Self>(current, beta, params)
            }

            fn lif_scan_backward(
                grad_spikes: FloatTensor<Self>,
                membrane: FloatTensor<Self>,
                beta: FloatTensor<Self>,
                params: LifScanParams,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                lif_scan_backward::<Self>(grad_spikes, membrane, beta, params)
            }

            fn spike_matmul(
                input: FloatTensor<Self>,
                weight: FloatTensor<Self>,
                max_density: f32,
            ) -> FloatTensor<Self> {
                spike_matmul::<Self>(input, weight, max_density)
            }

            fn spike_events(input: FloatTensor<Self>, max_density: f32) -> FloatTensor<Self> {
                spike_events::<Self>(input, max_density)
            }

            fn spike_events_matmul(
                events: FloatTensor<Self>,
                weight: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                spike_events_matmul::<Self>(events, weight)
            }

            fn spike_events_weight_grad(
                events: FloatTensor<Self>,
                grad: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                spike_events_weight_grad::<Self>(events, grad)
            }

            fn poisson_encode(
                intensity: FloatTensor<Self>,
                seed: FloatTensor<Self>,
                steps: usize,
                gain: f32,
            ) -> FloatTensor<Self> {
                poisson_encode::<Self>(intensity, seed, steps, gain)
            }
        }
    };
}

impl_cpu_ops!(burn::backend::Flex);
impl_cpu_ops!(burn::backend::NdArray);
