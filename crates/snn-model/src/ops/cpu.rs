//! CPU backends (Flex, NdArray): [`super::SnnOps`] with the host kernels on the backend's own
//! memory ([`super::access::Direct`]: no read-back copies), including the event-driven spike
//! matmul, whose events are scanned from the spike tensor where an op needs them (nothing is
//! cached between ops).

use burn::backend::tensor::FloatTensor;

use super::access::Direct;
use super::host_ops;
use super::scan_params::LifScanParams;
use super::surrogate::Surrogate;

/// Implements [`super::SnnOps`] for a CPU backend with [`host_ops`] on [`Direct`] memory.
macro_rules! impl_cpu_ops {
    ($backend:ty) => {
        impl super::SnnOps for $backend {
            fn spike_surrogate_grad(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                surrogate: Surrogate,
            ) -> FloatTensor<Self> {
                host_ops::spike_surrogate_grad::<Self, Direct>(x, grad, surrogate)
            }

            fn lif_scan_forward(
                current: FloatTensor<Self>,
                beta: FloatTensor<Self>,
                params: LifScanParams,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                host_ops::lif_scan_forward::<Self, Direct>(current, beta, params)
            }

            fn lif_scan_backward(
                grad_spikes: FloatTensor<Self>,
                membrane: FloatTensor<Self>,
                beta: FloatTensor<Self>,
                params: LifScanParams,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                host_ops::lif_scan_backward::<Self, Direct>(grad_spikes, membrane, beta, params)
            }

            fn spike_matmul(
                input: FloatTensor<Self>,
                weight: FloatTensor<Self>,
                max_density: f32,
            ) -> FloatTensor<Self> {
                host_ops::spike_matmul::<Self, Direct>(input, weight, max_density)
            }

            fn spike_events(input: FloatTensor<Self>, max_density: f32) -> FloatTensor<Self> {
                host_ops::spike_events::<Self, Direct>(input, max_density)
            }

            fn spike_events_matmul(
                events: FloatTensor<Self>,
                weight: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                host_ops::spike_events_matmul::<Self, Direct>(events, weight)
            }

            fn spike_events_weight_grad(
                events: FloatTensor<Self>,
                grad: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                host_ops::spike_events_weight_grad::<Self, Direct>(events, grad)
            }

            fn poisson_encode(
                intensity: FloatTensor<Self>,
                seed: FloatTensor<Self>,
                steps: usize,
                gain: f32,
            ) -> FloatTensor<Self> {
                host_ops::poisson_encode::<Self, Direct>(intensity, seed, steps, gain)
            }
        }
    };
}

impl_cpu_ops!(burn::backend::Flex);
impl_cpu_ops!(burn::backend::NdArray);
