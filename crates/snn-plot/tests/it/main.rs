//! The integration tests of `snn-plot`, one binary: every figure is written, readable and shows
//! what it was drawn from.

mod common;
mod figures;
mod spikes;
