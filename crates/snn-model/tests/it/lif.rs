//! LIF neurons: hand-computed traces, and the fused scan against the reference loop.

use crate::common::{assert_finite, devices, tensor, to_vec, uniform};
use burn::optim::{AdamConfig, GradientsParams};
use snn_model::conformance;
use snn_model::lif::{LifState, Reset};
use snn_model::{LearnBeta, LifConfig, LifImpl, Surrogate};

/// β = 0.5, θ = 1 and dyadic inputs: every value below is exact in f32.
const INPUT: [f32; 5] = [0.75, 0.5, 1.25, 0.25, 1.0];
const SPIKES: [f32; 5] = [0.0, 0.0, 1.0, 0.0, 1.0];
/// u = 0.75; 0.375+0.5; 0.4375+1.25; 0.84375+0.25−1; 0.046875+1.
const MEMBRANE_SUBTRACT: [f32; 5] = [0.75, 0.875, 1.6875, 0.09375, 1.046875];
/// Same until the spike at t=2, then u = 0·… + 0.25; 0.125 + 1.
const MEMBRANE_ZERO: [f32; 5] = [0.75, 0.875, 1.6875, 0.25, 1.125];

fn config(reset: Reset) -> LifConfig {
    LifConfig {
        beta: Some(0.5),
        threshold: 1.0,
        reset,
        ..LifConfig::default()
    }
}

#[test]
fn five_step_trace_matches_hand_computation() {
    for (name, device) in devices() {
        for (reset, membrane) in [
            (Reset::Subtract, MEMBRANE_SUBTRACT),
            (Reset::Zero, MEMBRANE_ZERO),
        ] {
            let lif = config(reset).init(1, &device);
            let current = tensor(INPUT.to_vec(), [5, 1, 1], &device);
            // Single-step API.
            let mut state = LifState::zeros(1, 1, &device);
            for t in 0..5 {
                let (s, next) = lif.step(tensor(vec![INPUT[t]], [1, 1], &device), state);
                assert_eq!(
                    to_vec(s),
                    vec![SPIKES[t]],
                    "{name} {reset:?} step {t} spike"
                );
                assert_eq!(
                    to_vec(next.membrane.clone()),
                    vec![membrane[t]],
                    "{name} {reset:?} step {t} u"
                );
                state = next;
            }
            // Multi-step, both implementations.
            for implementation in [LifImpl::Fused, LifImpl::Reference] {
                let lif = lif.clone().with_implementation(implementation);
                assert_eq!(
                    to_vec(lif.forward(current.clone())),
                    SPIKES.to_vec(),
                    "{name} {reset:?} {implementation:?}"
                );
            }
            let (s, u) = lif.trace(current);
            assert_eq!(to_vec(s), SPIKES.to_vec(), "{name} {reset:?} trace spikes");
            assert_eq!(
                to_vec(u),
                membrane.to_vec(),
                "{name} {reset:?} trace membrane"
            );
        }
    }
}

/// Fails with every broken comparison of a suite, named with the backend.
fn assert_all_hold(name: &str, comparisons: Vec<conformance::Comparison>) {
    assert!(!comparisons.is_empty(), "{name}: empty suite");
    let failures: Vec<String> = comparisons
        .iter()
        .filter_map(|c| c.verdict().err())
        .collect();
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

/// Spikes and gradients (w.r.t. current and learnable β) of the fused scan against the
/// reference loop: both resets, detached or not, β fixed or learnt per layer or neuron, each
/// surrogate, odd shapes and a single step (the suite `snn-train self-test` runs too).
#[test]
fn fused_scan_matches_reference_loop() {
    for (name, device) in devices() {
        assert_all_hold(name, conformance::lif_suite(&device));
    }
}

/// The comparison can fail: a spike flipped or a gradient off by 1e-3 is reported.
#[test]
fn a_broken_comparison_is_reported() {
    let (_, device) = devices().remove(0);
    let good = conformance::lif_scan(&device, &LifConfig::default(), [20, 2, 8], 5);
    assert_eq!(good.verdict(), Ok(()));
    let flipped = conformance::Comparison {
        spike_mismatches: 1,
        ..good.clone()
    };
    assert!(
        flipped
            .verdict()
            .unwrap_err()
            .contains("1 of 320 spikes differ")
    );
    let off = conformance::Comparison {
        grad_rel_err: Some(1e-3),
        grad_worst: Some(conformance::GradWorst {
            gradient: "beta",
            index: 3,
            fused: 0.5,
            reference: 0.25,
            scale: 2.0,
        }),
        ..good.clone()
    };
    let message = off.verdict().unwrap_err();
    assert!(
        message.contains("worst: beta[3], fused 5e-1, reference 2.5e-1, largest |reference| 2e0"),
        "{message}"
    );
    let nan = conformance::Comparison {
        grad_rel_err: Some(f32::NAN),
        ..good.clone()
    };
    assert!(nan.verdict().is_err());
    let silent = conformance::Comparison {
        spike_fraction: 0.0,
        ..good
    };
    assert!(silent.verdict().unwrap_err().contains("degenerate"));
}

/// The fused scan's f32 gradients against the scan's equations computed in f64 on the host
/// (subtract reset, detached; per-neuron β through its logit), at the self-test's longest shape:
/// within the contract's tolerance of the gradient's scale on every backend. Element by element
/// they are not: f32 rounding alone is over 1e-4 of some cancelling elements, which is why the
/// contract measures against the scale ([`conformance::GRAD_TOLERANCE`]).
#[test]
fn fused_gradients_match_the_equations_in_f64() {
    let [steps, batch, n] = conformance::LONG_SHAPE;
    for (name, device) in devices() {
        let ad = device.clone().autodiff();
        for (seed, surrogate) in [
            (101, Surrogate::FastSigmoid { slope: 10.0 }),
            (102, Surrogate::Atan { alpha: 2.0 }),
        ] {
            let cfg = conformance::long_config(surrogate);
            let current = uniform(steps * batch * n, -0.5, 1.2, seed);
            let upstream = uniform(steps * batch * n, -1.0, 1.0, seed + 1);
            let lif = cfg.init(n, &ad).with_implementation(LifImpl::Fused);
            let x = tensor(current.clone(), [steps, batch, n], &ad).require_grad();
            let spikes = lif.forward(x.clone());
            let w = tensor(upstream.clone(), [steps, batch, n], &ad);
            let grads = (spikes.clone() * w).sum().backward();
            let gx = to_vec(x.grad(&grads).unwrap());
            let logit = lif.beta_logit.as_ref().unwrap();
            let g_logit = to_vec(logit.grad(&grads).unwrap());
            let beta: Vec<f64> = to_vec(lif.beta(&ad)).iter().map(|&b| b as f64).collect();

            // The equations in f64: u[t] = β·u[t-1] + I[t] − θ·s[t-1], s[t] = H(u[t] − θ);
            // backward a[t] = g[t]·σ'(u[t] − θ) + β·a[t+1] (reset detached), ∂L/∂I[t] = a[t],
            // ∂L/∂β = Σ a[t]·u[t-1], ∂L/∂logit = ∂L/∂β · β(1 − β).
            let theta = cfg.threshold as f64;
            let derivative = |v: f64| match surrogate {
                Surrogate::FastSigmoid { slope } => 1.0 / (1.0 + slope as f64 * v.abs()).powi(2),
                Surrogate::Atan { alpha } => {
                    let a = alpha as f64;
                    (a / 2.0) / (1.0 + (std::f64::consts::FRAC_PI_2 * a * v).powi(2))
                }
                _ => unreachable!(),
            };
            let at = |t: usize, b: usize, j: usize| (t * batch + b) * n + j;
            let mut membrane = vec![0.0f64; steps * batch * n];
            let mut exact_spikes = vec![0.0f32; steps * batch * n];
            let mut exact_gx = vec![0.0f32; steps * batch * n];
            let mut exact_logit = vec![0.0f64; n];
            for b in 0..batch {
                for j in 0..n {
                    let (mut u, mut s) = (0.0f64, 0.0f64);
                    for t in 0..steps {
                        u = beta[j] * u + current[at(t, b, j)] as f64 - theta * s;
                        s = if u > theta { 1.0 } else { 0.0 };
                        membrane[at(t, b, j)] = u;
                        exact_spikes[at(t, b, j)] = s as f32;
                    }
                    let mut a_next = 0.0f64;
                    for t in (0..steps).rev() {
                        let u = membrane[at(t, b, j)];
                        let a =
                            upstream[at(t, b, j)] as f64 * derivative(u - theta) + beta[j] * a_next;
                        exact_gx[at(t, b, j)] = a as f32;
                        if t > 0 {
                            exact_logit[j] +=
                                a * membrane[at(t - 1, b, j)] * beta[j] * (1.0 - beta[j]);
                        }
                        a_next = a;
                    }
                }
            }
            let exact_logit: Vec<f32> = exact_logit.iter().map(|&g| g as f32).collect();
            let label = format!("{name} {surrogate:?}");
            assert_eq!(to_vec(spikes), exact_spikes, "{label}: spikes");
            for (gradient, got, exact) in [
                ("current", &gx, &exact_gx),
                ("beta", &g_logit, &exact_logit),
            ] {
                let (err, worst) = conformance::gradient_error(gradient, got, exact);
                assert!(
                    err <= conformance::GRAD_TOLERANCE,
                    "{label}: {gradient} gradient error {err:e} ({worst:?})"
                );
            }
        }
    }
}

/// The worst element of a comparison is found: the largest relative error, a non-finite value
/// first, none when the two agree.
#[test]
fn the_worst_gradient_element_is_named() {
    let reference = [1.0, 2.0, 3.0, 0.0];
    assert_eq!(
        conformance::worst_rel_err(&[1.0, 2.1, 3.0, 0.0], &reference, 0.1),
        ((2.1f32 - 2.0).abs() / 2.0, Some(1))
    );
    // Below the floor an element is compared at the floor: 0.01 off at 0 is 0.1 relative.
    assert_eq!(
        conformance::worst_rel_err(&[1.0, 2.1, 3.0, 0.01], &reference, 0.1).1,
        Some(3)
    );
    assert_eq!(
        conformance::worst_rel_err(&[1.0, 5.0, f32::NAN, 0.0], &reference, 0.1),
        (f32::INFINITY, Some(2))
    );
    assert_eq!(
        conformance::worst_rel_err(&reference, &reference, 0.1),
        (0.0, None)
    );
}

#[test]
fn tau_gives_beta() {
    let cfg = LifConfig {
        tau: Some(10.0),
        ..LifConfig::default()
    };
    assert!((cfg.resolved_beta() - (-0.1f32).exp()).abs() < 1e-7);
    for (name, device) in devices() {
        let lif = LifConfig {
            beta: Some(0.3),
            learn_beta: LearnBeta::Neuron,
            ..LifConfig::default()
        }
        .init(4, &device);
        let beta = to_vec(lif.beta(&device));
        assert!(
            beta.iter().all(|b| (b - 0.3).abs() < 1e-6),
            "{name}: {beta:?}"
        );
    }
}

/// Ten Adam steps at learning rate 0.5 on a loss that rewards spikes (β up keeps more charge)
/// for some neurons and penalises them (β down) for the others: every β moves by more than 0.05
/// in its direction and stays strictly inside (0, 1). (Adam moves the logit by about the learning
/// rate a step, so β = sigmoid(logit) cannot round to 0 or 1 in f32 unless the parametrisation
/// is broken.)
#[test]
fn learnable_beta_trains_and_stays_in_unit_interval() {
    let (t, b, n) = (20, 2, 6);
    let current = uniform(t * b * n, 0.0, 0.6, 31);
    for (name, device) in devices() {
        let ad = device.clone().autodiff();
        for learn_beta in [LearnBeta::Layer, LearnBeta::Neuron] {
            // Loss weight per neuron: −1 rewards its spikes, +1 penalises them. One β for the
            // layer: reward every neuron.
            let up = |i: usize| learn_beta == LearnBeta::Layer || i % n < n / 2;
            let sign: Vec<f32> = (0..t * b * n)
                .map(|i| if up(i) { -1.0 } else { 1.0 })
                .collect();
            let mut lif = LifConfig {
                beta: Some(0.3),
                learn_beta,
                ..LifConfig::default()
            }
            .init(n, &ad);
            let mut optim = AdamConfig::new().init();
            for _ in 0..10 {
                let x = tensor(current.clone(), [t, b, n], &ad);
                let loss = (lif.forward(x) * tensor(sign.clone(), [t, b, n], &ad)).sum();
                let grads = GradientsParams::from_grads(loss.backward(), &lif);
                lif = optim.step(0.5, lif, grads);
            }
            let logits = to_vec(lif.beta_logit.as_ref().unwrap().val());
            let beta = to_vec(lif.beta(&ad));
            assert_finite(&format!("{name} {learn_beta:?}: beta"), &beta);
            assert!(
                beta.iter().all(|&v| v > 0.0 && v < 1.0),
                "{name} {learn_beta:?}: beta left (0, 1): {beta:?} (logits {logits:?})"
            );
            for (i, &v) in beta.iter().enumerate() {
                let moved = if up(i) { v - 0.3 } else { 0.3 - v };
                assert!(
                    moved > 0.05,
                    "{name} {learn_beta:?}: beta[{i}] did not train in its direction: {beta:?}"
                );
            }
        }
    }
}

#[test]
fn invalid_lif_values_are_rejected_with_their_key() {
    let bad = [
        (
            LifConfig {
                beta: Some(1.0),
                ..LifConfig::default()
            },
            "lif.beta",
        ),
        (
            LifConfig {
                beta: Some(0.0),
                ..LifConfig::default()
            },
            "lif.beta",
        ),
        (
            LifConfig {
                tau: Some(-2.0),
                ..LifConfig::default()
            },
            "lif.tau",
        ),
        (
            LifConfig {
                beta: Some(0.5),
                tau: Some(2.0),
                ..LifConfig::default()
            },
            "lif.tau",
        ),
        (
            LifConfig {
                threshold: 0.0,
                ..LifConfig::default()
            },
            "lif.threshold",
        ),
        (
            LifConfig {
                surrogate: Surrogate::Sigmoid { slope: -1.0 },
                ..LifConfig::default()
            },
            "lif.surrogate.slope",
        ),
    ];
    for (cfg, key) in bad {
        let err = cfg.validate("lif").expect_err(key);
        assert_eq!(err.key, key, "{err}");
    }
    LifConfig::default().validate("lif").unwrap();
}
