//! snn-nir's tests: our files read back and pass Python's `nir.read` (type checks on); files
//! written by other libraries (Norse's, and Python `nir.write`'s h5py output) read correctly.
//!
//! Needs a Python with `nir` (scripts/requirements.txt): `$SNN_PYTHON`, set by scripts/test.sh.

use std::path::Path;
use std::process::Command;

use snn_nir::graph::Dtype;
use snn_nir::{Array, Graph, Node, from_bytes, to_bytes};

fn python() -> String {
    let python = std::env::var("SNN_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python).args(["-c", "import nir"]).output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "{python} cannot import nir: run the tests through scripts/test.sh, or set SNN_PYTHON to a \
         Python with `pip install -r scripts/requirements.txt`"
    );
    python
}

fn run_python(script: &str, args: &[&Path]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ramp(n: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|i| (i as f32 - n as f32 / 2.0) * scale)
        .collect()
}

fn lif(n: usize) -> Node {
    Node::Lif {
        tau: Array::filled(n, 1e-3 / 0.1),
        r: Array::filled(n, 10.0),
        v_leak: Array::filled(n, 0.0),
        v_threshold: Array::filled(n, 1.0),
        v_reset: Array::filled(n, 0.0),
    }
}

/// Input 4 → Affine 3 → LIF → Affine 2 → LI → Output.
fn fc_graph() -> Graph {
    let mut g = Graph::default();
    g.push("input", Node::Input { shape: vec![4] });
    g.push(
        "fc0",
        Node::Affine {
            weight: Array::f32(&[3, 4], &ramp(12, 0.25)),
            bias: Array::f32(&[3], &[0.5, -0.5, 0.0]),
        },
    );
    g.push("lif0", lif(3));
    g.push(
        "fc1",
        Node::Linear {
            weight: Array::f32(&[2, 3], &ramp(6, 1.0)),
        },
    );
    g.push(
        "readout",
        Node::Li {
            tau: Array::filled(2, 0.02),
            r: Array::filled(2, 20.0),
            v_leak: Array::filled(2, 0.0),
        },
    );
    g.push("output", Node::Output { shape: vec![2] });
    g.metadata.push(("dt".into(), "0.001".into()));
    g
}

/// Input (1, 6, 6) → Conv2d 2×3×3 pad 1 → LIF → AvgPool 2 → Flatten → Affine 3 → Output.
fn conv_graph() -> Graph {
    let mut g = Graph::default();
    g.push(
        "input",
        Node::Input {
            shape: vec![1, 6, 6],
        },
    );
    g.push(
        "conv0",
        Node::Conv2d {
            input_shape: Some([6, 6]),
            weight: Array::f32(&[2, 1, 3, 3], &ramp(18, 0.1)),
            bias: Array::f32(&[2], &[0.1, 0.2]),
            stride: [1, 1],
            padding: [1, 1],
            dilation: [1, 1],
            groups: 1,
        },
    );
    g.push("lif0", lif(2 * 6 * 6));
    if let Some((_, Node::Lif { tau, .. })) = g.nodes.last_mut() {
        tau.shape = vec![2, 6, 6];
    }
    for (_, node) in g.nodes.iter_mut() {
        if let Node::Lif {
            r,
            v_leak,
            v_threshold,
            v_reset,
            ..
        } = node
        {
            for a in [r, v_leak, v_threshold, v_reset] {
                a.shape = vec![2, 6, 6];
            }
        }
    }
    g.push(
        "pool0",
        Node::AvgPool2d {
            kernel_size: [2, 2],
            stride: [2, 2],
            padding: [0, 0],
        },
    );
    g.push(
        "flatten",
        Node::Flatten {
            start_dim: 0,
            end_dim: -1,
            input_type: Some(vec![2, 3, 3]),
        },
    );
    g.push(
        "fc",
        Node::Affine {
            weight: Array::f32(&[3, 18], &ramp(54, 0.01)),
            bias: Array::f32(&[3], &[0.0; 3]),
        },
    );
    g.push("output", Node::Output { shape: vec![3] });
    g
}

fn sorted(mut g: Graph) -> Graph {
    g.nodes.sort_by(|a, b| a.0.cmp(&b.0));
    g
}

#[test]
fn graphs_read_back_as_written() {
    for graph in [fc_graph(), conv_graph()] {
        let back = from_bytes(to_bytes(&graph).unwrap()).unwrap();
        assert_eq!(sorted(back.clone()), sorted(graph.clone()));
        let names: Vec<&str> = back.chain().unwrap().iter().map(|(n, _)| *n).collect();
        let written: Vec<&str> = graph.nodes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, written);
    }
}

#[test]
fn python_nir_reads_our_files_with_type_checks() {
    let dir = tempfile::tempdir().unwrap();
    let fc = dir.path().join("fc.nir");
    let conv = dir.path().join("conv.nir");
    std::fs::write(&fc, to_bytes(&fc_graph()).unwrap()).unwrap();
    std::fs::write(&conv, to_bytes(&conv_graph()).unwrap()).unwrap();
    let out = run_python(
        r#"
import sys, nir, numpy as np
for path in sys.argv[1:]:
    g = nir.read(path)  # type_check=True: every edge's shapes must agree
    kinds = {k: type(n).__name__ for k, n in g.nodes.items()}
    print(sorted(kinds.items()), sorted(g.edges))
    for name in sorted(g.nodes):
        w = getattr(g.nodes[name], "weight", None)
        if w is not None:
            # Every element in C order, as numpy reads the file: shape and layout both count.
            print("weight", name, ",".join(map(str, w.shape)), " ".join(repr(float(v)) for v in w.ravel()))
"#,
        &[&fc, &conv],
    );
    let (lines, weights): (Vec<&str>, Vec<&str>) =
        out.lines().partition(|l| !l.starts_with("weight "));
    assert_eq!(lines.len(), 2, "{out}");
    let expected = [
        ("fc0", vec![3, 4], ramp(12, 0.25)),
        ("fc1", vec![2, 3], ramp(6, 1.0)),
        ("conv0", vec![2, 1, 3, 3], ramp(18, 0.1)),
        ("fc", vec![3, 18], ramp(54, 0.01)),
    ];
    assert_eq!(weights.len(), expected.len(), "{out}");
    for (line, (name, shape, values)) in weights.iter().zip(&expected) {
        let fields: Vec<&str> = line.splitn(4, ' ').collect();
        assert_eq!(fields[1], *name, "{line}");
        let read_shape: Vec<usize> = fields[2].split(',').map(|d| d.parse().unwrap()).collect();
        assert_eq!(&read_shape, shape, "{name}");
        let read: Vec<f32> = fields[3]
            .split(' ')
            .map(|v| v.parse::<f64>().unwrap() as f32)
            .collect();
        assert_eq!(&read, values, "{name}: the elements in C order");
    }
    assert!(
        lines[0].starts_with(
            "[('fc0', 'Affine'), ('fc1', 'Linear'), ('input', 'Input'), ('lif0', 'LIF'), \
             ('output', 'Output'), ('readout', 'LI')]"
        ),
        "{out}"
    );
    assert!(
        lines[1].contains("('conv0', 'Conv2d')")
            && lines[1].contains("('pool0', 'AvgPool2d')")
            && lines[1].contains("('flatten', 'Flatten')"),
        "{out}"
    );
    assert!(lines[1].contains("('lif0', 'pool0')"), "{out}");
}

#[test]
fn reads_a_file_written_by_norse() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lif_norse.nir");
    let graph = from_bytes(std::fs::read(path).unwrap()).unwrap();
    let chain = graph.chain().unwrap();
    let kinds: Vec<&str> = chain.iter().map(|(_, n)| n.type_name()).collect();
    assert_eq!(kinds, ["Input", "Affine", "LIF", "Output"]);
    let Node::Lif {
        tau,
        r,
        v_threshold,
        v_reset,
        ..
    } = chain[2].1
    else {
        unreachable!()
    };
    assert_eq!(tau.dtype, Dtype::F32);
    assert_eq!(tau.to_f32(), [0.0025]);
    assert_eq!(r.to_f32(), [1.0]);
    assert_eq!(v_threshold.to_f32(), [0.1]);
    assert_eq!(v_reset.to_f32(), [0.0], "absent v_reset reads as 0");
    let Node::Affine { weight, .. } = chain[1].1 else {
        unreachable!()
    };
    assert_eq!(
        (weight.shape.as_slice(), weight.to_f32()),
        (&[1, 1][..], vec![1.0])
    );
}

#[test]
fn reads_what_python_nir_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.nir");
    run_python(
        r#"
import sys, nir, numpy as np
w = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
g = nir.NIRGraph.from_list(
    nir.Input(input_type=np.array([4])),
    nir.Affine(weight=w, bias=np.array([1, 2, 3], dtype=np.float32)),
    nir.LIF(tau=np.full(3, 0.01), r=np.full(3, 2.0), v_leak=np.zeros(3),
            v_threshold=np.full(3, 0.5), v_reset=np.zeros(3)),
    nir.Output(output_type=np.array([3])),
)
nir.write(sys.argv[1], g)
"#,
        &[&path],
    );
    let graph = from_bytes(std::fs::read(&path).unwrap()).unwrap();
    let chain = graph.chain().unwrap();
    let kinds: Vec<&str> = chain.iter().map(|(_, n)| n.type_name()).collect();
    assert_eq!(kinds, ["Input", "Affine", "LIF", "Output"]);
    let Node::Affine { weight, bias } = chain[1].1 else {
        unreachable!()
    };
    assert_eq!(weight.shape, [3, 4]);
    assert_eq!(weight.to_f32()[5], 5.0 / 8.0);
    assert_eq!(bias.to_f32(), [1.0, 2.0, 3.0]);
    let Node::Lif { tau, r, .. } = chain[2].1 else {
        unreachable!()
    };
    assert_eq!(
        (tau.dtype, tau.values[0], r.values[2]),
        (Dtype::F64, 0.01, 2.0)
    );
}

#[test]
fn branching_and_unknown_graphs_are_refused_with_the_node_named() {
    let mut g = fc_graph();
    g.edges.push(("fc0".into(), "output".into()));
    let err = g.chain().unwrap_err().to_string();
    assert!(err.contains("node `fc0` feeds 2 nodes"), "{err}");
    let err = from_bytes(b"not hdf5 at all".to_vec())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("not a NIR file"), "{err}");
}
