//! NIR, the Neuromorphic Intermediate Representation (PyPI `nir` 1.0): a network as a graph of
//! nodes with continuous-time neuron models, the format snnTorch, SpikingJelly, Norse, Sinabs,
//! Rockpool, Lava and neuromorphic chips exchange networks in.
//!
//! - [`graph`]: the node kinds we write and read ([`Node`]), a [`Graph`] of named nodes and
//!   edges, and [`Graph::chain`], the nodes of a feed-forward graph in order.
//! - [`file`]: the HDF5 layout of `nir.write` / `nir.read` ([`to_bytes`], [`from_bytes`]).
//!
//! Neuron equations (NIR's, continuous time; exporters discretise with Euler steps of `dt`):
//!
//! ```text
//! LIF  τ·dv/dt = (v_leak − v) + r·I;  spike when v > v_threshold, then v = v_reset
//! LI   τ·dv/dt = (v_leak − v) + r·I
//! IF     dv/dt = r·I;                 spike when v > v_threshold, then v = v_reset
//! ```
//!
//! Shapes exclude the batch dimension; `Affine.weight` is `(out, in)`, `Conv2d.weight`
//! `(C_out, C_in / groups, kH, kW)`.

pub mod file;
pub mod graph;

pub use file::{from_bytes, to_bytes};
pub use graph::{Array, Graph, Node};

/// Errors of this crate; each names the node or dataset concerned.
#[derive(Debug, thiserror::Error)]
pub enum NirError {
    #[error("not a NIR file: {0}")]
    Hdf5(String),
    #[error("NIR node `{node}`: {message}")]
    Node { node: String, message: String },
    #[error("NIR graph: {0}")]
    Graph(String),
}

impl NirError {
    pub(crate) fn node(node: &str, message: impl Into<String>) -> Self {
        NirError::Node {
            node: node.to_string(),
            message: message.into(),
        }
    }
}
