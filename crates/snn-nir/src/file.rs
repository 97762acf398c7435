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
    scalar_string(group, "type", node.type_name())?;
    match node {
        Node::Input { shape } | Node::Output { shape } => ints(group, "shape", shape),
        Node::Affine { weight, bias } => {
            array(group, "weight", weight);
            array(group, "bias", bias);
        }
        Node::Linear { weight } => array(group, "weight", weight),
        Node::Lif {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } => {
            for (name, a) in [
                ("tau", tau),
                ("r", r),
                ("v_leak", v_leak),
                ("v_threshold", v_threshold),
                ("v_reset", v_reset),
            ] {
                array(group, name, a);
            }
        }
        Node::Li { tau, r, v_leak } => {
            for (name, a) in [("tau", tau), ("r", r), ("v_leak", v_leak)] {
                array(group, name, a);
            }
        }
        Node::If {
            r,
            v_threshold,
            v_reset,
        } => {
            for (name, a) in [("r", r), ("v_threshold", v_threshold), ("v_reset", v_reset)] {
                array(group, name, a);
            }
        }
        Node::Conv2d {
            input_shape,
            weight,
            bias,
            stride,
            padding,
            dilation,
            groups,
        } => {
            if let Some(hw) = input_shape {
                ints(group, "input_shape", hw);
            }
            array(group, "weight", weight);
            array(group, "bias", bias);
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
        Node::Unsupported { type_name } => {
            return Err(NirError::Graph(format!(
                "cannot write a node of unsupported type {type_name}"
            )));
        }
    }
    Ok(())
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
        "LIF" => {
            let v_threshold = r.array("v_threshold")?;
            Node::Lif {
                tau: r.array("tau")?,
                r: r.array("r")?,
                v_leak: r.array("v_leak")?,
                v_reset: r.v_reset(&v_threshold)?,
                v_threshold,
            }
        }
        "LI" => Node::Li {
            tau: r.array("tau")?,
            r: r.array("r")?,
            v_leak: r.array("v_leak")?,
        },
        "IF" => {
            let v_threshold = r.array("v_threshold")?;
            Node::If {
                r: r.array("r")?,
                v_reset: r.v_reset(&v_threshold)?,
                v_threshold,
            }
        }
        "Conv2d" => Node::Conv2d {
            input_shape: if r.has("input_shape") {
                Some(r.pair("input_shape")?)
            } else {
                None
            },
            weight: r.array("weight")?,
            bias: r.array("bias")?,
            stride: r.pair("stride")?,
            padding: r.pair("padding").map_err(|_| {
                NirError::node(
                    name,
                    "`padding` must be two integers (\"same\"/\"valid\" are not supported)",
                )
            })?,
            dilation: r.pair("dilation")?,
            groups: r.int("groups")?,
        },
        "SumPool2d" | "AvgPool2d" => {
            let (kernel_size, stride, padding) = (
                r.pair("kernel_size")?,
                r.pair("stride")?,
                r.pair("padding")?,
            );
            if kind == "SumPool2d" {
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
            }
        }
        "Flatten" => Node::Flatten {
            start_dim: r.int("start_dim")?,
            end_dim: r.int("end_dim")?,
            input_type: if r.has("input_type") {
                Some(r.ints("input_type")?)
            } else {
                None
            },
        },
        _ => Node::Unsupported { type_name: kind },
    })
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
