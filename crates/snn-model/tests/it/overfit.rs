//! End to end: the reference network overfits one batch of 64 real MNIST digits.

use std::path::{Path, PathBuf};

use crate::common::{cpu_devices, rng_lock};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Int, Tensor, TensorData};
use mnist_idx::LabeledImages;
use snn_model::SnnConfig;

fn mnist_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        std::env::var_os("MNIST_DIR").map(PathBuf::from),
        Some(root.join("data/mnist")),
        Some(root.join("../shared/data/mnist")),
    ]
    .into_iter()
    .flatten()
    .find(|d| {
        d.join("train-labels-idx1-ubyte").exists() || d.join("train-labels-idx1-ubyte.gz").exists()
    })
    .expect("real MNIST not found: run `cargo xtask fetch-mnist` or set MNIST_DIR")
}

#[test]
fn seed_network_overfits_one_batch_within_200_steps_on_cpu() {
    let _rng = rng_lock();
    let mut data = LabeledImages::load_split(&mnist_dir(), "train").unwrap();
    data.truncate(64);
    let pixels: Vec<f32> = data
        .images
        .pixels
        .iter()
        .map(|&p| p as f32 / 255.0)
        .collect();
    let labels: Vec<i64> = data.labels.iter().map(|&l| l as i64).collect();
    for (name, device) in cpu_devices() {
        device.seed(42);
        let ad = device.clone().autodiff();
        let x = Tensor::<2>::from_data(TensorData::new(pixels.clone(), [64, 784]), &ad);
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [64]), &ad);
        let mut model = SnnConfig::default().init(&ad);
        let mut optim = AdamConfig::new().init();
        let loss_fn = CrossEntropyLossConfig::new().init(&ad);
        let mut best = 0.0;
        let mut first_loss = None;
        for step in 1..=200 {
            let out = model.forward(x.clone());
            let loss = loss_fn.forward(out.logits.clone(), y.clone());
            first_loss.get_or_insert(loss.clone().into_scalar::<f32>());
            let correct = out
                .logits
                .argmax(1)
                .squeeze_dim::<1>(1)
                .equal(y.clone())
                .int()
                .sum()
                .into_scalar::<i64>();
            let accuracy = correct as f64 / 64.0;
            best = f64::max(best, accuracy);
            if accuracy >= 0.95 {
                eprintln!(
                    "{name}: {:.1}% train accuracy after {step} steps",
                    accuracy * 100.0
                );
                break;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
        }
        assert!(
            best >= 0.95,
            "{name}: best train accuracy {best} after 200 steps (first loss {first_loss:?})"
        );
    }
}
