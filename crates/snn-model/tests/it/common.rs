//! Shared helpers of the snn-model tests: the backends to run on, the lock on the device RNG,
//! and small tensor utilities.
//!
//! Contract: a numeric test loops over [`devices`] (never empty: an empty or unknown
//! `SNN_TEST_BACKENDS` panics), or over [`cpu_devices`] (flex and ndarray, whatever the variable
//! says) when it only makes sense on CPU, and then says so in its name (`..._on_cpu`).
//! [`max_rel_err`] fails on any NaN or infinity.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

use burn::tensor::{Device, DeviceKind, Tensor, TensorData};

/// The backends known to the tests, by name.
const KNOWN: &str = "flex, ndarray, wgpu, cuda";

fn device_named(name: &str) -> (&'static str, Device) {
    match name {
        "flex" => ("flex", Device::flex()),
        #[allow(deprecated)]
        "ndarray" => ("ndarray", Device::ndarray()),
        "wgpu" => ("wgpu", Device::wgpu(DeviceKind::DefaultDevice)),
        #[cfg(feature = "cuda")]
        "cuda" => ("cuda", Device::cuda(0)),
        #[cfg(not(feature = "cuda"))]
        "cuda" => panic!("SNN_TEST_BACKENDS=cuda needs the tests built with `--features cuda`"),
        other => panic!("SNN_TEST_BACKENDS: unknown backend {other:?} (known: {KNOWN})"),
    }
}

/// Parses a `SNN_TEST_BACKENDS` value: comma-separated names, at least one, all known.
pub fn parse_backends(list: &str) -> Vec<&str> {
    let names: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert!(
        !names.is_empty(),
        "SNN_TEST_BACKENDS={list:?} names no backend: set it to some of {KNOWN} \
         (e.g. `flex,ndarray`), or unset it for flex, ndarray and wgpu"
    );
    names
}

/// The backends every numeric test runs on: flex, ndarray and wgpu (through Mesa's lavapipe on
/// CPU-only machines), or those `SNN_TEST_BACKENDS` names, e.g. `flex,ndarray` or `wgpu,cuda`
/// (cuda needs `--features cuda`). Never empty.
pub fn devices() -> Vec<(&'static str, Device)> {
    let wanted = std::env::var("SNN_TEST_BACKENDS").unwrap_or_else(|_| "flex,ndarray,wgpu".into());
    parse_backends(&wanted)
        .into_iter()
        .map(device_named)
        .collect()
}

/// The CPU backends, always both, whatever `SNN_TEST_BACKENDS` says: for tests that need
/// bit-reproducible seeding or large loops (their names end in `_on_cpu`).
pub fn cpu_devices() -> Vec<(&'static str, Device)> {
    ["flex", "ndarray"].into_iter().map(device_named).collect()
}

/// Burn's RNG is shared by every test of this binary: a test that seeds it, or draws from it
/// (model init, the Poisson encoder), holds this lock so another test cannot interleave.
pub fn rng_lock() -> MutexGuard<'static, ()> {
    static RNG: Mutex<()> = Mutex::new(());
    RNG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

pub fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

pub use snn_model::conformance::uniform;

/// Panics at the first NaN or infinity in `values`, naming `what` and the index.
pub fn assert_finite(what: &str, values: &[f32]) {
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        panic!(
            "{what}: non-finite value {v} at index {i} (of {})",
            values.len()
        );
    }
}

/// Largest `|a − b| / max(|b|, floor)` over two equally long slices. Panics if either slice
/// holds a NaN or an infinity, so a broken gradient can never pass as "close".
pub fn max_rel_err(a: &[f32], b: &[f32], floor: f32) -> f32 {
    assert_finite("max_rel_err: first slice", a);
    assert_finite("max_rel_err: second slice", b);
    snn_model::conformance::max_rel_err(a, b, floor)
}

/// Tests of the helpers themselves: the checks must be able to fail.
#[test]
fn max_rel_err_rejects_nan_and_infinity() {
    assert_eq!(max_rel_err(&[1.0, 2.0], &[1.0, 2.5], 1e-6), 0.2);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let got = std::panic::catch_unwind(|| max_rel_err(&[1.0, bad], &[1.0, 1.0], 1e-6));
        assert!(got.is_err(), "{bad} in the first slice passed");
        let got = std::panic::catch_unwind(|| max_rel_err(&[1.0, 1.0], &[bad, 1.0], 1e-6));
        assert!(got.is_err(), "{bad} in the second slice passed");
    }
}

#[test]
fn an_empty_or_unknown_backend_list_is_refused() {
    assert_eq!(parse_backends(" flex , wgpu"), vec!["flex", "wgpu"]);
    for empty in ["", " ", ",", " , ,"] {
        let got = std::panic::catch_unwind(|| parse_backends(empty).len());
        assert!(got.is_err(), "SNN_TEST_BACKENDS={empty:?} was accepted");
    }
    assert!(std::panic::catch_unwind(|| device_named("tpu")).is_err());
    assert_eq!(
        cpu_devices().iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["flex", "ndarray"]
    );
}
