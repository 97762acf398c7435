//! The event-driven spike matmul equals the dense product: outputs and both gradients, on every
//! backend, for binary spikes and for general values, and across the density switch.

use crate::common::{devices, max_rel_err, tensor, to_vec, uniform};
use burn::backend::Dispatch;
use burn::tensor::Tensor;
use snn_model::ops::SnnOps;
use snn_model::ops::host::{SpikeEvents, poisson_events, poisson_spikes};

fn spike_linear(x: Tensor<3>, w: Tensor<2>, max_density: f32) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as SnnOps>::spike_linear(
        x.into_dispatch(),
        w.into_dispatch(),
        max_density,
    ))
}

/// Spikes with ~`density` ones (or general values when `binary` is false), `[T, B, K]`.
fn inputs([t, b, k]: [usize; 3], density: f32, binary: bool, seed: u64) -> Vec<f32> {
    let u = uniform(t * b * k, 0.0, 1.0, seed);
    let v = uniform(t * b * k, -2.0, 2.0, seed + 1);
    u.iter()
        .zip(&v)
        .map(|(&u, &v)| {
            if u < density {
                if binary { 1.0 } else { v }
            } else {
                0.0
            }
        })
        .collect()
}

fn compare(shape: [usize; 3], n: usize, density: f32, binary: bool, max_density: f32) {
    let [t, b, k] = shape;
    let x = inputs(shape, density, binary, 7);
    let w = uniform(k * n, -0.5, 0.5, 8);
    let upstream = uniform(t * b * n, -1.0, 1.0, 9);
    for (name, device) in devices() {
        let ad = device.clone().autodiff();
        let run = |sparse: bool| {
            let xt = tensor(x.clone(), [t, b, k], &ad).require_grad();
            let wt = tensor(w.clone(), [k, n], &ad).require_grad();
            let out = if sparse {
                spike_linear(xt.clone(), wt.clone(), max_density)
            } else {
                xt.clone()
                    .reshape([t * b, k])
                    .matmul(wt.clone())
                    .reshape([t, b, n])
            };
            let grads = (out.clone() * tensor(upstream.clone(), [t, b, n], &ad))
                .sum()
                .backward();
            (
                to_vec(out),
                to_vec(xt.grad(&grads).unwrap()),
                to_vec(wt.grad(&grads).unwrap()),
            )
        };
        let (out_s, gx_s, gw_s) = run(true);
        let (out_d, gx_d, gw_d) = run(false);
        let label = format!("{name} {shape:?}×{n} density {density} binary {binary}");
        // Errors relative to the largest magnitude: the two paths only sum in different orders.
        let scale = |v: &[f32]| v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        for (what, a, b, tol) in [
            ("output", &out_s, &out_d, 1e-5),
            ("input grad", &gx_s, &gx_d, 1e-4),
            ("weight grad", &gw_s, &gw_d, 1e-4),
        ] {
            let err = max_rel_err(a, b, scale(b));
            assert!(
                err <= tol,
                "{label}: {what} differs by {err} of its largest value"
            );
        }
    }
}

#[test]
fn sparse_spike_matmul_matches_dense_for_spikes() {
    compare([20, 6, 100], 70, 0.13, true, f32::INFINITY);
    compare([3, 2, 784], 256, 0.13, true, f32::INFINITY);
    compare([1, 1, 5], 3, 0.5, true, f32::INFINITY);
}

#[test]
fn sparse_spike_matmul_matches_dense_for_general_values() {
    compare([10, 4, 50], 65, 0.2, false, f32::INFINITY);
}

#[test]
fn dense_fallback_above_the_density_limit_matches_too() {
    compare([10, 4, 50], 33, 0.6, true, 0.3);
}

#[test]
fn events_agree_with_the_dense_spikes() {
    let (t, b, k) = (37, 5, 29);
    let p: Vec<f32> = uniform(b * k, -0.3, 1.2, 3)
        .iter()
        .map(|v| v.clamp(0.0, 1.0))
        .collect();
    let mut dense = vec![0.0; t * b * k];
    poisson_spikes(&p, 99, &mut dense);
    let mut from_events = vec![0.0; t * b * k];
    let events = poisson_events(&p, 99, &mut from_events, t, b);
    assert_eq!(
        dense, from_events,
        "the two Poisson kernels draw the same spikes"
    );
    assert_eq!(
        events,
        SpikeEvents::scan(&dense, [t, b, k]),
        "recorded events = scanned events"
    );
    assert_eq!(events.count(), dense.iter().filter(|&&v| v == 1.0).count());
}
