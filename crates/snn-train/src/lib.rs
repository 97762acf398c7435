//! `snn-train`: trains spiking networks on MNIST-like data with Burn. The library holds every
//! command, so the binary (`main.rs`) only dispatches and the tests drive the same code.
//!
//! Rooms, from the command line down (a lower room never imports a higher one):
//! - [`commands`]: one file per subcommand, its arguments and its `run`;
//! - [`sweep`]: many runs of one config and their accuracy–energy front;
//! - [`train`]: a run trained with Burn's Learner: the steps, metrics, progress, the log, the
//!   guard, interruptions, resume;
//! - [`analysis`]: a finished run evaluated, used, drawn and measured (SynOps, energy);
//! - [`interop`]: runs to and from NIR and safetensors;
//! - [`bench`]: timing of training steps and of the benchmark layer, and the self-test;
//! - [`run`]: the run directory: files, lock, atomic writes, checkpoints, metrics, summary,
//!   weights, and a finished run opened for use;
//! - [`model`]: the network with its loss;
//! - [`config`]: the run's TOML and the command-line overrides;
//! - [`data`]: data sets, class names, batches and augmentation;
//! - [`platform`]: backends and devices, memory, kernel launches.

pub mod analysis;
pub mod bench;
pub mod commands;
pub mod config;
pub mod data;
pub mod interop;
pub mod model;
pub mod platform;
pub mod run;
pub mod sweep;
pub mod train;
