//! What a forward pass keeps of the spikes of each spiking layer (the spike-coded input, every
//! neuron layer, a spike-count readout's output), chosen by the caller's type: [`SpikeTotals`]
//! for training (one differentiable total per layer, for the firing-rate metrics and penalty),
//! [`SpikeTrains`] for analysis (every layer's whole detached train `[T, B, N]`).

use burn::tensor::Tensor;

/// A record of the spiking layers' spikes, filled in layer order.
pub trait SpikeRecord: Default {
    /// Records the spikes `[T, B, N]` of the next spiking layer.
    fn keep(&mut self, spikes: &Tensor<3>);
}

/// The total spike count of each layer over the batch and all steps (`[1]` each),
/// differentiable through the surrogate (the input's is data).
#[derive(Debug, Clone, Default)]
pub struct SpikeTotals(pub Vec<Tensor<1>>);

/// Each layer's detached spike train `[T, B, N]`.
#[derive(Debug, Clone, Default)]
pub struct SpikeTrains(pub Vec<Tensor<3>>);

impl SpikeRecord for SpikeTotals {
    fn keep(&mut self, spikes: &Tensor<3>) {
        self.0.push(spikes.clone().sum().reshape([1]));
    }
}

impl SpikeRecord for SpikeTrains {
    fn keep(&mut self, spikes: &Tensor<3>) {
        self.0.push(spikes.clone().detach());
    }
}
