//! Spiking neural network building blocks on Burn: the spike non-linearity with surrogate
//! gradients, leaky integrate-and-fire neurons, spike encoders and a feed-forward spiking
//! classifier. Backend-agnostic: everything runs on whichever `Device` its tensors live on.

pub mod config;
pub mod conformance;
pub mod encoder;
mod error;
pub mod layer;
pub mod layer_config;
pub mod lif;
pub mod network;
pub mod ops;
pub mod readout;
pub mod record;
pub mod spike;

pub use config::{Projection, ReadoutConfig, SnnConfig};
pub use encoder::EncoderConfig;
pub use error::ConfigError;
pub use layer_config::{FeatureShape, LayerConfig, PlannedLayer};
pub use lif::{LearnBeta, Lif, LifConfig, LifImpl, LifState, Reset};
pub use network::{Input, Snn, SnnOutput, SnnTrace, SpikingLayer};
pub use ops::surrogate::Surrogate;
pub use record::{SpikeRecord, SpikeTotals, SpikeTrains};
pub use spike::spike;
