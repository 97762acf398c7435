//! `snn-train`: trains spiking networks on MNIST with Burn (library part of the binary, so
//! tests and benchmarks can drive it directly).

pub mod analysis;
pub mod augment;
pub mod backend;
pub mod batcher;
pub mod bench;
pub mod checkpoint;
pub mod classifier;
pub mod config;
pub mod data;
pub mod events;
pub mod inference;
pub mod interop;
pub mod launches;
pub mod layer_bench;
pub mod layout;
pub mod limits;
pub mod metrics;
pub mod nir_export;
pub mod nir_import;
pub mod progress;
pub mod run;
pub mod run_dir;
pub mod run_logger;
pub mod safetensors_export;
pub mod self_test;
pub mod sparsity;
pub mod sweep;
pub mod training;
