//! Spike encoders: intensities in [0, 1] (`[B, N]`) → binary spike trains `[T, B, N]` (or, for
//! `direct`, the intensities repeated as currents).
//!
//! Spikes are drawn on the tensor's device for each batch (the device's seeded RNG,
//! `Device::seed`), never stored for a dataset.

use burn::backend::Dispatch;
use burn::tensor::{Distribution, Tensor};
use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::ops::SnnOps;

/// Which encoder turns pixel intensities into spikes (TOML section `[model.encoder]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EncoderConfig {
    /// Rate code: at every step, input `n` spikes where `U(0,1) < clamp(gain·x_n, 0, 1)`.
    Poisson {
        #[serde(default = "default_gain")]
        gain: f32,
    },
    /// Time-to-first-spike code: one spike at step `round((1 − x)·(T − 1))` for `x > threshold`,
    /// none otherwise (brighter pixels fire earlier).
    Latency {
        #[serde(default)]
        threshold: f32,
    },
    /// The intensities themselves are the input current at every step (no spikes): the first
    /// layers learn the encoding, as usual for conv SNNs.
    Direct {},
}

fn default_gain() -> f32 {
    1.0
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig::Poisson { gain: 1.0 }
    }
}

/// An encoder name that is not `poisson`, `latency` or `direct`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoder {0:?} (poisson, latency, direct)")]
pub struct UnknownEncoder(pub String);

impl std::str::FromStr for EncoderConfig {
    type Err = UnknownEncoder;

    /// The encoder of a `kind` name, with its default settings (`poisson`: gain 1, `latency`:
    /// threshold 0).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "poisson" => Ok(EncoderConfig::Poisson { gain: 1.0 }),
            "latency" => Ok(EncoderConfig::Latency { threshold: 0.0 }),
            "direct" => Ok(EncoderConfig::Direct {}),
            other => Err(UnknownEncoder(other.to_string())),
        }
    }
}

impl EncoderConfig {
    /// The `kind` of the TOML section (`poisson`, `latency`, `direct`).
    pub fn kind(&self) -> &'static str {
        match self {
            EncoderConfig::Poisson { .. } => "poisson",
            EncoderConfig::Latency { .. } => "latency",
            EncoderConfig::Direct {} => "direct",
        }
    }

    /// Encodes `intensity` `[B, N]` into `steps` time steps.
    pub fn encode(&self, intensity: Tensor<2>, steps: usize) -> Tensor<3> {
        match *self {
            EncoderConfig::Poisson { gain } => poisson(intensity, steps, gain),
            EncoderConfig::Latency { threshold } => latency(intensity, steps, threshold),
            EncoderConfig::Direct {} => intensity.unsqueeze_dim::<3>(0).repeat_dim(0, steps),
        }
    }

    /// Whether the encoder emits spikes (`direct` passes currents).
    pub fn is_spiking(&self) -> bool {
        !matches!(self, EncoderConfig::Direct {})
    }

    /// Checks the parameters; keys are named under `section`.
    pub fn validate(&self, section: &str) -> Result<(), ConfigError> {
        match *self {
            EncoderConfig::Poisson { gain } if !(gain.is_finite() && gain > 0.0) => {
                Err(ConfigError::new(
                    format!("{section}.gain"),
                    gain,
                    "must be a finite number > 0",
                ))
            }
            EncoderConfig::Latency { threshold } if !(0.0..1.0).contains(&threshold) => {
                Err(ConfigError::new(
                    format!("{section}.threshold"),
                    threshold,
                    "must be in [0, 1)",
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Poisson (Bernoulli-per-step) rate code: `s[t, b, n] = 1[U(0,1) < clamp(gain·x[b, n], 0, 1)]`.
/// `p = 0` never fires, `p = 1` always fires (`U` is drawn from `[0, 1)`).
/// Runs as [`SnnOps::poisson_encode`]: `U` comes from a counter-based generator seeded from the
/// device's RNG (two draws per batch), on the host for CPU backends and in one kernel on the
/// device for CubeCL backends (wgpu, CUDA); the same seed gives the same spikes on each.
pub fn poisson(intensity: Tensor<2>, steps: usize, gain: f32) -> Tensor<3> {
    let seed = Tensor::<1>::random([2], Distribution::Default, &intensity.device());
    Tensor::from_dispatch(<Dispatch as SnnOps>::poisson_encode(
        intensity.detach().into_dispatch(),
        seed.into_dispatch(),
        steps,
        gain,
    ))
}

/// The same code drawn with plain tensor ops: `U(0,1)` from the device RNG for every slot.
pub fn poisson_reference(intensity: Tensor<2>, steps: usize, gain: f32) -> Tensor<3> {
    let [batch, n] = intensity.dims();
    let device = intensity.device();
    let p = (intensity * gain).clamp(0.0, 1.0).unsqueeze_dim::<3>(0);
    let u = Tensor::<3>::random([steps, batch, n], Distribution::Default, &device);
    u.lower(p.expand([steps, batch, n])).float()
}

/// Latency code: one spike at step `round((1 − x)·(T − 1))` where `x > threshold`.
pub fn latency(intensity: Tensor<2>, steps: usize, threshold: f32) -> Tensor<3> {
    let [batch, n] = intensity.dims();
    let device = intensity.device();
    let x = intensity.clamp(0.0, 1.0);
    let fires = x
        .clone()
        .greater_elem(threshold)
        .float()
        .unsqueeze_dim::<3>(0);
    let when = ((x.neg() + 1.0) * (steps.saturating_sub(1)) as f32)
        .round()
        .unsqueeze_dim::<3>(0)
        .expand([steps, batch, n]);
    let time = Tensor::<1, burn::tensor::Int>::arange(0..steps as i64, &device)
        .float()
        .reshape([steps, 1, 1])
        .expand([steps, batch, n]);
    time.equal(when).float() * fires
}
