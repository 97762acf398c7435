//! The HDF5 layout of a NIR file, as Python's `nir.write` makes it and `nir.read` expects it:
//!
//! ```text
//! /version                        string (the NIR format version written: 1.0.8)
//! /node/type                      "NIRGraph"
//! /node/edges                     (E, 2) strings: source, target
//! /node/nodes/<name>/type         "Input" | "Affine" | "LIF" | …
//! /node/nodes/<name>/<parameter>  numeric datasets (see [`Node`] for the names)
//! /node/metadata/<key>            optional strings
//! ```
//!
//! Everything is a dataset (no attributes). We write fixed-length strings and uncompressed
//! data; we read what h5py writes too (variable-length strings, gzip-compressed chunks).
//! `Input`/`Output` store `shape`; a missing `v_reset` reads as zeros (as in `nir.read`).

use hdf5_pure::{DType, Dataset, File, FileBuilder, GroupBuilder};

use crate::NirError;
use crate::graph::{Array, Dtype, Graph, Node};

/// NIR format version written to `/version`.
pub const NIR_VERSION: &str = "1.0.8";

fn hdf5(e: impl std::fmt::Display) -> NirError {
    NirError::Hdf5(e.to_string())
}

fn scalar_string(group: &mut GroupBuilder, name: &str, value: &str) -> Result<(), NirError> {
    group
        .create_dataset(name)
        .with_strings(&[value])
        .map_err(hdf5)?
        .with_shape(&[]);
    Ok(())
}

fn array(group: &mut GroupBuilder, name: &str, a: &Array) {
    let shape: Vec<u64> = a.shape.iter().map(|&d| d as u64).collect();
    let ds = group.create_dataset(name);
    match a.dtype {
        Dtype::F32 => ds.with_f32_data(&a.to_f32()),
        Dtype::F64 => ds.with_f64_data(&a.values),
    }
    .with_shape(&shape);
}

fn ints(group: &mut GroupBuilder, name: &str, values: &[i64]) {
    group.create_dataset(name).with_i64_data(values);
}

fn int(group: &mut GroupBuilder, name: &str, value: i64) {
    group
        .create_dataset(name)
        .with_i64_data(&[value])
        .with_shape(&[]);
}

fn write_node(group: &mut GroupBuilder, node: &Node) -> Result<(), NirError> {
    if let Node::Unsupported { type_name } = node {
        return Err(NirError::Graph(format!(
            "cannot write a node of unsupported type {type_name}"
        )));
    }
    scalar_string(group, "type", node.type_name())?;
    for (name, a) in parameters(node) {
        array(group, name, a);
    }
    write_integers(group, node);
    Ok(())
}

/// The parameter arrays of a node, by their NIR names.
fn parameters(node: &Node) -> Vec<(&'static str, &Array)> {
    match node {
        Node::Affine { weight, bias } | Node::Conv2d { weight, bias, .. } => {
            vec![("weight", weight), ("bias", bias)]
        }
        Node::Linear { weight } => vec![("weight", weight)],
        Node::Lif {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } => vec![
            ("tau", tau),
            ("r", r),
            ("v_leak", v_leak),
            ("v_threshold", v_threshold),
            ("v_reset", v_reset),
        ],
        Node::Li { tau, r, v_leak } => vec![("tau", tau), ("r", r), ("v_leak", v_leak)],
        Node::If {
            r,
            v_threshold,
            v_reset,
        } => vec![("r", r), ("v_threshold", v_threshold), ("v_reset", v_reset)],
        _ => Vec::new(),
    }
}

/// The integer fields of a node: shapes, strides, paddings, dimensions.
fn write_integers(group: &mut GroupBuilder, node: &Node) {
    match node {
        Node::Input { shape } | Node::Output { shape } => ints(group, "shape", shape),
        Node::Conv2d {
            input_shape,
            stride,
            padding,
            dilation,
            groups,
            ..
        } => {
            if let Some(hw) = input_shape {
                ints(group, "input_shape", hw);
            }
            ints(group, "stride", stride);
            ints(group, "padding", padding);
            ints(group, "dilation", dilation);
            int(group, "groups", *groups);
        }
        Node::SumPool2d {
            kernel_size,
            stride,
            padding,
        }
        | Node::AvgPool2d {
            kernel_size,
            stride,
            padding,
        } => {
            ints(group, "kernel_size", kernel_size);
            ints(group, "stride", stride);
            ints(group, "padding", padding);
        }
        Node::Flatten {
            start_dim,
            end_dim,
            input_type,
        } => {
            int(group, "start_dim", *start_dim);
            int(group, "end_dim", *end_dim);
            if let Some(shape) = input_type {
                ints(group, "input_type", shape);
            }
        }
        _ => {}
    }
}

/// The bytes of a NIR file holding `graph`.
pub fn to_bytes(graph: &Graph) -> Result<Vec<u8>, NirError> {
    let mut file = FileBuilder::new();
    file.create_dataset("version")
        .with_strings(&[NIR_VERSION])
        .map_err(hdf5)?
        .with_shape(&[]);
    let mut root = file.create_group("node");
    scalar_string(&mut root, "type", "NIRGraph")?;
    let flat: Vec<&str> = graph
        .edges
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    root.create_dataset("edges")
        .with_strings_sized(
            &flat,
            flat.iter()
                .map(|s| s.len() as u32)
                .max()
                .unwrap_or(1)
                .max(1),
        )
        .map_err(hdf5)?
        .with_shape(&[graph.edges.len() as u64, 2]);
    let mut nodes = root.create_group("nodes");
    for (name, node) in &graph.nodes {
        let mut group = nodes.create_group(name);
        write_node(&mut group, node).map_err(|e| match e {
            NirError::Hdf5(m) => NirError::node(name, m),
            other => other,
        })?;
        nodes.add_group(group.finish());
    }
    root.add_group(nodes.finish());
    if !graph.metadata.is_empty() {
        let mut meta = root.create_group("metadata");
        for (key, value) in &graph.metadata {
            scalar_string(&mut meta, key, value)?;
        }
        root.add_group(meta.finish());
    }
    file.add_group(root.finish());
    file.finish().map_err(hdf5)
}

/// Reads a dataset of a node, naming node and dataset in errors.
struct NodeReader<'a> {
    file: &'a File,
    path: String,
    name: &'a str,
}

impl NodeReader<'_> {
    fn dataset(&self, key: &str) -> Result<Dataset, NirError> {
        self.file
            .dataset(&format!("{}/{key}", self.path))
            .map_err(|e| NirError::node(self.name, format!("missing dataset `{key}` ({e})")))
    }

    fn has(&self, key: &str) -> bool {
        self.file.dataset(&format!("{}/{key}", self.path)).is_ok()
    }

    fn array(&self, key: &str) -> Result<Array, NirError> {
        let ds = self.dataset(key)?;
        let err = |e: hdf5_pure::Error| NirError::node(self.name, format!("`{key}`: {e}"));
        let shape: Vec<usize> = ds
            .shape()
            .map_err(err)?
            .iter()
            .map(|&d| d as usize)
            .collect();
        let dtype = match ds.dtype().map_err(err)? {
            DType::F32 => Dtype::F32,
            _ => Dtype::F64,
        };
        let values = ds.read_f64().map_err(err)?;
        let elements = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if elements != Some(values.len()) {
            return Err(NirError::node(
                self.name,
                format!("`{key}` has {} values for shape {shape:?}", values.len()),
            ));
        }
        Ok(Array {
            shape,
            values,
            dtype,
        })
    }

    fn ints(&self, key: &str) -> Result<Vec<i64>, NirError> {
        self.dataset(key)?
            .read_i64()
            .map_err(|e| NirError::node(self.name, format!("`{key}`: {e}")))
    }

    fn pair(&self, key: &str) -> Result<[i64; 2], NirError> {
        match self.ints(key)?[..] {
            [a, b] => Ok([a, b]),
            [a] => Ok([a, a]),
            ref other => Err(NirError::node(
                self.name,
                format!("`{key}` should hold 2 integers, not {other:?}"),
            )),
        }
    }

    fn int(&self, key: &str) -> Result<i64, NirError> {
        match self.ints(key)?[..] {
            [a] => Ok(a),
            ref other => Err(NirError::node(
                self.name,
                format!("`{key}` should be one integer, not {other:?}"),
            )),
        }
    }

    fn string(&self, key: &str) -> Result<String, NirError> {
        read_scalar_string(&self.dataset(key)?)
            .map_err(|e| NirError::node(self.name, format!("`{key}`: {e}")))
    }

    /// `v_reset`, or zeros shaped like `like` when absent (as `nir.read` does).
    fn v_reset(&self, like: &Array) -> Result<Array, NirError> {
        if self.has("v_reset") {
            self.array("v_reset")
        } else {
            Ok(Array {
                shape: like.shape.clone(),
                values: vec![0.0; like.len()],
                dtype: like.dtype,
            })
        }
    }
}

fn read_scalar_string(ds: &Dataset) -> Result<String, NirError> {
    let strings = ds.read_string().map_err(hdf5)?;
    match &strings[..] {
        [one] => Ok(one.trim_end_matches('\0').to_string()),
        other => Err(NirError::Hdf5(format!(
            "expected one string, found {}",
            other.len()
        ))),
    }
}

fn read_node(file: &File, path: String, name: &str) -> Result<Node, NirError> {
    let r = NodeReader { file, path, name };
    let kind = r.string("type")?;
    Ok(match kind.as_str() {
        "Input" => Node::Input {
            shape: r.ints("shape")?,
        },
        "Output" => Node::Output {
            shape: r.ints("shape")?,
        },
        "Affine" => Node::Affine {
            weight: r.array("weight")?,
            bias: r.array("bias")?,
        },
        "Linear" => Node::Linear {
            weight: r.array("weight")?,
        },
        "LIF" | "LI" | "IF" => r.neuron(&kind)?,
        "Conv2d" => r.conv2d()?,
        "SumPool2d" | "AvgPool2d" => r.pool(&kind)?,
        "Flatten" => Node::Flatten {
            start_dim: r.int("start_dim")?,
            end_dim: r.int("end_dim")?,
            input_type: r.optional(|r| r.ints("input_type"), "input_type")?,
        },
        _ => Node::Unsupported { type_name: kind },
    })
}

/// The node kinds with more than a few fields, read by name.
impl NodeReader<'_> {
    /// `key` read by `read` when the node has it.
    fn optional<T>(
        &self,
        read: impl Fn(&Self) -> Result<T, NirError>,
        key: &str,
    ) -> Result<Option<T>, NirError> {
        self.has(key).then(|| read(self)).transpose()
    }

    /// A `LIF`, `LI` or `IF` node (`v_reset` defaults to zeros shaped like `v_threshold`).
    fn neuron(&self, kind: &str) -> Result<Node, NirError> {
        if kind == "LI" {
            return Ok(Node::Li {
                tau: self.array("tau")?,
                r: self.array("r")?,
                v_leak: self.array("v_leak")?,
            });
        }
        let v_threshold = self.array("v_threshold")?;
        let v_reset = self.v_reset(&v_threshold)?;
        let r = self.array("r")?;
        Ok(if kind == "IF" {
            Node::If {
                r,
                v_threshold,
                v_reset,
            }
        } else {
            Node::Lif {
                tau: self.array("tau")?,
                r,
                v_leak: self.array("v_leak")?,
                v_threshold,
                v_reset,
            }
        })
    }

    fn conv2d(&self) -> Result<Node, NirError> {
        let padding = self.pair("padding").map_err(|_| {
            NirError::node(
                self.name,
                "`padding` must be two integers (\"same\"/\"valid\" are not supported)",
            )
        })?;
        Ok(Node::Conv2d {
            input_shape: self.optional(|r| r.pair("input_shape"), "input_shape")?,
            weight: self.array("weight")?,
            bias: self.array("bias")?,
            stride: self.pair("stride")?,
            padding,
            dilation: self.pair("dilation")?,
            groups: self.int("groups")?,
        })
    }

    /// A `SumPool2d` or `AvgPool2d` node.
    fn pool(&self, kind: &str) -> Result<Node, NirError> {
        let (kernel_size, stride, padding) = (
            self.pair("kernel_size")?,
            self.pair("stride")?,
            self.pair("padding")?,
        );
        Ok(if kind == "SumPool2d" {
            Node::SumPool2d {
                kernel_size,
                stride,
                padding,
            }
        } else {
            Node::AvgPool2d {
                kernel_size,
                stride,
                padding,
            }
        })
    }
}

/// Parses the bytes of a NIR file.
pub fn from_bytes(bytes: Vec<u8>) -> Result<Graph, NirError> {
    let file = File::from_bytes(bytes).map_err(hdf5)?;
    let kind = file
        .dataset("node/type")
        .map_err(|e| NirError::Hdf5(format!("no /node/type dataset ({e})")))?;
    let kind = read_scalar_string(&kind)?;
    if kind != "NIRGraph" {
        return Err(NirError::Graph(format!(
            "the top node is a {kind}, not a NIRGraph"
        )));
    }
    let flat = file
        .dataset("node/edges")
        .and_then(|d| d.read_string())
        .map_err(|e| NirError::Graph(format!("cannot read /node/edges: {e}")))?;
    if flat.len() % 2 != 0 {
        return Err(NirError::Graph(format!(
            "/node/edges holds {} names, not pairs",
            flat.len()
        )));
    }
    let edges = flat
        .chunks(2)
        .map(|p| {
            (
                p[0].trim_end_matches('\0').to_string(),
                p[1].trim_end_matches('\0').to_string(),
            )
        })
        .collect();
    let names = file
        .group("node/nodes")
        .and_then(|g| g.groups())
        .map_err(|e| NirError::Graph(format!("cannot list /node/nodes: {e}")))?;
    let mut nodes = Vec::with_capacity(names.len());
    for name in names {
        let node = read_node(&file, format!("node/nodes/{name}"), &name)?;
        nodes.push((name, node));
    }
    let mut metadata = Vec::new();
    if let Ok(group) = file.group("node/metadata") {
        for key in group.datasets().map_err(hdf5)? {
            let ds = file
                .dataset(&format!("node/metadata/{key}"))
                .map_err(hdf5)?;
            let value = match ds.dtype().map_err(hdf5)? {
                DType::String | DType::VariableLengthString => read_scalar_string(&ds)?,
                _ => ds
                    .read_f64()
                    .map_err(hdf5)?
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            };
            metadata.push((key, value));
        }
    }
    Ok(Graph {
        nodes,
        edges,
        metadata,
    })
}
