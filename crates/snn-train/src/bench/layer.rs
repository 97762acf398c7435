//! `snn-train bench-layer`: the workload of the Open Neuromorphic library benchmark, timed on one
//! backend. One `Linear(n, n)` followed by LIF neurons (β = 0.9, θ = 1), input `[T, B, n]` of
//! uniform random currents in [0, 1), one forward and backward of `Σ spikes` w.r.t. the weights,
//! fp32; the median of `repeats` timed passes after `warmup` untimed ones. Each pass ends by
//! reading the weight gradient back (a sync point on asynchronous GPU backends).
//!
//! Anchors for n = 16,384, T = 500, B = 16 on an RTX 4090 (../shared/notes/snn-anchors.md):
//! Spyx 76 ms, Norse + torch.compile 110 ms, SpikingJelly CuPy 118 ms, snnTorch 3,078 ms.

use std::time::Instant;

use anyhow::{Result, bail};
use burn::nn::LinearConfig;
use burn::tensor::{Device, Distribution, Tensor};
use snn_model::{LifConfig, LifImpl, SnnConfig};

use crate::platform::backend::Backend;
use crate::platform::memory::peak_rss_mb;
use crate::platform::memory::{Phase, check_memory};

/// What to time.
#[derive(Debug, Clone)]
pub struct LayerBenchRequest {
    pub backend: Backend,
    pub neurons: usize,
    pub steps: usize,
    pub batch: usize,
    pub warmup: usize,
    pub repeats: usize,
    pub lif: LifImpl,
}

/// Median time of one forward + backward pass.
#[derive(Debug, Clone)]
pub struct LayerBenchResult {
    pub median_ms: f64,
    /// Every timed pass, sorted.
    pub samples_ms: Vec<f64>,
    pub peak_rss_mb: f64,
}

pub fn run(req: &LayerBenchRequest) -> Result<LayerBenchResult> {
    if req.repeats == 0 || req.neurons == 0 || req.steps == 0 || req.batch == 0 {
        bail!("--repeats, --neurons, --steps and --batch must all be ≥ 1");
    }
    // The same workload as a network description, for the memory check only.
    let as_network = SnnConfig {
        inputs: req.neurons,
        steps: req.steps,
        classes: 1,
        hidden: Some(vec![req.neurons]),
        ..SnnConfig::default()
    };
    as_network.check_batch(req.batch, "--batch")?;
    check_memory(&as_network, req.batch, Phase::Training, "--batch")?;
    let device = req.backend.device.clone().autodiff();
    device.seed(7);
    let [n, t, b] = [req.neurons, req.steps, req.batch];
    let linear = LinearConfig::new(n, n).init(&device);
    let lif = LifConfig {
        beta: Some(0.9),
        ..LifConfig::default()
    }
    .init(n, &device)
    .with_implementation(req.lif);
    let input = Tensor::<3>::random([t, b, n], Distribution::Uniform(0.0, 1.0), &device);
    let pass = || -> Result<f64> {
        let start = Instant::now();
        let spikes = lif.forward(linear.forward(input.clone()));
        let grads = spikes.sum().backward();
        let Some(grad) = linear.weight.grad(&grads) else {
            bail!("no weight gradient: the layer is not differentiable on this backend");
        };
        let checksum = grad.sum().into_scalar::<f32>();
        if !checksum.is_finite() {
            bail!("the weight gradient is not finite ({checksum})");
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    };
    for _ in 0..req.warmup {
        pass()?;
    }
    let mut samples_ms = (0..req.repeats)
        .map(|_| pass())
        .collect::<Result<Vec<_>>>()?;
    samples_ms.sort_by(f64::total_cmp);
    Ok(LayerBenchResult {
        median_ms: samples_ms[samples_ms.len() / 2],
        samples_ms,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// The machine-readable result line.
pub fn result_line(req: &LayerBenchRequest, r: &LayerBenchResult) -> String {
    format!(
        "bench_layer backend={} neurons={} steps={} batch={} lif={:?} median_ms={:.1} peak_rss_mb={:.0} repeats={}",
        req.backend.name,
        req.neurons,
        req.steps,
        req.batch,
        req.lif,
        r.median_ms,
        r.peak_rss_mb,
        req.repeats,
    )
    .to_lowercase()
}

/// Median milliseconds of the LIF scan alone (forward + backward of `Σ spikes·x`) on `[T, B, N]`
/// uniform currents in [0, 0.3): the fused op against the reference loop in `snn-train
/// self-test`.
pub fn lif_scan_ms(
    device: &Device,
    implementation: LifImpl,
    [t, b, n]: [usize; 3],
    repeats: usize,
) -> Result<f64> {
    let device = device.clone().autodiff();
    device.seed(7);
    let current = Tensor::<3>::random([t, b, n], Distribution::Uniform(0.0, 0.3), &device);
    let lif = LifConfig::default()
        .init(n, &device)
        .with_implementation(implementation);
    let mut samples = Vec::with_capacity(repeats);
    for i in 0..=repeats {
        let start = Instant::now();
        let x = current.clone().require_grad();
        let grads = (lif.forward(x.clone()) * current.clone()).sum().backward();
        let Some(grad) = x.grad(&grads) else {
            bail!("no input gradient from the LIF scan");
        };
        let _ = grad.sum().into_scalar::<f32>();
        if i > 0 {
            // The first pass compiles and autotunes kernels: untimed.
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples[samples.len() / 2])
}
