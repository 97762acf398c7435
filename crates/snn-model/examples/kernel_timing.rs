//! Times the CPU host kernels on the reference shapes (T=100, B=64, 784 → 256) against Flex's
//! dense matmul, and sweeps the input density to find where the event-driven projection stops
//! paying off. `cargo run --release --example kernel_timing`.

#[path = "common/timing.rs"]
mod timing;

use timing::median_ms;

use burn::tensor::{Device, Distribution, Tensor, TensorData};
use snn_model::Surrogate;
use snn_model::lif::{LifScanParams, Reset};
use snn_model::ops::host::{
    SpikeEvents, events_matmul, events_weight_grad, lif_backward, lif_forward, poisson_events,
    poisson_spikes,
};

fn main() {
    let (t, b, k, n) = (100usize, 64usize, 784usize, 256usize);
    let m = t * b;
    let w: Vec<f32> = (0..k * n)
        .map(|i| ((i % 97) as f32 - 48.0) * 1e-3)
        .collect();
    let g: Vec<f32> = (0..m * n).map(|i| ((i % 13) as f32 - 6.0) * 1e-3).collect();
    host_kernels([t, b, k, n], &w, &g);
    density_sweep([t, b, k, n], &w, &g);
}

/// The host kernels one by one on MNIST-like input, median of 9 runs each.
fn host_kernels([t, b, k, n]: [usize; 4], w: &[f32], g: &[f32]) {
    let m = t * b;
    // Intensities: 19% of pixels lit with mean ~0.7, giving ~13% spike density (as MNIST).
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
    println!("kernel                 median ms");
    println!(
        "poisson_spikes       {:8.2}",
        median_ms(|| poisson_spikes(&p, 42, &mut x), 9)
    );
    println!(
        "poisson_events       {:8.2}",
        median_ms(|| drop(poisson_events(&p, 42, &mut x, t, b)), 9)
    );
    let events = SpikeEvents::scan(&x, [t, b, k]);
    println!(
        "SpikeEvents::scan    {:8.2}",
        median_ms(|| drop(SpikeEvents::scan(&x, [t, b, k])), 9)
    );
    let mut out = vec![0.0f32; m * n];
    println!(
        "events_matmul        {:8.2}",
        median_ms(|| events_matmul(&events, w, n, &mut out), 9)
    );
    println!(
        "events_weight_grad   {:8.2}",
        median_ms(|| drop(events_weight_grad(&events, g, n)), 9)
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
        "lif_forward          {:8.2}",
        median_ms(
            || lif_forward(&cur, &beta, [t, b, n], params, &mut s, &mut u),
            9
        )
    );
    let mut gi = vec![0.0; m * n];
    println!(
        "lif_backward         {:8.2}",
        median_ms(
            || drop(lif_backward(g, &u, &beta, [t, b, n], params, &mut gi)),
            9
        )
    );
}

/// Flex's random tensor, then the event-driven projection (forward + weight gradient) against
/// Flex's dense matmuls over input densities, median of 5 runs each.
fn density_sweep([t, b, k, n]: [usize; 4], w: &[f32], g: &[f32]) {
    let m = t * b;
    let mut out = vec![0.0f32; m * n];
    let device = Device::flex();
    let wd = Tensor::<2>::random([k, n], Distribution::Default, &device);
    let gd = Tensor::<2>::random([m, n], Distribution::Default, &device);
    println!(
        "flex random [T,B,K]  {:8.2}",
        median_ms(
            || drop(Tensor::<3>::random([t, b, k], Distribution::Default, &device).into_data()),
            5
        )
    );
    println!();
    println!("density  events fwd+bwd ms  dense fwd+bwd ms");
    for density in [0.05f32, 0.13, 0.2, 0.3, 0.4, 0.6] {
        let x: Vec<f32> = (0..m * k)
            .map(|i| {
                if (((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32
                    / (1u64 << 24) as f32)
                    < density
                {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let ev = SpikeEvents::scan(&x, [t, b, k]);
        let sparse = median_ms(
            || {
                events_matmul(&ev, w, n, &mut out);
                drop(events_weight_grad(&ev, g, n));
            },
            5,
        );
        let xd = Tensor::<2>::from_data(TensorData::new(x.clone(), [m, k]), &device);
        let dense = median_ms(
            || {
                drop(xd.clone().matmul(wd.clone()).into_data());
                drop(xd.clone().transpose().matmul(gd.clone()).into_data());
            },
            5,
        );
        println!("{density:7.2}  {sparse:18.2}  {dense:16.2}");
    }
}
