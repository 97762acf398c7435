//! `snn-train`: trains spiking networks on MNIST with Burn (library part of the binary, so
//! tests and benchmarks can drive it directly).

pub mod analysis;
pub mod backend;
pub mod bench;
pub mod checkpoint;
pub mod classifier;
pub mod config;
pub mod data;
pub mod events;
pub mod inference;
pub mod layer_bench;
pub mod limits;
pub mod metrics;
pub mod progress;
pub mod run;
pub mod run_dir;
pub mod run_logger;
pub mod self_test;
pub mod sparsity;
pub mod sweep;
pub mod training;
