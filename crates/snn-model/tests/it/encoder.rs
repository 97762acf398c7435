//! Spike encoders: Poisson firing rates, determinism under a seed, latency timing.

use crate::common::{cpu_devices, devices, rng_lock, tensor, to_vec};
use snn_model::encoder::{latency, poisson};

#[test]
fn poisson_rates_are_within_four_standard_errors() {
    let _rng = rng_lock();
    const PER_P: usize = 1000;
    const STEPS: usize = 100; // 10^5 draws per probability
    let ps = [0.0f32, 0.1, 0.5, 1.0];
    let intensity: Vec<f32> = ps
        .iter()
        .flat_map(|&p| std::iter::repeat_n(p, PER_P))
        .collect();
    for (name, device) in devices() {
        device.seed(1234);
        let spikes = to_vec(poisson(
            tensor(intensity.clone(), [1, intensity.len()], &device),
            STEPS,
            1.0,
        ));
        assert!(
            spikes.iter().all(|&s| s == 0.0 || s == 1.0),
            "{name}: non-binary spikes"
        );
        for (k, &p) in ps.iter().enumerate() {
            let mut fired = 0usize;
            for t in 0..STEPS {
                let row =
                    &spikes[t * intensity.len() + k * PER_P..t * intensity.len() + (k + 1) * PER_P];
                fired += row.iter().filter(|&&s| s == 1.0).count();
            }
            let n = (PER_P * STEPS) as f64;
            let rate = fired as f64 / n;
            match p {
                0.0 => assert_eq!(fired, 0, "{name}: p=0 fired"),
                1.0 => assert_eq!(fired, PER_P * STEPS, "{name}: p=1 missed"),
                _ => {
                    let se = (p as f64 * (1.0 - p as f64) / n).sqrt();
                    assert!(
                        (rate - p as f64).abs() <= 4.0 * se,
                        "{name}: p={p} rate={rate} se={se}"
                    );
                }
            }
        }
    }
}

#[test]
fn poisson_gain_scales_and_clamps() {
    let _rng = rng_lock();
    for (name, device) in devices() {
        device.seed(9);
        let spikes = to_vec(poisson(
            tensor(vec![0.6; 2000], [1, 2000], &device),
            10,
            2.0,
        ));
        assert!(
            spikes.iter().all(|&s| s == 1.0),
            "{name}: gain 2 × 0.6 clamps to 1"
        );
    }
}

#[test]
fn same_seed_gives_same_spikes_on_cpu() {
    let _rng = rng_lock();
    let intensity: Vec<f32> = (0..784).map(|i| (i % 256) as f32 / 255.0).collect();
    for (name, device) in cpu_devices() {
        let draw = |seed| {
            device.seed(seed);
            to_vec(poisson(
                tensor(intensity.clone(), [1, 784], &device),
                20,
                1.0,
            ))
        };
        let (a, b, c) = (draw(5), draw(5), draw(6));
        assert_eq!(a, b, "{name}: same seed, different spikes");
        assert_ne!(a, c, "{name}: different seeds, same spikes");
    }
}

/// The encoder op on every backend (host code on CPU, one kernel on CubeCL runtimes) draws exactly
/// the spikes of the host counter-based generator for the same seed draws, for shapes that are
/// not multiples of a workgroup and for T = 1.
#[test]
fn same_seed_draws_give_identical_spikes_on_every_backend() {
    for (name, device) in devices() {
        for comparison in snn_model::conformance::poisson_suite(&device) {
            if let Err(e) = comparison.verdict() {
                panic!("{name}: {e}");
            }
        }
    }
}

#[test]
fn latency_fires_once_brightest_first() {
    for (name, device) in devices() {
        let spikes = to_vec(latency(
            tensor(vec![1.0, 0.5, 0.0, 0.9], [1, 4], &device),
            11,
            0.0,
        ));
        let times: Vec<Vec<usize>> = (0..4)
            .map(|n| (0..11).filter(|&t| spikes[t * 4 + n] == 1.0).collect())
            .collect();
        assert_eq!(times, vec![vec![0], vec![5], vec![], vec![1]], "{name}");
    }
}
