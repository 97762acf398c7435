//! What the machine does with the code: full training and inference steps of a config timed
//! ([`step`], `snn-train bench`), the Open Neuromorphic benchmark layer timed ([`layer`],
//! `snn-train bench-layer`), and the conformance checks of a backend with the LIF scan timed
//! ([`self_test`], `snn-train self-test`).

pub mod layer;
pub mod self_test;
pub mod step;
