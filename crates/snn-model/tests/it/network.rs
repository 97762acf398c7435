//! The network's trace (used by figures and the report) equals its forward pass: same logits,
//! same spike counts per layer, for both readouts, on every backend.

use crate::common::{devices, max_rel_err, to_vec};
use burn::tensor::{Distribution, Tensor};
use snn_model::{ReadoutConfig, SnnConfig};

#[test]
fn trace_gives_the_forward_logits_and_spikes() {
    for readout in [
        ReadoutConfig::Membrane { beta: None },
        ReadoutConfig::SpikeCount {
            surrogate: Default::default(),
        },
    ] {
        for (name, device) in devices() {
            let config = SnnConfig {
                inputs: 20,
                hidden: Some(vec![16, 12]),
                classes: 5,
                steps: 6,
                readout,
                ..SnnConfig::default()
            };
            let snn = config.init(&device);
            let input = Tensor::<3>::random([6, 3, 20], Distribution::Bernoulli(0.4), &device);
            let forward = snn.forward_spikes(input.clone());
            let trace = snn.trace_spikes(input);
            let (a, b) = (to_vec(forward.logits), to_vec(trace.logits));
            assert!(
                max_rel_err(&a, &b, 1e-6) < 1e-5,
                "{name} {readout:?}: {a:?} vs {b:?}"
            );
            assert_eq!(forward.layer_spikes.len(), trace.layers.len(), "{name}");
            for (total, layer) in forward.layer_spikes.into_iter().zip(trace.layers) {
                let (t, l) = (to_vec(total.reshape([1])), to_vec(layer.sum().reshape([1])));
                assert_eq!(t, l, "{name} {readout:?}: spike counts");
            }
        }
    }
}

/// The membrane readout's closed form `W·(Σ_t w_t·s[t]) + b` equals the leaky integrator run
/// step by step.
#[test]
fn membrane_readout_closed_form_equals_the_integrator() {
    for (name, device) in devices() {
        let config = SnnConfig {
            inputs: 20,
            hidden: Some(vec![16]),
            classes: 5,
            steps: 6,
            ..SnnConfig::default()
        };
        let snn = config.init(&device);
        let snn_model::readout::Readout::Membrane(readout) = &snn.readout else {
            panic!("the default readout is the membrane");
        };
        let x = Tensor::<3>::random([6, 3, 16], Distribution::Bernoulli(0.3), &device);
        let (a, b) = (
            to_vec(readout.forward(x.clone())),
            to_vec(readout.reference(x)),
        );
        assert!(max_rel_err(&a, &b, 1e-4) < 1e-5, "{name}: {a:?} vs {b:?}");
    }
}

/// `ann = true`: the same layers as a conventional network, `W₂·relu(W₁·x + b₁) + b₂`, computed
/// here by hand from the module's weights; no spiking layers; refused with more than one step
/// or a spike code.
#[test]
fn ann_mode_is_the_relu_network_of_the_same_layers() {
    use snn_model::EncoderConfig;
    use snn_model::layer::Layer;
    for (name, device) in devices() {
        let config = SnnConfig {
            inputs: 20,
            hidden: Some(vec![16]),
            classes: 5,
            steps: 1,
            encoder: EncoderConfig::Direct {},
            ann: true,
            ..SnnConfig::default()
        };
        config.validate("model").unwrap();
        let snn = config.init(&device);
        assert!(snn.spiking_layers().is_empty(), "{name}");
        let x = Tensor::<2>::random([3, 20], Distribution::Uniform(0.0, 1.0), &device);
        let Layer::Linear(hidden) = &snn.layers[0] else {
            panic!("layer 0 is the linear");
        };
        let out = snn.readout.linear();
        let expected = out.forward(burn::tensor::activation::relu(hidden.forward(x.clone())));
        let (a, b) = (to_vec(snn.forward(x).logits), to_vec(expected));
        assert!(max_rel_err(&a, &b, 1e-5) < 1e-5, "{name}: {a:?} vs {b:?}");
    }
    let ann = SnnConfig {
        ann: true,
        encoder: EncoderConfig::Direct {},
        steps: 1,
        ..SnnConfig::default()
    };
    let bad = SnnConfig {
        steps: 4,
        ..ann.clone()
    };
    assert!(
        bad.validate("model")
            .unwrap_err()
            .to_string()
            .contains("model.steps")
    );
    let bad = SnnConfig {
        encoder: EncoderConfig::Poisson { gain: 1.0 },
        ..ann
    };
    assert!(
        bad.validate("model")
            .unwrap_err()
            .to_string()
            .contains("model.encoder")
    );
}
