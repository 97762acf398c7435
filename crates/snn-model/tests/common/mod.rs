//! Shared helpers of the snn-model tests: the backends to run on and small tensor utilities.
#![allow(dead_code)]

use burn::tensor::{Device, DeviceKind, Tensor, TensorData};

/// The backends every numeric test runs on: flex and ndarray always, wgpu (through Mesa's
/// lavapipe on CPU-only machines) unless `SNN_TEST_BACKENDS` names others, e.g. `flex,ndarray` or
/// `wgpu,cuda` (cuda needs `--features cuda`).
pub fn devices() -> Vec<(&'static str, Device)> {
    let wanted = std::env::var("SNN_TEST_BACKENDS").unwrap_or_else(|_| "flex,ndarray,wgpu".into());
    let mut out = Vec::new();
    for name in wanted.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let entry: (&'static str, Device) = match name {
            "flex" => ("flex", Device::flex()),
            #[allow(deprecated)]
            "ndarray" => ("ndarray", Device::ndarray()),
            "wgpu" => ("wgpu", Device::wgpu(DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            "cuda" => ("cuda", Device::cuda(0)),
            #[cfg(not(feature = "cuda"))]
            "cuda" => panic!("SNN_TEST_BACKENDS=cuda needs the tests built with `--features cuda`"),
            other => panic!("SNN_TEST_BACKENDS: unknown backend {other:?}"),
        };
        out.push(entry);
    }
    out
}

/// The CPU backends (for tests that need bit-reproducible seeding or large loops).
pub fn cpu_devices() -> Vec<(&'static str, Device)> {
    devices()
        .into_iter()
        .filter(|(n, _)| matches!(*n, "flex" | "ndarray"))
        .collect()
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

pub fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Deterministic pseudo-random values in `[lo, hi)` (SplitMix64), independent of any backend RNG.
pub fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// Largest `|a − b| / max(|b|, floor)` over two equally long slices.
pub fn max_rel_err(a: &[f32], b: &[f32], floor: f32) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(floor))
        .fold(0.0, f32::max)
}
