//! The integration tests of `snn-model`, one binary: every numeric test runs on flex, ndarray and
//! wgpu (or on `SNN_TEST_BACKENDS`); tests named `..._on_cpu` run on flex and ndarray always.

mod common;
mod encoder;
mod layers;
mod lif;
mod network;
mod overfit;
mod projection;
mod spike_op;
