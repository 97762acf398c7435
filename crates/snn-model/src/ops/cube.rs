//! CubeCL kernels of the fused LIF scan and the Poisson encoder, for every CubeCL runtime
//! (wgpu/Vulkan/Metal, CUDA, ROCm). LIF: one thread per `(batch, neuron)` column runs the `T`
//! steps sequentially with the state in registers; the equations are those of [`super::host`]
//! (see [`crate::lif`]). Poisson: one thread per output spike draws it with the counter-based
//! hash of [`super::host::poisson_spikes`], so GPU and CPU backends give the same spikes for the
//! same seed, with no host round trip.
//!
//! The spike matmul runs densely here: on a GPU the dense product is faster than gathering.

use burn::backend::{cubecl::dtype_to_storage_type, ops::FloatTensorOps, tensor::FloatTensor};
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::{calculate_cube_count_elemwise, prelude::*};
use burn_cubecl::{
    CubeBackend, kernel::into_contiguous, ops::numeric::empty_device_contiguous_dtype,
    tensor::CubeTensor,
};

use super::SnnOps;
use super::dense::dense_matmul;
use super::host::poisson::{DRAW_BITS, DRAW_SCALE, MIX32_M1, MIX32_M2};
use super::scan_params::{LifScanParams, Reset};
use super::surrogate::{Surrogate, surrogate_derivative};

#[cube(launch)]
fn lif_forward_kernel<F: Float>(
    current: &Tensor<F>,
    beta: &Tensor<F>,
    spikes: &mut Tensor<F>,
    membrane: &mut Tensor<F>,
    steps: u32,
    columns: u32,
    neurons: u32,
    threshold: f32,
    #[comptime] zero_reset: bool,
    #[define(F)] _dtype: ElemType,
) {
    let col = ABSOLUTE_POS;
    let cols = columns as usize;
    if col >= cols {
        terminate!();
    }
    let b = beta[col % neurons as usize];
    let th = F::cast_from(threshold);
    let zero = F::new(0.0);
    let one = F::new(1.0);
    let mut u = zero;
    let mut s = zero;
    for t in 0..steps as usize {
        let idx = t * cols + col;
        if zero_reset {
            u = b * u * (one - s) + current[idx];
        } else {
            u = b * u + current[idx] - th * s;
        }
        s = select(u - th > zero, one, zero);
        membrane[idx] = u;
        spikes[idx] = s;
    }
}

#[cube(launch)]
fn lif_backward_kernel<F: Float>(
    grad_spikes: &Tensor<F>,
    membrane: &Tensor<F>,
    beta: &Tensor<F>,
    grad_current: &mut Tensor<F>,
    grad_beta_columns: &mut Tensor<F>,
    steps: u32,
    columns: u32,
    neurons: u32,
    threshold: f32,
    surrogate_parameter: f32,
    #[comptime] zero_reset: bool,
    #[comptime] detach_reset: bool,
    #[comptime] surrogate: u32,
    #[define(F)] _dtype: ElemType,
) {
    let col = ABSOLUTE_POS;
    let cols = columns as usize;
    if col >= cols {
        terminate!();
    }
    let b = beta[col % neurons as usize];
    let th = F::cast_from(threshold);
    let k = F::cast_from(surrogate_parameter);
    let zero = F::new(0.0);
    let one = F::new(1.0);
    let mut a_next = zero;
    let mut grad_beta = zero;
    let mut t = steps as usize;
    while t > 0 {
        t -= 1;
        let idx = t * cols + col;
        let u = membrane[idx];
        let sg = surrogate_derivative::<F>(u - th, k, surrogate);
        let mut ds = grad_spikes[idx];
        // dL/du[t+1] reaches u[t] directly (β, or β·(1 − s[t]) after a reset to zero) and,
        // unless the reset is detached, through s[t] (−θ, or −β·u[t]).
        let mut direct = b;
        if zero_reset {
            if !detach_reset {
                ds -= b * u * a_next;
            }
            direct = b * (one - select(u - th > zero, one, zero));
        } else if !detach_reset {
            ds -= th * a_next;
        }
        let a = ds * sg + direct * a_next;
        grad_current[idx] = a;
        if t > 0 {
            let prev = membrane[idx - cols];
            let mut factor = prev;
            if zero_reset {
                factor = prev * (one - select(prev - th > zero, one, zero));
            }
            grad_beta += a * factor;
        }
        a_next = a;
    }
    grad_beta_columns[col] = grad_beta;
}

/// Wellons' `lowbias32` hash, as [`super::host`]'s `mix32` (u32 arithmetic wraps).
#[cube]
fn mix32(x: u32) -> u32 {
    let mut x = x;
    x ^= x >> 16u32;
    x *= MIX32_M1;
    x ^= x >> 15u32;
    x *= MIX32_M2;
    x ^ (x >> 16u32)
}

/// `out[i] = 1[u(seed, i) < clamp(gain·intensity[i mod row], 0, 1)]` for the flat index `i` of
/// `[T, B, N]`; `seed` holds the two draws that [`super::host::poisson::seed_from_draws`] turns into
/// the 48-bit seed, decoded here on the device.
#[cube(launch)]
fn poisson_kernel<F: Float>(
    intensity: &Tensor<F>,
    seed: &Tensor<F>,
    out: &mut Tensor<F>,
    row: u32,
    total: u32,
    gain: f32,
    #[define(F)] _dtype: ElemType,
) {
    let i = ABSOLUTE_POS;
    if i >= total as usize {
        terminate!();
    }
    let scale = F::new(DRAW_SCALE);
    let mask = (1u32 << DRAW_BITS) - 1u32;
    let hi = u32::cast_from(seed[0] * scale) & mask;
    let lo = u32::cast_from(seed[1] * scale) & mask;
    // seed = hi·2^DRAW_BITS + lo; s0 its low 32 bits, s1 the rest.
    let s0 = ((hi & ((1u32 << (32u32 - DRAW_BITS)) - 1u32)) << DRAW_BITS) | lo;
    let s1 = hi >> (32u32 - DRAW_BITS);
    let p = (F::cast_from(gain) * intensity[i % row as usize]).clamp(F::new(0.0), F::new(1.0));
    let h = mix32(mix32(u32::cast_from(i) ^ s0) + s1);
    let u = F::cast_from(h >> 8u32) * F::new(1.0 / DRAW_SCALE);
    out[i] = select(u < p, F::new(1.0), F::new(0.0));
}

/// `out[i] = grad[i] · σ'(x[i])` (the surrogate of [`super::surrogate`] with code `kind`).
#[cube(launch)]
fn surrogate_grad_kernel<F: Float>(
    x: &Tensor<F>,
    grad: &Tensor<F>,
    out: &mut Tensor<F>,
    total: u32,
    k: f32,
    #[comptime] kind: u32,
    #[define(F)] _dtype: ElemType,
) {
    let i = ABSOLUTE_POS;
    if i >= total as usize {
        terminate!();
    }
    out[i] = grad[i] * surrogate_derivative::<F>(x[i], F::cast_from(k), kind);
}

/// `[T, B, N]` of a contiguous current tensor.
fn scan_dims(t: &CubeTensor) -> [usize; 3] {
    super::dense::dims3(t.meta.shape())
}

/// A new tensor with row-major contiguous strides, as the kernels index it (flat `t·B·N + …`).
/// Not `empty_device_dtype`: on CUDA that allocates rows with a pitch (padded strides), so the
/// kernels' flat writes would land in the padding and the tensor's strides would scramble every
/// row whose length is not a multiple of the pitch. (This broke every result on CUDA, while
/// wgpu, which never pitches, passed.)
fn empty_like(t: &CubeTensor, shape: burn::tensor::Shape) -> CubeTensor {
    empty_device_contiguous_dtype(t.client.clone(), t.device.clone(), shape, t.dtype)
}

/// One launch of an element-wise kernel: `threads` threads (one per element or column) on the
/// client of `like`, in its float type.
struct Launch {
    client: cubecl::client::Client,
    count: CubeCount,
    dim: CubeDim,
    dtype: ElemType,
}

impl Launch {
    fn over(like: &CubeTensor, threads: usize) -> Self {
        let client = like.client.clone();
        let dim = CubeDim::new(&client, threads);
        let count = calculate_cube_count_elemwise(&client, threads, dim);
        Self {
            client,
            count,
            dim,
            dtype: dtype_to_storage_type(like.dtype),
        }
    }
}

impl SnnOps for CubeBackend {
    fn spike_surrogate_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        let x = into_contiguous(x);
        let grad = into_contiguous(grad);
        let out = empty_like(&grad, grad.meta.shape().clone());
        let total = out.meta.shape().num_elements();
        let l = Launch::over(&grad, total);
        surrogate_grad_kernel::launch(
            &l.client,
            l.count,
            l.dim,
            x.into_tensor_arg(),
            grad.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            total as u32,
            surrogate.parameter(),
            surrogate.code(),
            l.dtype,
        );
        out
    }

    fn lif_scan_forward(
        current: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let current = into_contiguous(current);
        let beta = into_contiguous(beta);
        let [steps, batch, neurons] = scan_dims(&current);
        let shape = current.meta.shape().clone();
        let spikes = empty_like(&current, shape.clone());
        let membrane = empty_like(&current, shape);
        let columns = batch * neurons;
        let l = Launch::over(&current, columns);
        lif_forward_kernel::launch(
            &l.client,
            l.count,
            l.dim,
            current.into_tensor_arg(),
            beta.into_tensor_arg(),
            spikes.clone().into_tensor_arg(),
            membrane.clone().into_tensor_arg(),
            steps as u32,
            columns as u32,
            neurons as u32,
            params.threshold,
            params.reset == Reset::Zero,
            l.dtype,
        );
        (spikes, membrane)
    }

    fn lif_scan_backward(
        grad_spikes: FloatTensor<Self>,
        membrane: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let grad_spikes = into_contiguous(grad_spikes);
        let membrane = into_contiguous(membrane);
        let beta = into_contiguous(beta);
        let [steps, batch, neurons] = scan_dims(&membrane);
        let grad_current = empty_like(&membrane, membrane.meta.shape().clone());
        let grad_beta_columns = empty_like(&membrane, burn::tensor::Shape::new([batch, neurons]));
        let columns = batch * neurons;
        let l = Launch::over(&membrane, columns);
        lif_backward_kernel::launch(
            &l.client,
            l.count,
            l.dim,
            grad_spikes.into_tensor_arg(),
            membrane.into_tensor_arg(),
            beta.into_tensor_arg(),
            grad_current.clone().into_tensor_arg(),
            grad_beta_columns.clone().into_tensor_arg(),
            steps as u32,
            columns as u32,
            neurons as u32,
            params.threshold,
            params.surrogate.parameter(),
            params.reset == Reset::Zero,
            params.detach_reset,
            Surrogate::code(params.surrogate),
            l.dtype,
        );
        let grad_beta = Self::float_sum_dim(grad_beta_columns, 0);
        let grad_beta = Self::float_reshape(grad_beta, burn::tensor::Shape::new([neurons]));
        (grad_current, grad_beta)
    }

    fn poisson_encode(
        intensity: FloatTensor<Self>,
        seed: FloatTensor<Self>,
        steps: usize,
        gain: f32,
    ) -> FloatTensor<Self> {
        let intensity = into_contiguous(intensity);
        let seed = into_contiguous(seed);
        let [batch, n] = super::dense::dims2(intensity.meta.shape());
        let total = steps * batch * n;
        assert!(
            total <= super::MAX_SPIKE_SLOTS,
            "poisson_encode: {total} spikes exceed the 32-bit counter (SnnConfig::check_batch \
             refuses such batches)"
        );
        let out = empty_like(&intensity, burn::tensor::Shape::new([steps, batch, n]));
        let l = Launch::over(&intensity, total);
        poisson_kernel::launch(
            &l.client,
            l.count,
            l.dim,
            intensity.into_tensor_arg(),
            seed.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            (batch * n) as u32,
            total as u32,
            gain,
            l.dtype,
        );
        out
    }

    fn spike_matmul(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        _max_density: f32,
    ) -> FloatTensor<Self> {
        dense_matmul::<Self>(input, weight)
    }
}
