//! A finished run evaluated ([`eval`]: accuracy, loss, per-class accuracy, confusion matrix),
//! used ([`predict`]: one image), drawn ([`plot`]) and measured ([`report`]: firing rates,
//! synaptic operations and their energy against the same network as an ANN, [`energy`]).

pub mod energy;
pub mod eval;
pub mod plot;
pub mod predict;
pub mod report;
