//! Synaptic operations (SynOps) and the energy estimate of the report.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    /// 4 inputs → 3 hidden → 2 outputs, 2 examples of 5 steps. The input layer spiked 10
    /// times in all, the hidden layer 6 times.
    fn tiny() -> EnergyReport {
        energy_report(&tiny_layers(), 18.0, 0.0, 2, 5, EnergyCosts::default())
    }

    fn tiny_layers() -> [LayerActivity; 2] {
        [
            LayerActivity {
                name: "input".into(),
                neurons: 4,
                fan_out: 3,
                spikes: 10.0,
            },
            LayerActivity {
                name: "hidden".into(),
                neurons: 3,
                fan_out: 2,
                spikes: 6.0,
            },
        ]
    }

    #[test]
    fn hand_computed_tiny_network() {
        let r = tiny();
        assert_eq!((r.examples, r.steps), (2, 5));
        // input: 10 / (4·5·2) = 0.25, 10·3 / 2 = 15 SynOps per inference.
        assert_eq!(r.per_layer[0].name, "input");
        assert!(close(r.per_layer[0].mean_rate, 0.25));
        assert!(close(r.per_layer[0].synops_per_inference, 15.0));
        // hidden: 6 / (3·5·2) = 0.2, 6·2 / 2 = 6.
        assert!(close(r.per_layer[1].mean_rate, 0.2));
        assert!(close(r.per_layer[1].synops_per_inference, 6.0));
        assert!(close(r.synops_per_inference, 21.0));
        // ANN: 4·3 + 3·2 = 18 MACs.
        assert!(close(r.ann_macs_per_inference, 18.0));
        // 21 · 0.9 = 18.9 pJ, 18 · 4.6 = 82.8 pJ, 18.9 / 82.8 = 0.22826...
        assert!(close(r.snn_energy_pj, 18.9));
        assert!(close(r.ann_energy_pj, 82.8));
        assert!(close(r.energy_ratio, 18.9 / 82.8));
        assert!((r.energy_ratio - 0.228_260_869_565).abs() < 1e-9);
    }

    #[test]
    fn degenerate_inputs_give_zeros_not_nan() {
        let r = energy_report(
            &[LayerActivity {
                name: "x".into(),
                neurons: 0,
                fan_out: 5,
                spikes: 0.0,
            }],
            0.0,
            0.0,
            0,
            0,
            EnergyCosts::default(),
        );
        assert_eq!(r.per_layer[0].mean_rate, 0.0);
        assert_eq!(r.synops_per_inference, 0.0);
        assert_eq!(r.ann_energy_pj, 0.0);
        assert_eq!(r.energy_ratio, 0.0);
    }

    /// Other per-operation energies scale each side by its own price.
    #[test]
    fn given_costs_price_each_operation() {
        let base = tiny();
        let costs = EnergyCosts {
            ac_pj: 0.03,
            mac_pj: 0.2,
        };
        let r = energy_report(&tiny_layers(), 18.0, 0.0, 2, 5, costs);
        assert!(close(r.snn_energy_pj, 21.0 * 0.03));
        assert!(close(r.ann_energy_pj, 18.0 * 0.2));
        assert_eq!(r.costs, costs);
        assert_eq!(r.synops_per_inference, base.synops_per_inference);
    }

    /// Direct input: the first layer's MACs are paid at the MAC price on top of the SynOps.
    #[test]
    fn dense_input_macs_cost_a_mac_each() {
        let layers = [LayerActivity {
            name: "hidden0".into(),
            neurons: 3,
            fan_out: 2,
            spikes: 6.0,
        }];
        let r = energy_report(&layers, 18.0, 12.0, 2, 5, EnergyCosts::default());
        assert!(close(r.synops_per_inference, 6.0));
        assert!(close(r.snn_energy_pj, 6.0 * 0.9 + 12.0 * 4.6));
        assert!(close(r.snn_dense_macs_per_inference, 12.0));
    }

    #[test]
    fn serialises_to_json() {
        let json = serde_json::to_value(tiny()).unwrap();
        assert_eq!(json["per_layer"][1]["name"], "hidden");
        assert_eq!(json["synops_per_inference"], 21.0);
        assert_eq!(json["ann_macs_per_inference"], 18.0);
        assert_eq!(json["examples"], 2);
    }
}
