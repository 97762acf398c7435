//! Synaptic operations (SynOps) and the energy estimate of the report (no Burn: counts in,
//! picojoules out).
//!
//! A spiking layer costs one accumulate (AC) per spike per outgoing synapse: a spike of a
//! neuron with fan-out `k` adds its `k` weights into the next layer's membranes. The same
//! network as a conventional ANN costs one multiply-accumulate (MAC) per weight, evaluated once
//! per inference. Energies use the 45 nm figures of M. Horowitz, "Computing's energy problem
//! (and what we can do about it)", ISSCC 2014 ([`E_AC_PJ`], [`E_MAC_PJ`]); they ignore memory
//! traffic, membrane updates and everything else, as is usual for this comparison.

use serde::Serialize;

/// Energy of one 32-bit floating-point addition (an accumulate), in picojoules, 45 nm
/// (Horowitz, ISSCC 2014).
pub const E_AC_PJ: f64 = 0.9;

/// Energy of one 32-bit floating-point multiply-accumulate, in picojoules, 45 nm: multiply
/// 3.7 pJ + add 0.9 pJ (Horowitz, ISSCC 2014).
pub const E_MAC_PJ: f64 = 4.6;

/// The per-operation energies an estimate uses, in picojoules.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EnergyCosts {
    /// One accumulate (a synaptic operation of the spiking network).
    pub ac_pj: f64,
    /// One multiply-accumulate (the ANN's operation, and the spiking network's on dense input).
    pub mac_pj: f64,
}

impl EnergyCosts {
    /// 45 nm, 32-bit float (Horowitz, ISSCC 2014): [`E_AC_PJ`], [`E_MAC_PJ`].
    pub const HOROWITZ_45NM: Self = Self {
        ac_pj: E_AC_PJ,
        mac_pj: E_MAC_PJ,
    };
}

impl Default for EnergyCosts {
    fn default() -> Self {
        Self::HOROWITZ_45NM
    }
}

/// Where the default energies come from (`report.json`'s `energy_source`).
pub const ENERGY_SOURCE: &str = "M. Horowitz, \"Computing's energy problem (and what we can do about it)\", \
ISSCC 2014: 45 nm, 32-bit float add 0.9 pJ, multiply 3.7 pJ (multiply-accumulate 4.6 pJ)";

/// What the estimate leaves out.
pub const LEAVES_OUT: &str = "memory traffic (weights, membrane potentials, spikes), neuron \
state updates, the input encoding and control: arithmetic only, as is usual for this comparison";

/// Measured activity of one spiking layer whose spikes drive the next layer (the input
/// encoding feeding the first hidden layer, a hidden layer feeding the next one or the output).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerActivity {
    pub name: String,
    /// Number of neurons in the layer.
    pub neurons: usize,
    /// Synapses leaving each neuron (the next layer's width for a dense layer).
    pub fan_out: usize,
    /// Total spikes of this layer, summed over all examples, time steps and neurons.
    pub spikes: f64,
}

/// Per-layer part of an [`EnergyReport`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerReport {
    pub name: String,
    /// Spikes per neuron per time step: `spikes / (neurons · steps · examples)`.
    pub mean_rate: f64,
    /// Synaptic operations this layer's spikes cause per inference:
    /// `spikes · fan_out / examples`.
    pub synops_per_inference: f64,
}

/// SynOps and energy per inference of the spiking network against the same network as an ANN.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyReport {
    /// Examples the activity was summed over.
    pub examples: usize,
    /// Time steps per example.
    pub steps: usize,
    pub per_layer: Vec<LayerReport>,
    /// Sum of the layers' SynOps per inference (one inference = all `steps` of one example).
    pub synops_per_inference: f64,
    /// MACs the spiking network does on non-spike input per inference (a direct-input first
    /// layer, computed once; 0 for spike-coded input).
    pub snn_dense_macs_per_inference: f64,
    /// MACs of the same network as an ANN evaluated once (every weight layer and the readout).
    pub ann_macs_per_inference: f64,
    /// The per-operation energies used.
    pub costs: EnergyCosts,
    /// `synops_per_inference · ac_pj + snn_dense_macs_per_inference · mac_pj`.
    pub snn_energy_pj: f64,
    /// `ann_macs_per_inference · mac_pj`.
    pub ann_energy_pj: f64,
    /// `snn_energy_pj / ann_energy_pj`: below 1 the spiking network is cheaper. 0 when the ANN
    /// energy is 0 (no dense layers), so the report never holds NaN or infinity.
    pub energy_ratio: f64,
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}

/// Computes the report from the layers' spike counts, summed over `examples` examples of
/// `steps` time steps each; `ann_macs` is the MAC count of the same network as an ANN evaluated
/// once, `dense_macs` the MACs the spiking network itself does per example on non-spike input
/// (a direct-input first layer; 0 for spike-coded input), priced at `costs`. Rates and
/// per-inference numbers are 0 when `examples`, `steps` or `neurons` is 0.
pub fn energy_report(
    layers: &[LayerActivity],
    ann_macs: f64,
    dense_macs: f64,
    examples: usize,
    steps: usize,
    costs: EnergyCosts,
) -> EnergyReport {
    let per_layer: Vec<LayerReport> = layers
        .iter()
        .map(|l| LayerReport {
            name: l.name.clone(),
            mean_rate: ratio(l.spikes, (l.neurons * steps * examples) as f64),
            synops_per_inference: ratio(l.spikes * l.fan_out as f64, examples as f64),
        })
        .collect();
    // `+ 0.0`: an empty sum is −0.0, which would print as "-0".
    let synops_per_inference = per_layer
        .iter()
        .map(|l| l.synops_per_inference)
        .sum::<f64>()
        + 0.0;
    let ann_macs_per_inference = ann_macs;
    let snn_energy_pj = synops_per_inference * costs.ac_pj + dense_macs * costs.mac_pj;
    let ann_energy_pj = ann_macs_per_inference * costs.mac_pj;
    EnergyReport {
        examples,
        steps,
        per_layer,
        synops_per_inference,
        snn_dense_macs_per_inference: dense_macs,
        ann_macs_per_inference,
        costs,
        snn_energy_pj,
        ann_energy_pj,
        energy_ratio: ratio(snn_energy_pj, ann_energy_pj),
    }
}
