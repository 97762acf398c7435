//! NIR nodes and graphs in memory.
//!
//! A [`Graph`] holds named [`Node`]s and directed edges `(source, target)`. The node kinds are
//! those of NIR 1.0 that describe feed-forward classifiers ([`Node::Unsupported`] keeps the type
//! name of any other, so a reader can say what it met). [`Graph::chain`] orders a feed-forward
//! graph from its `Input` to its `Output` and refuses branches, loops and nested graphs.

use crate::NirError;

/// Floating-point precision a numeric array is stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F64,
}

/// A numeric array: row-major values (held as `f64`, exact for `f32` data) and its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    pub dtype: Dtype,
}

impl Array {
    /// An array of `f32` values of `shape` (their count must match the shape).
    pub fn f32(shape: &[usize], values: &[f32]) -> Self {
        let values = values.iter().map(|&v| v as f64).collect();
        Self {
            dtype: Dtype::F32,
            ..Self::f64(shape, values)
        }
    }

    /// An array of `f64` values of `shape`.
    pub fn f64(shape: &[usize], values: Vec<f64>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            values.len(),
            "shape vs values"
        );
        Self {
            shape: shape.to_vec(),
            values,
            dtype: Dtype::F64,
        }
    }

    /// `n` copies of `value` (`f64`), shape `[n]`.
    pub fn filled(n: usize, value: f64) -> Self {
        Self::f64(&[n], vec![value; n])
    }

    /// The values as `f32`.
    pub fn to_f32(&self) -> Vec<f32> {
        self.values.iter().map(|&v| v as f32).collect()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One NIR node (dataset names as in NIR's Python dataclasses).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Graph input; `shape` excludes the batch dimension.
    Input { shape: Vec<i64> },
    /// Graph output.
    Output { shape: Vec<i64> },
    /// `y = W·x + b`, `weight` `(out, in)`.
    Affine { weight: Array, bias: Array },
    /// `y = W·x`.
    Linear { weight: Array },
    /// Leaky integrate-and-fire (see the crate docs); every parameter has the layer's shape.
    Lif {
        tau: Array,
        r: Array,
        v_leak: Array,
        v_threshold: Array,
        v_reset: Array,
    },
    /// Leaky integrator (no spikes).
    Li { tau: Array, r: Array, v_leak: Array },
    /// Integrate-and-fire (no leak).
    If {
        r: Array,
        v_threshold: Array,
        v_reset: Array,
    },
    /// 2-D convolution; `weight` `(C_out, C_in / groups, kH, kW)`, `input_shape` `(H, W)`.
    Conv2d {
        input_shape: Option<[i64; 2]>,
        weight: Array,
        bias: Array,
        stride: [i64; 2],
        padding: [i64; 2],
        dilation: [i64; 2],
        groups: i64,
    },
    /// Sum over each pooling window.
    SumPool2d {
        kernel_size: [i64; 2],
        stride: [i64; 2],
        padding: [i64; 2],
    },
    /// Mean over each pooling window.
    AvgPool2d {
        kernel_size: [i64; 2],
        stride: [i64; 2],
        padding: [i64; 2],
    },
    /// Dimensions `start_dim..=end_dim` of the un-batched input (shape `input_type`) as one.
    Flatten {
        start_dim: i64,
        end_dim: i64,
        input_type: Option<Vec<i64>>,
    },
    /// A node kind this crate does not model (its NIR type name).
    Unsupported { type_name: String },
}

impl Node {
    /// The NIR type name (`/node/nodes/<name>/type`).
    pub fn type_name(&self) -> &str {
        match self {
            Node::Input { .. } => "Input",
            Node::Output { .. } => "Output",
            Node::Affine { .. } => "Affine",
            Node::Linear { .. } => "Linear",
            Node::Lif { .. } => "LIF",
            Node::Li { .. } => "LI",
            Node::If { .. } => "IF",
            Node::Conv2d { .. } => "Conv2d",
            Node::SumPool2d { .. } => "SumPool2d",
            Node::AvgPool2d { .. } => "AvgPool2d",
            Node::Flatten { .. } => "Flatten",
            Node::Unsupported { type_name } => type_name,
        }
    }
}

/// A NIR graph: named nodes, edges between them, and string metadata (`/node/metadata`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub nodes: Vec<(String, Node)>,
    pub edges: Vec<(String, String)>,
    pub metadata: Vec<(String, String)>,
}

impl Graph {
    /// Appends `node` named `name`, with an edge from the previously added node (if any).
    pub fn push(&mut self, name: impl Into<String>, node: Node) {
        let name = name.into();
        if let Some((last, _)) = self.nodes.last() {
            self.edges.push((last.clone(), name.clone()));
        }
        self.nodes.push((name, node));
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node)
    }

    /// A metadata value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The nodes from the single `Input` to the single `Output` along the edges, when the graph
    /// is one chain (each node one successor and one predecessor, every node on the path).
    pub fn chain(&self) -> Result<Vec<(&str, &Node)>, NirError> {
        let of_kind = |kind: &str| -> Vec<&str> {
            self.nodes
                .iter()
                .filter(|(_, n)| n.type_name() == kind)
                .map(|(name, _)| name.as_str())
                .collect()
        };
        let inputs = of_kind("Input");
        let [input] = inputs[..] else {
            return Err(NirError::Graph(format!(
                "expected one Input node, found {}",
                inputs.len()
            )));
        };
        for (src, dst) in &self.edges {
            for end in [src, dst] {
                if self.node(end).is_none() {
                    return Err(NirError::Graph(format!(
                        "edge {src} → {dst} names a node `{end}` the graph does not have"
                    )));
                }
            }
        }
        let mut order = vec![input];
        let mut current = input;
        loop {
            let next: Vec<&str> = self
                .edges
                .iter()
                .filter(|(src, _)| src == current)
                .map(|(_, dst)| dst.as_str())
                .collect();
            match next[..] {
                [] => break,
                [one] => {
                    if order.contains(&one) {
                        return Err(NirError::Graph(format!(
                            "the edges loop back to `{one}` (recurrent graphs are not supported)"
                        )));
                    }
                    order.push(one);
                    current = one;
                }
                _ => {
                    return Err(NirError::Graph(format!(
                        "node `{current}` feeds {} nodes ({}); only chains of layers are supported",
                        next.len(),
                        next.join(", ")
                    )));
                }
            }
        }
        let last = self.node(current).expect("checked above");
        if !matches!(last, Node::Output { .. }) {
            return Err(NirError::Graph(format!(
                "the chain from `{input}` ends at `{current}` ({}), not at an Output node",
                last.type_name()
            )));
        }
        if order.len() != self.nodes.len() || self.edges.len() + 1 != order.len() {
            let off: Vec<&str> = self
                .nodes
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !order.contains(n))
                .collect();
            return Err(NirError::Graph(format!(
                "not a single chain of layers: {} node(s) off the Input → Output path ({}) or \
                 extra edges",
                off.len(),
                off.join(", ")
            )));
        }
        Ok(order
            .into_iter()
            .map(|name| (name, self.node(name).expect("checked")))
            .collect())
    }
}
