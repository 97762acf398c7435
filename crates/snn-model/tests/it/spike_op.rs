//! The spike op: exact Heaviside forward, surrogate-derivative backward, on every backend.

use crate::common::{devices, max_rel_err, tensor, to_vec, uniform};
use snn_model::Surrogate;
use snn_model::spike::{spike, spike_reference};

const SURROGATES: [Surrogate; 3] = [
    Surrogate::Sigmoid { slope: 5.0 },
    Surrogate::FastSigmoid { slope: 3.0 },
    Surrogate::Atan { alpha: 2.0 },
];

/// The analytic surrogate derivative in f64. The sigmoid's `k·s(kx)·(1 − s(kx))` is evaluated as
/// `k·e/(1 + e)²` with `e = exp(−k|x|)` (the same function, since it is even): written with
/// `1 − s(kx)` it cancels catastrophically in f64 too once `kx` is large (0.2% off at `kx` ≈ 32).
fn analytic(s: Surrogate, x: f64) -> f64 {
    match s {
        Surrogate::Sigmoid { slope } => {
            let k = slope as f64;
            let e = (-k * x.abs()).exp();
            k * e / ((1.0 + e) * (1.0 + e))
        }
        Surrogate::FastSigmoid { slope } => 1.0 / (1.0 + slope as f64 * x.abs()).powi(2),
        Surrogate::Atan { alpha } => {
            let a = alpha as f64;
            (a / 2.0) / (1.0 + (std::f64::consts::FRAC_PI_2 * a * x).powi(2))
        }
    }
}

#[test]
fn forward_is_exactly_heaviside() {
    let mut xs = uniform(2000, -3.0, 3.0, 1);
    xs.extend([
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        1e-30,
        1e30,
        -1e30,
    ]);
    for (name, device) in devices() {
        for s in SURROGATES {
            let out = to_vec(spike(tensor(xs.clone(), [xs.len()], &device), s));
            for (x, y) in xs.iter().zip(&out) {
                let expected = if *x > 0.0 { 1.0 } else { 0.0 };
                assert_eq!(*y, expected, "{name}: spike({x}) = {y}");
            }
        }
    }
}

#[test]
fn gradient_equals_analytic_surrogate() {
    let xs = uniform(4096, -2.0, 2.0, 2);
    let upstream = uniform(4096, 0.5, 1.5, 3);
    for (name, device) in devices() {
        let ad = device.clone().autodiff();
        for s in SURROGATES {
            let x = tensor(xs.clone(), [xs.len()], &ad).require_grad();
            let w = tensor(upstream.clone(), [xs.len()], &ad);
            let grads = (spike(x.clone(), s) * w).sum().backward();
            let got = to_vec(x.grad(&grads).expect("x has a gradient"));
            let expected: Vec<f32> = xs
                .iter()
                .zip(&upstream)
                .map(|(&x, &g)| (g as f64 * analytic(s, x as f64)) as f32)
                .collect();
            let err = max_rel_err(&got, &expected, 1e-30);
            assert!(err <= 1e-5, "{name} {}: relative error {err}", s.name());
        }
    }
}

#[test]
fn gradient_equals_detach_trick_reference() {
    // |x| ≤ 1 keeps the reference's own f32 error (1 − s(kx) cancels for large kx) below 1e-5.
    let xs = uniform(1024, -1.0, 1.0, 4);
    for (name, device) in devices() {
        let ad = device.clone().autodiff();
        for s in SURROGATES {
            let x = tensor(xs.clone(), [xs.len()], &ad).require_grad();
            let grads = spike(x.clone(), s).sum().backward();
            let ours = to_vec(x.grad(&grads).unwrap());
            let x_ref = tensor(xs.clone(), [xs.len()], &ad).require_grad();
            let out_ref = spike_reference(x_ref.clone(), s);
            let fwd_ref = to_vec(out_ref.clone());
            let grads = out_ref.sum().backward();
            let theirs = to_vec(x_ref.grad(&grads).unwrap());
            let err = max_rel_err(&ours, &theirs, 1e-6);
            assert!(
                err <= 1e-4,
                "{name} {}: ours vs detach trick {err}",
                s.name()
            );
            let fwd = to_vec(spike(tensor(xs.clone(), [xs.len()], &device), s));
            let mismatched = fwd
                .iter()
                .zip(&fwd_ref)
                .filter(|(a, b)| (*a - *b).abs() > 1e-6);
            assert_eq!(
                mismatched.count(),
                0,
                "{name} {}: forward differs",
                s.name()
            );
        }
    }
}

/// |x| from 1e-6 to 1e4 (a log grid of both signs, 0, and uniform draws) and slopes up to 100:
/// every gradient equals the analytic derivative to 1e-4 relative, where it is above 1e-30 (below
/// that, f32 rounds it to a subnormal or zero, and only the absolute error 1e-30 is asked).
#[test]
fn gradient_equals_analytic_for_huge_inputs_and_steep_slopes() {
    let mut xs: Vec<f32> = vec![0.0];
    for e in -24..=16 {
        let m = 10f32.powf(e as f32 / 4.0);
        xs.extend([m, -m]);
    }
    xs.extend(uniform(1000, -1e4, 1e4, 5));
    for (name, device) in devices() {
        let ad = device.clone().autodiff();
        for slope in [1.0, 25.0, 100.0] {
            for s in [
                Surrogate::Sigmoid { slope },
                Surrogate::FastSigmoid { slope },
                Surrogate::Atan { alpha: slope },
            ] {
                let x = tensor(xs.clone(), [xs.len()], &ad).require_grad();
                let grads = spike(x.clone(), s).sum().backward();
                let g = to_vec(x.grad(&grads).unwrap());
                for (&x, &got) in xs.iter().zip(&g) {
                    let want = analytic(s, x as f64);
                    assert!(
                        got.is_finite() && (got as f64 - want).abs() <= 1e-4 * want + 1e-30,
                        "{name} {} k={slope}: surrogate'({x}) = {got}, analytic {want}",
                        s.name()
                    );
                }
            }
        }
    }
}

#[test]
fn host_derivative_matches_analytic() {
    for s in SURROGATES {
        for x in uniform(1000, -4.0, 4.0, 6) {
            let got = s.derivative(x) as f64;
            let want = analytic(s, x as f64);
            assert!(
                (got - want).abs() <= 1e-6 * want.max(1e-30) + 1e-12,
                "{} at {x}",
                s.name()
            );
        }
    }
}
