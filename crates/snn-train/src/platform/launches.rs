//! Kernel launches of a piece of work on a CubeCL backend (wgpu, CUDA): every launch issued
//! while [`count`] runs the work, by kernel name (CubeCL's process-wide launch observer, told
//! on the issuing thread before each kernel is submitted). CPU backends (flex, ndarray) launch
//! no kernels and count 0. Launch counts matter on GPUs, where each launch costs microseconds
//! of fixed overhead however small the kernel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use burn_cubecl::cubecl::logging::{LaunchObservation, LaunchObserver};

/// Launches counted over one piece of work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Launches {
    pub total: usize,
    /// `(kernel, launches)`, most launched first, then by name.
    pub by_kernel: Vec<(String, usize)>,
}

impl Launches {
    /// The `n` most launched kernels as `"count×name"`, names shortened to their last path
    /// segment before any generic arguments.
    pub fn top(&self, n: usize) -> String {
        (self.by_kernel.iter().take(n))
            .map(|(name, count)| format!("{count}×{}", short_name(name)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Default)]
struct Counter(Mutex<HashMap<&'static str, usize>>);

impl LaunchObserver for Counter {
    fn launched(&self, kernel: &'static str) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(kernel).or_default() += 1;
    }
}

/// Runs `work` and counts the kernels it launches. `work` must wait for its device work
/// (read a result) so that launches a fusing backend defers are issued inside it.
pub fn count<R>(work: impl FnOnce() -> R) -> (R, Launches) {
    let counter = Arc::new(Counter::default());
    let watching = LaunchObservation::new(counter.clone());
    let out = work();
    drop(watching);
    let counts = counter.0.lock().unwrap_or_else(|e| e.into_inner());
    let mut by_kernel: Vec<(String, usize)> =
        counts.iter().map(|(k, &c)| (k.to_string(), c)).collect();
    by_kernel.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = by_kernel.iter().map(|(_, c)| c).sum();
    (out, Launches { total, by_kernel })
}

/// `a::b::Kernel<F, ..>` → `Kernel`.
fn short_name(name: &str) -> &str {
    let plain = name.split('<').next().unwrap_or(name);
    plain.rsplit("::").next().unwrap_or(plain)
}
