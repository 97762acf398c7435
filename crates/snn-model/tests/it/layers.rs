//! Networks as a list of layers: every kind gives the shape its plan says over `[T, B, …]`, the
//! fused LIF on a conv feature map equals the reference loop, direct input equals the same
//! currents given step by step, batch norm switches to running statistics at inference, and a
//! small conv network learns.

use crate::common::{cpu_devices, devices, max_rel_err, rng_lock, tensor, to_vec, uniform};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Int, Tensor, TensorData};
use snn_model::layer::{Layer, Signal};
use snn_model::lif::LifImpl;
use snn_model::{EncoderConfig, FeatureShape, LayerConfig, SnnConfig};

/// 8×8 single-channel input through every layer kind.
fn every_kind() -> SnnConfig {
    let conv = |channels, kernel, stride, padding| LayerConfig::Conv2d {
        channels,
        kernel,
        stride,
        padding,
        bias: true,
    };
    SnnConfig {
        inputs: 64,
        input_shape: Some([1, 8, 8]),
        hidden: None,
        layers: vec![
            conv(4, 3, 1, 1),
            LayerConfig::BatchNorm {},
            LayerConfig::lif(),
            LayerConfig::MaxPool {
                kernel: 2,
                stride: None,
            },
            conv(6, 3, 1, 0),
            LayerConfig::AvgPool {
                kernel: 2,
                stride: None,
            },
            LayerConfig::Flatten {},
            LayerConfig::Dropout { p: 0.5 },
            LayerConfig::Linear {
                size: 5,
                bias: true,
            },
            LayerConfig::BatchNorm {},
            LayerConfig::lif(),
        ],
        classes: 3,
        steps: 3,
        encoder: EncoderConfig::Direct {},
        ..SnnConfig::default()
    }
}

#[test]
fn every_layer_kind_gives_its_planned_shape() {
    let _rng = rng_lock();
    let config = every_kind();
    let plan = config.plan("model").unwrap();
    let outputs: Vec<FeatureShape> = plan.iter().map(|l| l.output).collect();
    let map = |channels, height, width| FeatureShape::Map {
        channels,
        height,
        width,
    };
    assert_eq!(
        outputs,
        vec![
            map(4, 8, 8),
            map(4, 8, 8),
            map(4, 8, 8),
            map(4, 4, 4),
            map(6, 2, 2),
            map(6, 1, 1),
            FeatureShape::Flat(6),
            FeatureShape::Flat(6),
            FeatureShape::Flat(5),
            FeatureShape::Flat(5),
            FeatureShape::Flat(5),
        ]
    );
    for (name, device) in devices() {
        for device in [device.clone(), device.autodiff()] {
            let snn = config.init(&device);
            let (t, b) = (3, 2);
            let mut x = tensor(uniform(t * b * 64, 0.0, 1.0, 1), [t, b, 64], &device);
            for (layer, planned) in snn.layers.iter().zip(snn.plan()) {
                x = layer.forward(x, planned.input, Signal::Currents, None);
                assert_eq!(
                    x.dims(),
                    [t, b, planned.output.len()],
                    "{name}: {} ({})",
                    planned.key,
                    planned.config.kind()
                );
            }
            let out = snn.forward(tensor(uniform(b * 64, 0.0, 1.0, 2), [b, 64], &device));
            assert_eq!(out.logits.dims(), [b, 3], "{name}");
            crate::common::assert_finite(name, &to_vec(out.logits));
            // Direct input: no input spike layer; two neuron layers.
            assert_eq!(out.layer_spikes.len(), 2, "{name}");
        }
    }
}

/// The fused scan on a `[T, B, C·H·W]` conv feature map equals the reference loop: spikes
/// exactly, the conv weight's gradient to 1e-4.
#[test]
fn fused_lif_on_a_conv_map_equals_the_reference() {
    let _rng = rng_lock();
    let config = SnnConfig {
        layers: vec![
            LayerConfig::Conv2d {
                channels: 3,
                kernel: 3,
                stride: 1,
                padding: 1,
                bias: true,
            },
            LayerConfig::lif(),
            LayerConfig::Flatten {},
        ],
        ..every_kind()
    };
    for (name, device) in devices() {
        let ad = device.autodiff();
        let fused = config.init(&ad).with_lif_implementation(LifImpl::Fused);
        let reference = fused.clone().with_lif_implementation(LifImpl::Reference);
        let x = tensor(uniform(3 * 2 * 64, 0.0, 3.0, 5), [3, 2, 64], &ad);
        let run = |snn: &snn_model::Snn| {
            let trace = snn.trace_spikes(x.clone());
            let out = snn.forward_spikes(x.clone());
            let grads = out.logits.sum().backward();
            let Layer::Conv2d(conv) = &snn.layers[0] else {
                panic!("layer 0 is the conv");
            };
            let grad = conv
                .conv
                .weight
                .grad(&grads)
                .expect("conv weight has a gradient");
            (to_vec(trace.layers[0].clone()), to_vec(grad))
        };
        let (spikes_f, grad_f) = run(&fused);
        let (spikes_r, grad_r) = run(&reference);
        assert_eq!(spikes_f, spikes_r, "{name}: spikes");
        assert!(spikes_f.contains(&1.0), "{name}: no spike at all");
        let err = max_rel_err(&grad_f, &grad_r, 1e-3);
        assert!(err < 1e-4, "{name}: conv weight gradient off by {err}");
    }
}

/// Direct input runs the layers before the first neuron layer once and broadcasts them: the
/// same as giving the currents at every step.
#[test]
fn direct_input_equals_the_currents_given_at_every_step() {
    let _rng = rng_lock();
    let config = every_kind();
    for (name, device) in devices() {
        let snn = config.init(&device);
        let x = tensor(uniform(2 * 64, 0.0, 1.0, 9), [2, 64], &device);
        let once = snn.forward(x.clone());
        let every_step = snn.forward_spikes(x.unsqueeze_dim::<3>(0).repeat_dim(0, 3));
        let (a, b) = (to_vec(once.logits), to_vec(every_step.logits));
        assert!(max_rel_err(&a, &b, 1e-4) < 1e-5, "{name}: {a:?} vs {b:?}");
        for (s, r) in once.layer_spikes.into_iter().zip(every_step.layer_spikes) {
            assert_eq!(to_vec(s), to_vec(r), "{name}: spike counts");
        }
    }
}

/// Training (an autodiff device) normalises with the batch's statistics and moves the running
/// ones; inference uses the running ones.
#[test]
fn batch_norm_uses_running_statistics_at_inference() {
    let config = SnnConfig {
        inputs: 2,
        input_shape: None,
        layers: vec![LayerConfig::BatchNorm {}, LayerConfig::lif()],
        ..every_kind()
    };
    for (name, device) in devices() {
        let ad = device.autodiff();
        let snn = config.init(&ad);
        let Layer::BatchNorm(norm) = &snn.layers[0] else {
            panic!("layer 0 is the batch norm");
        };
        // 2 steps × 2 examples of 2 features: feature 0 = 4 ± 2, feature 1 = 10 ± 0.
        let x = tensor(
            vec![2.0, 10.0, 6.0, 10.0, 2.0, 10.0, 6.0, 10.0],
            [2, 2, 2],
            &ad,
        );
        let planned = snn.plan()[0].input;
        let train = to_vec(snn.layers[0].forward(x.clone(), planned, Signal::Currents, None));
        // Batch statistics over the T·B = 4 samples: feature 0 → ±1 (up to ε), feature 1 → 0.
        assert!(
            (train[0] + 1.0).abs() < 1e-3 && (train[2] - 1.0).abs() < 1e-3,
            "{name}: {train:?}"
        );
        assert!(train[1].abs() < 1e-3, "{name}: {train:?}");
        // Running mean moved from 0 by momentum 0.1 toward the batch mean (4, 10).
        let mean = to_vec(norm.norm.running_mean.value_sync());
        assert!(
            max_rel_err(&mean, &[0.4, 1.0], 1e-3) < 1e-4,
            "{name}: {mean:?}"
        );
        // Inference: (x − running mean) / √(running var + ε), γ = 1, β = 0.
        let valid = snn.valid();
        let inner = x.inner();
        let out = to_vec(valid.layers[0].forward(inner, planned, Signal::Currents, None));
        // Running variance moved from 1 by momentum 0.1 toward the batch's population
        // variance (4, 0): 0.9 · 1 + 0.1 · (4, 0).
        let var = to_vec(norm.norm.running_var.value_sync());
        assert!(
            max_rel_err(&var, &[1.3, 0.9], 1e-3) < 1e-4,
            "{name}: {var:?}"
        );
        let (mean, var) = ([0.4f32, 1.0], [1.3f32, 0.9]);
        let expect: Vec<f32> = [2.0f32, 10.0, 6.0, 10.0, 2.0, 10.0, 6.0, 10.0]
            .iter()
            .enumerate()
            .map(|(i, v)| (v - mean[i % 2]) / (var[i % 2] + 1e-5).sqrt())
            .collect();
        assert!(
            max_rel_err(&out, &expect, 1e-3) < 1e-4,
            "{name}: {out:?} vs {expect:?}"
        );
    }
}

/// A small conv SNN with direct input learns 16 fixed random 8×8 patterns of 4 classes.
#[test]
fn conv_network_overfits_a_small_batch_on_cpu() {
    let _rng = rng_lock();
    let config = SnnConfig {
        layers: vec![
            LayerConfig::Conv2d {
                channels: 8,
                kernel: 3,
                stride: 1,
                padding: 1,
                bias: true,
            },
            LayerConfig::BatchNorm {},
            LayerConfig::lif(),
            LayerConfig::MaxPool {
                kernel: 2,
                stride: None,
            },
            LayerConfig::Flatten {},
        ],
        classes: 4,
        steps: 4,
        ..every_kind()
    };
    let pixels = uniform(16 * 64, 0.0, 1.0, 21);
    let labels: Vec<i64> = (0..16).map(|i| i % 4).collect();
    for (name, device) in cpu_devices() {
        device.seed(7);
        let ad = device.autodiff();
        let x = tensor(pixels.clone(), [16, 64], &ad);
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [16]), &ad);
        let mut model = config.init(&ad);
        let mut optim = AdamConfig::new().init();
        let loss_fn = CrossEntropyLossConfig::new().init(&ad);
        let mut first = None;
        let mut last = 0.0;
        for _ in 0..60 {
            let loss = loss_fn.forward(model.forward(x.clone()).logits, y.clone());
            last = loss.clone().into_scalar::<f32>();
            first.get_or_insert(last);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-2, model, grads);
        }
        let logits = model.valid().forward(x.clone().inner()).logits;
        let predicted: Vec<i64> = logits.argmax(1).into_data().iter::<i64>().collect();
        let correct = predicted
            .iter()
            .zip(&labels)
            .filter(|(p, l)| p == l)
            .count();
        assert!(
            correct == 16 && last < 0.25 * first.unwrap(),
            "{name}: {correct}/16 correct, loss {} → {last}",
            first.unwrap()
        );
    }
}
