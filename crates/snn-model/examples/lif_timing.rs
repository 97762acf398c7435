//! Times the LIF scan alone, forward + backward through time, fused op against the reference
//! per-step loop, on the reference shape `[T=100, B=64, N=256]` (or `T B N` given after the
//! backend). Prints the median of 20 repetitions and the speed-up.
//!
//! `cargo run --release -p snn-model --example lif_timing -- wgpu [T B N]`
//! (backends: flex, ndarray, wgpu, and cuda when built with `--features cuda`).

#[path = "common/timing.rs"]
mod timing;

use timing::median_ms;

use burn::tensor::{Device, DeviceKind, Distribution, Tensor};
use snn_model::lif::{LifConfig, LifImpl};

fn device(name: &str) -> Device {
    match name {
        "flex" => Device::flex(),
        #[allow(deprecated)]
        "ndarray" => Device::ndarray(),
        "wgpu" => Device::wgpu(DeviceKind::DefaultDevice),
        #[cfg(feature = "cuda")]
        "cuda" => Device::cuda(0),
        other => {
            eprintln!("unknown or not built-in backend {other:?} (flex, ndarray, wgpu, cuda)");
            std::process::exit(2);
        }
    }
}

/// One forward + backward of the layer; returns after the gradient is read back (a sync point).
fn step(implementation: LifImpl, current: &Tensor<3>, device: &Device) -> f32 {
    let lif = LifConfig::default()
        .init(current.dims()[2], device)
        .with_implementation(implementation);
    let x = current.clone().require_grad();
    let spikes = lif.forward(x.clone());
    let grads = (spikes * current.clone()).sum().backward();
    x.grad(&grads)
        .expect("input gradient")
        .sum()
        .into_scalar::<f32>()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().map(String::as_str).unwrap_or("flex");
    let dims: Vec<usize> = args[1.min(args.len())..]
        .iter()
        .map(|a| a.parse().expect("T B N must be positive integers"))
        .collect();
    let [t, b, n] = match dims[..] {
        [] => [100, 64, 256],
        [t, b, n] => [t, b, n],
        _ => panic!("give all three of T B N, or none"),
    };
    let device = device(backend).autodiff();
    device.seed(7);
    let current = Tensor::<3>::random([t, b, n], Distribution::Uniform(0.0, 0.3), &device);
    let fused = median_ms(
        || {
            step(LifImpl::Fused, &current, &device);
        },
        20,
    );
    let reference = median_ms(
        || {
            step(LifImpl::Reference, &current, &device);
        },
        20,
    );
    println!(
        "lif_timing backend={backend} T={t} B={b} N={n} fused_ms={fused:.3} reference_ms={reference:.3} speedup={:.1}",
        reference / fused
    );
}
