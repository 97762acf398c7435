//! The integration tests of `tfevents`, one binary: our own reader, and TensorBoard's.

mod python_check;
mod roundtrip;
