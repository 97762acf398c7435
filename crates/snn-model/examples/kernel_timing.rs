//! Times the CPU host kernels on the reference shapes (T=100, B=64, 784 → 256) with MNIST-like
//! input density, against Flex's dense matmul. `cargo run --release --example kernel_timing`.

use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};
use snn_model::Surrogate;
use snn_model::lif::{LifScanParams, Reset};
use snn_model::ops::host::{
    SpikeEvents, events_matmul, events_weight_grad, lif_backward, lif_forward, poisson_events,
    poisson_spikes,
};

fn median_ms(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn main() {
    let (t, b, k, n) = (100usize, 64usize, 784usize, 256usize);
    let m = t * b;
    // Intensities: 19% of pixels lit with mean ~0.7, giving ~13% spike density.
    let p: Vec<f32> = (0..b * k)
        .map(|i| {
            if (i * 7919) % 100 < 19 {
                0.4 + ((i * 31) % 60) as f32 / 100.0
            } else {
                0.0
            }
        })
        .collect();
    let mut x = vec![0.0f32; m * k];
    println!(
        "poisson_spikes      {:7.2} ms",
        median_ms(|| poisson_spikes(&p, 42, &mut x), 9)
    );
    let density = x.iter().filter(|&&v| v != 0.0).count() as f64 / x.len() as f64;
    println!("input density       {density:.3}");
    let mut events = SpikeEvents::scan(&x, [t, b, k]);
    println!(
        "SpikeEvents::scan   {:7.2} ms",
        median_ms(|| events = SpikeEvents::scan(&x, [t, b, k]), 9)
    );
    println!(
        "poisson_events      {:7.2} ms",
        median_ms(|| drop(poisson_events(&p, 42, &mut x, t, b)), 9)
    );
    let w: Vec<f32> = (0..k * n)
        .map(|i| ((i % 97) as f32 - 48.0) * 1e-3)
        .collect();
    let mut out = vec![0.0f32; m * n];
    println!(
        "events_matmul       {:7.2} ms",
        median_ms(|| events_matmul(&events, &w, n, &mut out), 9)
    );
    let g: Vec<f32> = (0..m * n).map(|i| ((i % 13) as f32 - 6.0) * 1e-3).collect();
    println!(
        "events_weight_grad  {:7.2} ms",
        median_ms(|| drop(events_weight_grad(&events, &g, n)), 9)
    );
    let beta = vec![0.95f32; n];
    let params = LifScanParams {
        threshold: 1.0,
        reset: Reset::Subtract,
        detach_reset: true,
        surrogate: Surrogate::default(),
    };
    let cur: Vec<f32> = out.iter().map(|v| v * 10.0).collect();
    let (mut s, mut u) = (vec![0.0; m * n], vec![0.0; m * n]);
    println!(
        "lif_forward         {:7.2} ms",
        median_ms(
            || lif_forward(&cur, &beta, [t, b, n], params, &mut s, &mut u),
            9
        )
    );
    let mut gi = vec![0.0; m * n];
    println!(
        "lif_backward        {:7.2} ms",
        median_ms(
            || drop(lif_backward(&g, &u, &beta, [t, b, n], params, &mut gi)),
            9
        )
    );

    let device = Device::flex();
    let xd = Tensor::<2>::from_data(burn::tensor::TensorData::new(x.clone(), [m, k]), &device);
    let wd = Tensor::<2>::random([k, n], Distribution::Default, &device);
    let gd = Tensor::<2>::random([m, n], Distribution::Default, &device);
    println!(
        "flex dense X·W      {:7.2} ms",
        median_ms(|| drop(xd.clone().matmul(wd.clone()).into_data()), 5)
    );
    println!(
        "flex dense Xᵀ·G     {:7.2} ms",
        median_ms(
            || drop(xd.clone().transpose().matmul(gd.clone()).into_data()),
            5
        )
    );
    println!(
        "flex random [T,B,K] {:7.2} ms",
        median_ms(
            || drop(Tensor::<3>::random([t, b, k], Distribution::Default, &device).into_data()),
            5
        )
    );
}
