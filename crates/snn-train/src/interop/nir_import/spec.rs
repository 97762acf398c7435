//! What lowering a NIR chain produces and building a network consumes: our layers with the
//! weights they hold (NIR's `(out, in)` layout) and the readout.

use snn_model::{ReadoutConfig, Reset};

/// A weight layer with NIR's `(out, in)` weights (conv: `(C_out, C_in, k, k)`).
#[derive(Debug, Clone)]
pub struct Weights {
    pub node: String,
    pub values: Vec<f32>,
    pub bias: Vec<f32>,
    /// Outputs (rows, or channels).
    pub outputs: usize,
}

/// One of our layers, with what it holds.
#[derive(Debug, Clone)]
pub enum Spec {
    /// Weights and their inputs.
    Linear(Weights, usize),
    /// Weights, `(C_out, C_in, k, k)`, stride, padding.
    Conv(Weights, [usize; 4], usize, usize),
    /// Kernel, stride.
    AvgPool(usize, usize),
    Flatten,
    Lif {
        node: String,
        beta: Vec<f32>,
        threshold: f32,
        reset: Reset,
    },
}

/// A spike-count readout's neurons: β per class, threshold, reset.
pub type OutputLif = (Vec<f32>, f32, Reset);

/// The readout: its kind, its neurons (spike count), the weights before it and the node's name
/// and size.
pub struct ReadoutSpec {
    pub config: ReadoutConfig,
    pub lif: Option<OutputLif>,
    pub weights: Weights,
    pub inputs: usize,
    pub neurons: (String, usize),
}

/// The layers and the readout of a chain's body.
pub struct Lowered {
    pub specs: Vec<Spec>,
    pub readout: ReadoutSpec,
}
