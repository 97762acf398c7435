//! The firing-rate regulariser (`[train.sparsity]`): trains spiking layers towards sparse
//! activity, so that an inference costs fewer synaptic operations (less energy).
//!
//! ```text
//! rate_l  = Σ spikes_l / (N_l · T · B)          the layer's firing rate in the batch (the
//!                                               `rate_<layer>` metric), differentiable through
//!                                               the surrogate gradient of each spike
//! penalty = weight · Σ_l rate_l                 without `target`: an L1 penalty on spike counts
//!         = weight · Σ_l (rate_l − target)²     with `target` (a rate to hold, as in the
//!                                               literature's rate regularisers)
//! loss    = cross-entropy + penalty
//! ```
//! over the neuron layers named in `layers` (all of them by default; the input encoder's spikes
//! are data, never penalised). The penalty is logged as its own term (`sparsity_loss`).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};
use snn_model::ConfigError;

/// `[train.sparsity]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparsityConfig {
    /// Weight of the penalty in the loss (≥ 0).
    pub weight: f64,
    /// Firing rate to hold (in [0, 1)); without it the penalty is the rate itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Neuron layers penalised, by name as in the `rate_<name>` metrics (e.g. `hidden0`, `lif1`);
    /// all neuron layers when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<String>>,
}

impl SparsityConfig {
    /// Checks the values against the network's neuron layer names.
    pub fn validate(&self, neuron_layers: &[String]) -> Result<(), ConfigError> {
        if !(self.weight.is_finite() && self.weight >= 0.0) {
            return Err(ConfigError::new(
                "train.sparsity.weight",
                self.weight,
                "must be a finite number ≥ 0",
            ));
        }
        if let Some(target) = self.target
            && !(0.0..1.0).contains(&target)
        {
            return Err(ConfigError::new(
                "train.sparsity.target",
                target,
                "must be a firing rate in [0, 1)",
            ));
        }
        if let Some(layers) = &self.layers {
            if layers.is_empty() {
                return Err(ConfigError::new(
                    "train.sparsity.layers",
                    "[]",
                    format!(
                        "names no layer: leave it out for all neuron layers, or name some of {}",
                        neuron_layers.join(", ")
                    ),
                ));
            }
            if let Some(unknown) = layers.iter().find(|l| !neuron_layers.contains(l)) {
                return Err(ConfigError::new(
                    "train.sparsity.layers",
                    unknown,
                    format!(
                        "is not a neuron layer of the network (they are: {})",
                        neuron_layers.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The penalty for one batch, given each spiking layer's name, size and total spikes (a
    /// `[1]` tensor, differentiable) and the slots per neuron `T · B`. Layers not penalised
    /// (and the input) are skipped; `None` when no layer is.
    pub fn penalty(
        &self,
        layers: &[(String, usize, Tensor<1>)],
        steps_times_batch: usize,
    ) -> Option<Tensor<1>> {
        layers
            .iter()
            .filter(|(name, _, _)| match &self.layers {
                Some(wanted) => wanted.contains(name),
                None => name != INPUT_LAYER,
            })
            .map(|(_, neurons, total)| {
                let rate = total.clone() / (neurons * steps_times_batch) as f64;
                match self.target {
                    Some(target) => (rate - target).powi_scalar(2),
                    None => rate,
                }
            })
            .reduce(|a, b| a + b)
            .map(|sum| sum * self.weight)
    }
}

/// The name of the input encoder's spikes among the spiking layers.
pub const INPUT_LAYER: &str = "input";
