//! Memory a run needs, estimated from its configuration before anything is allocated.
//!
//! ```text
//! activations = 4 B · T · B · (inputs + K · Σ_layers features_out + K · classes)
//! weights     = 4 B · C · (Σ_layers params + (features_last + 1) · classes)
//! ```
//! with `K` tensors kept per neuron and step (`K = 4` when training: input current, membrane,
//! spikes and their gradient; `K = 2` for inference) and `C` copies of every weight (`C = 4` when
//! training: value, gradient, Adam's two moments; `C = 1` for inference). It is a lower bound
//! (Burn's workspaces and the data set come on top), so a refusal is certain to be right: a run
//! whose estimate exceeds the machine's memory is refused with the estimate and the numbers that
//! drive it, instead of aborting on an allocation after its run directory was written.

use anyhow::{Result, bail};
use snn_model::SnnConfig;

/// Training step or inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Training,
    Inference,
}

impl Phase {
    fn kept_per_neuron(self) -> f64 {
        match self {
            Phase::Training => 4.0,
            Phase::Inference => 2.0,
        }
    }

    fn weight_copies(self) -> f64 {
        match self {
            Phase::Training => 4.0,
            Phase::Inference => 1.0,
        }
    }
}

/// Estimated bytes of one batch of `batch` examples (see the module docs).
pub fn estimate_bytes(model: &SnnConfig, batch: usize, phase: Phase) -> f64 {
    let k = phase.kept_per_neuron();
    let plan = model.plan("model").unwrap_or_default();
    let features: f64 = plan.iter().map(|l| l.output.len() as f64).sum();
    let neurons = model.inputs as f64 + k * features + k * model.classes as f64;
    let activations = 4.0 * model.steps as f64 * batch as f64 * neurons;
    let last = plan.last().map_or(model.inputs, |l| l.output.len()) as f64;
    let weights =
        plan.iter().map(|l| l.params as f64).sum::<f64>() + (last + 1.0) * model.classes as f64;
    activations + 4.0 * phase.weight_copies() * weights
}

/// Refuses a batch whose estimate exceeds the machine's memory; `batch_setting` names what set
/// the batch size (e.g. `train.batch_size` or `--samples`).
pub fn check_memory(
    model: &SnnConfig,
    batch: usize,
    phase: Phase,
    batch_setting: &str,
) -> Result<()> {
    let Some(available) = total_memory_bytes() else {
        return Ok(());
    };
    let needed = estimate_bytes(model, batch, phase);
    if needed > available {
        bail!(
            "this run needs at least {:.1} GiB of memory ({batch_setting} = {batch}, steps = {}, \
             {} layers of up to {} features, {} inputs) but the machine has {:.1} GiB; lower the \
             batch size, the steps or the layer sizes",
            needed / GIB,
            model.steps,
            model.resolved_layers().len(),
            model.widest_layer(),
            model.inputs,
            available / GIB
        );
    }
    Ok(())
}

const GIB: f64 = (1u64 << 30) as f64;

/// Physical memory (`MemTotal` of `/proc/meminfo`), or `None` where that is not available.
fn total_memory_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Peak resident set size of this process (`VmHWM`), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
