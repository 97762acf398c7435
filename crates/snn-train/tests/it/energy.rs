//! The energy model of the report by hand: SynOps, MACs and their prices on small layers.

use snn_train::analysis::energy::{EnergyCosts, EnergyReport, LayerActivity, energy_report};

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
