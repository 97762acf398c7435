//! Autodiff implementations of [`SnnOps`]: exact forward on the inner backend, hand-written
//! backward (surrogate gradient for the spike, backward-through-time for the LIF scan).

use burn::backend::{
    Autodiff, AutodiffBackend,
    autodiff::{
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind, unary},
    },
    tensor::FloatTensor,
};

use super::SnnOps;
use super::dense::dense_matmul;
use crate::ops::scan_params::LifScanParams;
use crate::ops::surrogate::Surrogate;

/// Backward of the spike: `dL/dx = dL/ds · σ'(x)`.
#[derive(Debug)]
struct SpikeBackward;

impl<B: SnnOps> Backward<B, 1> for SpikeBackward {
    /// The spike's input `x` and the surrogate to differentiate with.
    type State = (FloatTensor<B>, Surrogate);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (x, surrogate) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            B::spike_surrogate_grad(x, grad, surrogate)
        });
    }
}

/// Backward of the fused LIF scan with respect to the current and the decay factors.
#[derive(Debug)]
struct LifScanBackward;

impl<B: SnnOps> Backward<B, 2> for LifScanBackward {
    /// Membrane `[T, B, N]`, decay factors `[N]` and the scan's parameters.
    type State = (FloatTensor<B>, FloatTensor<B>, LifScanParams);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_current, node_beta] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (membrane, beta, params) = ops.state;
        let (grad_current, grad_beta) = B::lif_scan_backward(grad, membrane, beta, params);
        if let Some(node) = node_current {
            grads.register::<B>(node.id, grad_current);
        }
        if let Some(node) = node_beta {
            grads.register::<B>(node.id, grad_beta);
        }
    }
}

/// Backward of the spike matmul: `dW = Σ_{t,b} X[t,b]ᵀ·G[t,b]` (over X's events, kept from the
/// forward pass: the input is scanned once), `dX = G·Wᵀ`.
#[derive(Debug)]
struct SpikeMatmulBackward;

impl<B: SnnOps> Backward<B, 2> for SpikeMatmulBackward {
    /// The input's events ([`SnnOps::spike_events`]) and the weight `[K, N]`.
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_input, node_weight] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (events, weight) = ops.state;
        if let Some(node) = node_input {
            let grad_input = dense_matmul::<B>(grad.clone(), B::float_transpose(weight));
            grads.register::<B>(node.id, grad_input);
        }
        if let Some(node) = node_weight {
            let grad_weight = B::spike_events_weight_grad(events, grad);
            grads.register::<B>(node.id, grad_weight);
        }
    }
}

impl<B: SnnOps, C: CheckpointStrategy> SnnOps for Autodiff<B, C> {
    // The untracked ops (analysis, figures, backward passes) run on the inner backend's own
    // kernels, not on the default bodies' host round trip.

    fn spike_surrogate_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        surrogate: Surrogate,
    ) -> FloatTensor<Self> {
        <Self as AutodiffBackend>::from_inner(B::spike_surrogate_grad(
            x.into_primitive(),
            grad.into_primitive(),
            surrogate,
        ))
    }

    fn lif_scan_forward(
        current: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (spikes, membrane) =
            B::lif_scan_forward(current.into_primitive(), beta.into_primitive(), params);
        (
            <Self as AutodiffBackend>::from_inner(spikes),
            <Self as AutodiffBackend>::from_inner(membrane),
        )
    }

    fn lif_scan_backward(
        grad_spikes: FloatTensor<Self>,
        membrane: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (grad_current, grad_beta) = B::lif_scan_backward(
            grad_spikes.into_primitive(),
            membrane.into_primitive(),
            beta.into_primitive(),
            params,
        );
        (
            <Self as AutodiffBackend>::from_inner(grad_current),
            <Self as AutodiffBackend>::from_inner(grad_beta),
        )
    }

    fn spike_matmul(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        max_density: f32,
    ) -> FloatTensor<Self> {
        <Self as AutodiffBackend>::from_inner(B::spike_matmul(
            input.into_primitive(),
            weight.into_primitive(),
            max_density,
        ))
    }

    /// Spikes from data carry no gradient: computed on the inner backend, untracked.
    fn poisson_encode(
        intensity: FloatTensor<Self>,
        seed: FloatTensor<Self>,
        steps: usize,
        gain: f32,
    ) -> FloatTensor<Self> {
        <Self as AutodiffBackend>::from_inner(B::poisson_encode(
            intensity.into_primitive(),
            seed.into_primitive(),
            steps,
            gain,
        ))
    }

    fn spike_linear(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        max_density: f32,
    ) -> FloatTensor<Self> {
        let (input, node_input) = input.into_parts();
        let (weight, node_weight) = weight.into_parts();
        match SpikeMatmulBackward
            .prepare::<C>([node_input, node_weight])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let events = B::spike_events(input, max_density);
                let out = B::spike_events_matmul(events.clone(), weight.clone());
                prep.finish((events, weight), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::spike_matmul(input, weight, max_density)),
        }
    }

    fn spike(x: FloatTensor<Self>, surrogate: Surrogate) -> FloatTensor<Self> {
        let (x, node) = x.into_parts();
        match SpikeBackward
            .prepare::<C>([node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = B::spike(x.clone(), surrogate);
                prep.finish((x, surrogate), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::spike(x, surrogate)),
        }
    }

    fn lif_scan(
        current: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        params: LifScanParams,
    ) -> FloatTensor<Self> {
        let (current, node_current) = current.into_parts();
        let (beta, node_beta) = beta.into_parts();
        match LifScanBackward
            .prepare::<C>([node_current, node_beta])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (spikes, membrane) = B::lif_scan_forward(current, beta.clone(), params);
                prep.finish((membrane, beta, params), spikes)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::lif_scan_forward(current, beta, params).0),
        }
    }
}
