//! Portable glue: runs the [`super::host`] kernels on any backend's tensors by reading them back
//! to host memory and uploading the results. The default bodies of [`super::SnnOps`] use it;
//! backends with direct memory access ([`super::cpu`]) or native kernels ([`super::cube`])
//! override it.

use burn::backend::{Backend, DType, TensorData, TensorMetadata, tensor::FloatTensor};
use burn::tensor::Shape;

use super::host::poisson::{probabilities, seed_from_draws};
use super::host::{
    SpikeEvents, events_matmul, lif_backward, lif_forward, poisson_spikes, surrogate_grad,
};
use super::surrogate::Surrogate;
use crate::ops::scan_params::LifScanParams;

/// Runs [`lif_forward`] on backend tensors (read back to host memory, then uploaded).
pub fn lif_scan_forward_on<B: Backend>(
    current: FloatTensor<B>,
    beta: FloatTensor<B>,
    params: LifScanParams,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let device = current.device();
    let (shape, dtype) = (current.shape(), current.dtype());
    let dims = dims3(&shape);
    let current = to_host::<B>(current);
    let beta = to_host::<B>(beta);
    let len = current.len();
    let (mut spikes, mut membrane) = (vec![0.0; len], vec![0.0; len]);
    lif_forward(&current, &beta, dims, params, &mut spikes, &mut membrane);
    (
        from_host::<B>(spikes, shape.clone(), dtype, &device),
        from_host::<B>(membrane, shape, dtype, &device),
    )
}

/// Runs [`lif_backward`] on backend tensors.
pub fn lif_scan_backward_on<B: Backend>(
    grad_spikes: FloatTensor<B>,
    membrane: FloatTensor<B>,
    beta: FloatTensor<B>,
    params: LifScanParams,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let device = grad_spikes.device();
    let (shape, dtype) = (grad_spikes.shape(), grad_spikes.dtype());
    let beta_shape = beta.shape();
    let dims = dims3(&shape);
    let grad_spikes = to_host::<B>(grad_spikes);
    let membrane = to_host::<B>(membrane);
    let beta = to_host::<B>(beta);
    let mut grad_current = vec![0.0; grad_spikes.len()];
    let grad_beta = lif_backward(
        &grad_spikes,
        &membrane,
        &beta,
        dims,
        params,
        &mut grad_current,
    );
    (
        from_host::<B>(grad_current, shape, dtype, &device),
        from_host::<B>(grad_beta, beta_shape, dtype, &device),
    )
}

/// Runs [`surrogate_grad`] on backend tensors.
pub fn spike_surrogate_grad_on<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    surrogate: Surrogate,
) -> FloatTensor<B> {
    let device = grad.device();
    let (shape, dtype) = (grad.shape(), grad.dtype());
    let (x, grad) = (to_host::<B>(x), to_host::<B>(grad));
    let mut out = vec![0.0; grad.len()];
    surrogate_grad(&x, &grad, surrogate, &mut out);
    from_host::<B>(out, shape, dtype, &device)
}

/// Reads a float tensor back as `f32` host values.
pub fn to_host<B: Backend>(tensor: FloatTensor<B>) -> Vec<f32> {
    let data = burn::tensor::try_read_sync(B::float_into_data(tensor))
        .expect("host kernels need a backend whose reads can block")
        .expect("reading a tensor back from the device failed");
    data.convert::<f32>()
        .to_vec::<f32>()
        .expect("converted data is f32")
}

/// Uploads `f32` host values as a float tensor of `dtype`.
pub fn from_host<B: Backend>(
    values: Vec<f32>,
    shape: Shape,
    dtype: DType,
    device: &B::Device,
) -> FloatTensor<B> {
    let data = TensorData::new(values, shape);
    let data = if dtype == DType::F32 {
        data
    } else {
        data.convert_dtype(dtype)
    };
    B::float_from_data(data, device)
}

pub fn dims3(shape: &Shape) -> [usize; 3] {
    assert_eq!(
        shape.num_dims(),
        3,
        "expected a [T, B, N] tensor, got {shape:?}"
    );
    [shape[0], shape[1], shape[2]]
}

/// Runs [`events_matmul`] (or the backend's dense matmul above `max_density`).
pub fn spike_matmul_on<B: Backend>(
    input: FloatTensor<B>,
    weight: FloatTensor<B>,
    max_density: f32,
) -> FloatTensor<B> {
    let device = input.device();
    let (shape, dtype) = (input.shape(), input.dtype());
    let [t, b, k] = dims3(&shape);
    let n = weight.shape()[1];
    let events = SpikeEvents::scan(&to_host::<B>(input.clone()), [t, b, k]);
    if events.density() > max_density {
        return dense_matmul::<B>(input, weight);
    }
    let mut out = vec![0.0; t * b * n];
    events_matmul(&events, &to_host::<B>(weight), n, &mut out);
    from_host::<B>(out, Shape::new([t, b, n]), dtype, &device)
}

/// `input [T, B, K] · weight [K, N]` as one dense matrix product.
pub fn dense_matmul<B: Backend>(input: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let [t, b, k] = dims3(&input.shape());
    let n = weight.shape()[1];
    let flat = B::float_reshape(input, Shape::new([t * b, k]));
    B::float_reshape(B::float_matmul(flat, weight), Shape::new([t, b, n]))
}

/// `Σ_{t,b} input[t, b]ᵀ · grad[t, b]` as one dense matrix product.
pub fn dense_weight_grad<B: Backend>(
    input: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    let [t, b, k] = dims3(&input.shape());
    let n = grad.shape()[2];
    let x = B::float_reshape(input, Shape::new([t * b, k]));
    let g = B::float_reshape(grad, Shape::new([t * b, n]));
    B::float_matmul(B::float_transpose(x), g)
}

/// Runs [`poisson_spikes`]: `p = clamp(gain·x, 0, 1)`, `seed` from the two draws in `seed`.
pub fn poisson_encode_on<B: Backend>(
    intensity: FloatTensor<B>,
    seed: FloatTensor<B>,
    steps: usize,
    gain: f32,
) -> FloatTensor<B> {
    let device = intensity.device();
    let (shape, dtype) = (intensity.shape(), intensity.dtype());
    let [b, n] = dims2(&shape);
    let p = probabilities(&to_host::<B>(intensity), gain);
    let mut out = vec![0.0; steps * b * n];
    poisson_spikes(&p, seed_from_draws(&to_host::<B>(seed)), &mut out);
    from_host::<B>(out, Shape::new([steps, b, n]), dtype, &device)
}

pub fn dims2(shape: &Shape) -> [usize; 2] {
    assert_eq!(shape.num_dims(), 2, "expected a matrix, got {shape:?}");
    [shape[0], shape[1]]
}
