//! The integration tests of `snn-train`, one binary: end to end on real MNIST through the
//! `snn-train` binary, and the analysis helpers in process.

mod analysis;
mod bad_input;
mod common;
mod config_errors;
mod data_path;
mod energy;
mod gpu_check;
mod interop;
mod learning;
mod resume;
mod smoke;
mod sparsity;
mod sweep;
mod validation;
