//! NIR and safetensors: exports pass the reference readers (Python `nir.read` with type checks,
//! `safetensors`), export → import gives the same spikes, a file written by another library
//! imports and classifies MNIST as that library's semantics say, and the CLI round trip
//! evaluates identically.

use std::path::Path;
use std::process::Command;

use burn::module::Param;
use burn::tensor::{Device, Distribution, Tensor};
use snn_model::layer::Layer;
use snn_train::config::RunConfig;
use snn_train::interop::nir_import::ImportOptions;

use crate::common::{mnist_dir, ok, snn_train};

fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new(crate::common::python())
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

const FC: &str = r#"
[model]
steps = 12
hidden = [48, 24]
[model.lif]
beta = 0.8
threshold = 0.5
reset = "zero"
learn_beta = "layer"
[model.readout]
kind = "spike-count"
"#;

const CONV: &str = r#"
[model]
inputs = 784
input_shape = [1, 28, 28]
steps = 4
[model.encoder]
kind = "direct"
[model.lif]
tau = 3.0
reset = "subtract"
[[model.layers]]
kind = "conv2d"
channels = 4
kernel = 3
padding = 1
[[model.layers]]
kind = "lif"
threshold = 0.3
[[model.layers]]
kind = "avg-pool"
kernel = 2
[[model.layers]]
kind = "conv2d"
channels = 6
kernel = 3
stride = 2
bias = false
[[model.layers]]
kind = "lif"
learn_beta = "layer"
[[model.layers]]
kind = "flatten"
[[model.layers]]
kind = "dropout"
p = 0.2
[[model.layers]]
kind = "linear"
size = 10
"#;

/// Same as CONV with batch norm after the first conv and a β per neuron in the second LIF.
fn conv_bn() -> String {
    CONV.replace(
        "kind = \"lif\"\nthreshold = 0.3",
        "kind = \"batch-norm\"\n[[model.layers]]\nkind = \"lif\"\nthreshold = 0.3",
    )
    .replace("learn_beta = \"layer\"", "learn_beta = \"neuron\"")
}

/// 16 test images as the network's input `[T, B, 784]` (Poisson spikes or direct currents).
fn input(config: &RunConfig, device: &Device) -> Tensor<3> {
    let data = mnist_idx::LabeledImages::load_split(&mnist_dir(), "t10k").unwrap();
    let x = snn_train::data::intensities(&data, &(0..16).collect::<Vec<_>>(), device);
    device.seed(5);
    config.model.encoder.encode(x, config.model.steps)
}

/// A network of `toml` with random β logits and batch-norm statistics (so nothing is trivial).
fn network(toml: &str, device: &Device) -> (RunConfig, snn_model::Snn) {
    let config = RunConfig::from_toml(toml, "test").unwrap();
    device.seed(9);
    let mut snn = config.model.init(device);
    for layer in snn.layers.iter_mut() {
        match layer {
            Layer::Lif(lif) => {
                if let Some(logit) = &lif.beta_logit {
                    let dims = logit.dims();
                    let random = Tensor::random(dims, Distribution::Uniform(0.5, 3.0), device);
                    lif.beta_logit = Some(Param::from_tensor(random));
                }
            }
            Layer::BatchNorm(norm) => {
                let [c] = norm.norm.gamma.dims();
                let n = &mut norm.norm;
                n.gamma = Param::from_tensor(Tensor::random(
                    [c],
                    Distribution::Uniform(0.5, 2.0),
                    device,
                ));
                n.beta = Param::from_tensor(Tensor::random(
                    [c],
                    Distribution::Uniform(-0.3, 0.3),
                    device,
                ));
                n.running_mean = burn::module::RunningState::new(Tensor::random(
                    [c],
                    Distribution::Uniform(-0.2, 0.2),
                    device,
                ));
                n.running_var = burn::module::RunningState::new(Tensor::random(
                    [c],
                    Distribution::Uniform(0.3, 2.0),
                    device,
                ));
            }
            _ => {}
        }
    }
    (config, snn)
}

fn values(t: Tensor<3>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// Exports `toml`'s network, checks the file with `nir.read`, imports it back and compares the
/// spikes of every layer on the same input; returns (mismatched slots, spikes of the exported
/// network, slots compared, largest logit difference: NaN when either side's logits are not
/// finite).
fn round_trip(toml: &str, dir: &Path) -> (usize, usize, usize, f32) {
    let device = Device::flex();
    let (config, snn) = network(toml, &device);
    let export = snn_train::interop::nir_export::export(&snn, 1e-3).unwrap();
    let path = dir.join("net.nir");
    std::fs::write(&path, snn_nir::to_bytes(&export.graph).unwrap()).unwrap();
    let kinds = python(
        "import sys, nir\ng = nir.read(sys.argv[1])\nprint(' '.join(sorted(type(n).__name__ for n in g.nodes.values())))",
        &[&path],
    );
    assert!(
        kinds.contains("Input") && kinds.contains("Output") && kinds.contains("LIF"),
        "{kinds}"
    );
    let graph = snn_nir::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    let (imported, model) =
        snn_train::interop::nir_import::import(&graph, &ImportOptions::default(), &device).unwrap();
    assert_eq!(imported.model.steps, config.model.steps);
    assert_eq!(imported.model.encoder, config.model.encoder);
    let x = input(&config, &device);
    let a = snn.trace_spikes(x.clone());
    let b = model.snn.trace_spikes(x);
    assert_eq!(a.layers.len(), b.layers.len());
    let (mut mismatched, mut spikes, mut total) = (0, 0, 0);
    for (la, lb) in a.layers.into_iter().zip(b.layers) {
        let (va, vb) = (values(la), values(lb));
        assert_eq!(va.len(), vb.len());
        total += va.len();
        spikes += va.iter().filter(|&&s| s != 0.0).count();
        mismatched += va.iter().zip(&vb).filter(|(p, q)| p != q).count();
    }
    let la: Vec<f32> = a.logits.into_data().iter::<f32>().collect();
    let lb: Vec<f32> = b.logits.into_data().iter::<f32>().collect();
    assert_eq!(la.len(), lb.len());
    (mismatched, spikes, total, largest_difference(&la, &lb))
}

/// The largest `|p − q|`, NaN as soon as one value is not finite (`f32::max` would drop a NaN).
fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(0.0, |worst, (p, q)| {
        if p.is_finite() && q.is_finite() {
            worst.max((p - q).abs())
        } else {
            f32::NAN
        }
    })
}

#[test]
fn a_nan_logit_is_a_difference() {
    assert!(largest_difference(&[1.0, f32::NAN], &[1.0, f32::NAN]).is_nan());
    assert!(largest_difference(&[f32::INFINITY], &[f32::INFINITY]).is_nan());
    assert_eq!(largest_difference(&[1.0, 2.5], &[1.5, 2.5]), 0.5);
}

#[test]
fn nir_export_then_import_gives_identical_spikes() {
    let dir = tempfile::tempdir().unwrap();
    for toml in [FC, CONV] {
        let (mismatched, spikes, total, diff) = round_trip(toml, dir.path());
        // Enough spikes, and silent slots too, for equality to say something.
        assert!(
            spikes > 1_000 && spikes < total / 2,
            "{spikes} spikes in {total} slots"
        );
        assert_eq!(mismatched, 0, "of {total} slots");
        assert_eq!(diff, 0.0, "logits differ");
    }
}

/// Batch norm is folded into the conv weights and per-neuron β goes through a logit: the same
/// network up to rounding.
#[test]
fn folded_batch_norm_and_per_neuron_beta_stay_within_rounding() {
    let dir = tempfile::tempdir().unwrap();
    let (mismatched, spikes, total, diff) = round_trip(&conv_bn(), dir.path());
    assert!(
        spikes > 1_000 && spikes < total / 2,
        "{spikes} spikes in {total} slots"
    );
    assert!(
        (mismatched as f64) < 1e-3 * spikes as f64,
        "{mismatched} of {total} slots differ ({spikes} spikes)"
    );
    assert!(diff < 1e-2, "logits differ by {diff}");
}

/// Max pooling has no NIR node: the export is refused, naming the layer, not approximated.
#[test]
fn nir_export_refuses_max_pooling() {
    let device = Device::flex();
    let (_, snn) = network(&CONV.replace("avg-pool", "max-pool"), &device);
    let err = snn_train::interop::nir_export::export(&snn, 1e-3)
        .err()
        .expect("a max-pool network exported to NIR");
    let message = format!("{err:#}");
    assert!(
        message.contains("max-pool") && message.contains("NIR 1.0 has no max pooling"),
        "{message}"
    );
}

/// Every tensor of a conv / batch-norm / per-neuron-β network as Python's `safetensors` reads
/// it: PyTorch's names, shapes and C-order elements, compared element by element with the Burn
/// module (a transposed or permuted tensor fails).
#[test]
fn safetensors_export_of_a_conv_batch_norm_network_has_pytorch_layouts() {
    let device = Device::flex();
    let (_, snn) = network(&conv_bn(), &device);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.safetensors");
    std::fs::write(
        &path,
        snn_train::interop::safetensors::export(&snn).unwrap(),
    )
    .unwrap();
    let out = python(
        r#"
import sys
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
for k in sorted(t):
    v = t[k]
    print(k, str(v.dtype), ",".join(map(str, v.shape)), " ".join(repr(float(x)) for x in v.ravel()))
"#,
        &[&path],
    );
    let read: std::collections::BTreeMap<String, (String, Vec<usize>, Vec<f64>)> = out
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.splitn(4, ' ').collect();
            let shape = f[2].split(',').filter(|d| !d.is_empty());
            let values = f.get(3).map_or(Vec::new(), |v| {
                v.split(' ').map(|x| x.parse().unwrap()).collect()
            });
            let shape = shape.map(|d| d.parse().unwrap()).collect();
            (f[0].to_string(), (f[1].to_string(), shape, values))
        })
        .collect();
    let check = |name: &str, shape: &[usize], values: Vec<f32>| {
        let (dtype, s, v) = read
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in\n{out}"));
        assert_eq!((dtype.as_str(), s.as_slice()), ("float32", shape), "{name}");
        let v: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        assert_eq!(v, values, "{name}");
    };
    let floats = |t: Tensor<1>| -> Vec<f32> { t.into_data().iter::<f32>().collect() };
    // Layers: conv2d, batch-norm, lif, avg-pool, conv2d, lif (β per neuron), flatten, dropout,
    // linear; then the readout.
    let Layer::Conv2d(conv) = &snn.layers[0] else {
        panic!("layer 0 is a conv")
    };
    let w = conv.conv.weight.val();
    let dims = w.dims().to_vec();
    check(
        "layers.0.weight",
        &dims,
        w.flatten::<1>(0, 3).into_data().iter::<f32>().collect(),
    );
    check(
        "layers.0.bias",
        &[4],
        floats(conv.conv.bias.as_ref().unwrap().val()),
    );
    let Layer::BatchNorm(norm) = &snn.layers[1] else {
        panic!("layer 1 is the batch norm")
    };
    let n = &norm.norm;
    check("layers.1.weight", &[4], floats(n.gamma.val()));
    check("layers.1.bias", &[4], floats(n.beta.val()));
    check(
        "layers.1.running_mean",
        &[4],
        floats(n.running_mean.value()),
    );
    check("layers.1.running_var", &[4], floats(n.running_var.value()));
    assert_eq!(read["layers.1.num_batches_tracked"].0, "int64");
    let Layer::Lif(lif) = &snn.layers[5] else {
        panic!("layer 5 is the second LIF")
    };
    let beta = floats(lif.beta(&device));
    assert!(beta.len() > 1, "β per neuron");
    check("layers.5.beta", &[beta.len()], beta);
    let Layer::Linear(linear) = &snn.layers[8] else {
        panic!("layer 8 is the linear layer")
    };
    // Burn's [in, out] weight; PyTorch's (out, in): element (o, i) is Burn's (i, o).
    let [inputs, outputs] = linear.weight.dims();
    let burn: Vec<f32> = linear.weight.val().into_data().iter::<f32>().collect();
    let pytorch: Vec<f32> = (0..outputs)
        .flat_map(|o| (0..inputs).map(move |i| (o, i)))
        .map(|(o, i)| burn[i * outputs + o])
        .collect();
    check("layers.8.weight", &[outputs, inputs], pytorch);
    for layer in [3, 6, 7] {
        assert!(
            !read
                .keys()
                .any(|k| k.starts_with(&format!("layers.{layer}."))),
            "layer {layer} has no parameters: {out}"
        );
    }
}

/// A classifier written by Python's `nir` package (ridge-regression weights → LIF → LI),
/// imported with --dt/--steps/--encoder, evaluated by `snn-train eval`; NIR's own Euler
/// semantics simulated in numpy on the same images give the same accuracy.
#[test]
fn a_nir_file_written_by_python_nir_imports_and_classifies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("templates.nir");
    let data = mnist_dir();
    let expected = python(
        r#"
import sys, gzip, os, numpy as np, nir
def idx(path):
    raw = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)
data, out = sys.argv[1], sys.argv[2]
x = idx(data + "/train-images-idx3-ubyte")[:6000].reshape(-1, 784) / 255.0
y = idx(data + "/train-labels-idx1-ubyte")[:6000]
w1 = np.linalg.solve(x.T @ x + 10 * np.eye(784), x.T @ np.eye(10)[y]).T  # ridge regression
w1 = (2 * w1).astype(np.float32)
dt, steps = 1e-3, 8
lif = dict(tau=np.full(10, 4e-3), r=np.full(10, 1.5), v_leak=np.full(10, 0.1),
           v_threshold=np.full(10, 0.5), v_reset=np.zeros(10))
w2 = np.eye(10, dtype=np.float32)
g = nir.NIRGraph.from_list(
    nir.Input(input_type=np.array([784])),
    nir.Affine(weight=w1, bias=np.zeros(10, np.float32)),
    nir.LIF(**lif),
    nir.Affine(weight=w2, bias=np.zeros(10, np.float32)),
    nir.LI(tau=np.full(10, 2e-3), r=np.full(10, 1.0), v_leak=np.zeros(10)),
    nir.Output(output_type=np.array([10])),
)
nir.write(out, g)
xt = idx(data + "/t10k-images-idx3-ubyte")[:500].reshape(-1, 784).astype(np.float32) / 255.0
yt = idx(data + "/t10k-labels-idx1-ubyte")[:500]
v1 = np.zeros((500, 10)); v2 = np.zeros((500, 10)); total = np.zeros((500, 10))
for t in range(steps):
    v1 = v1 + dt / lif["tau"] * (lif["v_leak"] - v1 + lif["r"] * (xt @ w1.T))
    s = (v1 > lif["v_threshold"]).astype(np.float64)
    v1 = np.where(s > 0, lif["v_reset"], v1)
    v2 = v2 + dt / 2e-3 * (-v2 + 1.0 * (s @ w2.T))
    total += v2
print(100.0 * np.mean(total.argmax(1) == yt))
"#,
        &[&data, &file],
    );
    let expected: f64 = expected.trim().parse().unwrap();
    let run = dir.path().join("run");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let (file_s, run_s, data_s) = (path(&file), path(&run), path(&data));
    let missing = snn_train(&["import", &file_s, "--out", &run_s]);
    assert!(!missing.status.success());
    assert!(
        crate::common::stderr(&missing).contains("pass --dt"),
        "{}",
        crate::common::stderr(&missing)
    );
    assert!(!run.exists(), "nothing written on error");
    ok(snn_train(&[
        "import",
        &file_s,
        "--out",
        &run_s,
        "--dt",
        "1e-3",
        "--steps",
        "8",
        "--encoder",
        "direct",
    ]));
    let eval = ok(snn_train(&[
        "eval",
        "--backend",
        "flex",
        "--run",
        &run_s,
        "--data",
        &data_s,
        "--test-limit",
        "500",
    ]));
    let text = String::from_utf8_lossy(&eval.stdout);
    let ours: f64 = text
        .split("test accuracy ")
        .nth(1)
        .and_then(|s| s.split('%').next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no accuracy in {text}"));
    assert!(expected > 60.0, "the weights classify: {expected}%");
    assert!(
        (ours - expected).abs() <= 1.0,
        "snn-train {ours}% vs NIR semantics in numpy {expected}%"
    );

    // Fine-tuning starts from the imported weights: with a vanishing learning rate the first
    // epoch tests at the imported accuracy; a config of another network is refused.
    let tuned = dir.path().join("tuned");
    let config = path(&run.join("config.toml"));
    let train = |config: &str, out: &Path| {
        snn_train(&[
            "--backend",
            "flex",
            "--config",
            config,
            "--init-from",
            &run_s,
            "--out",
            &path(out),
            "--data",
            &data_s,
            "--epochs",
            "1",
            "--train-limit",
            "64",
            "--test-limit",
            "500",
            "--lr",
            "1e-12",
        ])
    };
    ok(train(&config, &tuned));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tuned.join("summary.json")).unwrap())
            .unwrap();
    let tuned_accuracy = summary["test_accuracy"].as_f64().unwrap();
    assert!(
        (tuned_accuracy - ours).abs() < 0.01,
        "{tuned_accuracy}% vs {ours}%"
    );
    let other = dir.path().join("other");
    let refused = train("configs/quick.toml", &other);
    let err = crate::common::stderr(&refused);
    assert!(
        !refused.status.success() && err.contains("--init-from"),
        "{err}"
    );
}

/// The CLI: a trained run exported to NIR and imported back evaluates identically; safetensors
/// has PyTorch's names and layouts; max pooling and existing files are refused.
#[test]
fn exported_runs_import_and_load_in_python() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(crate::common::train_run(
        "flex",
        &run,
        &[
            "--train-limit",
            "640",
            "--test-limit",
            "200",
            "--epochs",
            "1",
            "--steps",
            "10",
        ],
    ));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (run_s, nir, st, back) = (
        s(&run),
        s(&dir.path().join("net.nir")),
        s(&dir.path().join("net.safetensors")),
        s(&dir.path().join("back")),
    );
    let out = ok(snn_train(&[
        "export", "--run", &run_s, "--format", "nir", &nir,
    ]));
    assert!(
        crate::common::stderr(&out).contains("resets by subtraction"),
        "the seed config's reset is warned about"
    );
    ok(snn_train(&[
        "export",
        "--run",
        &run_s,
        "--format",
        "safetensors",
        &st,
    ]));
    let again = snn_train(&["export", "--run", &run_s, "--format", "nir", &nir]);
    assert!(crate::common::stderr(&again).contains("already exists"));
    ok(snn_train(&["import", &nir, "--out", &back]));
    let data = s(&mnist_dir());
    let eval = |r: &str| {
        let out = ok(snn_train(&[
            "eval",
            "--backend",
            "flex",
            "--run",
            r,
            "--data",
            &data,
            "--test-limit",
            "200",
        ]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(eval(&run_s), eval(&back));

    let device = Device::flex();
    let config = RunConfig::load(&run.join("config.toml")).unwrap();
    let model = snn_train::run::load_weights(
        &config,
        &run.join("config.toml"),
        &run.join("model.bpk"),
        &device,
    )
    .unwrap();
    let Layer::Linear(hidden) = &model.snn.layers[0] else {
        unreachable!()
    };
    // Column sums of Burn's [in, out] weight = row sums of PyTorch's (out, in).
    let sums: Vec<f32> = hidden
        .weight
        .val()
        .sum_dim(0)
        .into_data()
        .iter::<f32>()
        .collect();
    let out = python(
        r#"
import sys
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
for k in sorted(t): print(k, list(t[k].shape))
print("sums", " ".join(f"{v:.5f}" for v in t["layers.0.weight"].sum(1)[:5]))
"#,
        &[Path::new(&st)],
    );
    for line in [
        "layers.0.bias [256]",
        "layers.0.weight [256, 784]",
        "layers.1.beta []",
        "layers.1.threshold []",
        "readout.beta []",
        "readout.bias [10]",
        "readout.weight [10, 256]",
    ] {
        assert!(out.contains(line), "{line} in\n{out}");
    }
    let expected: Vec<String> = sums[..5].iter().map(|v| format!("{v:.5}")).collect();
    assert!(
        out.contains(&format!("sums {}", expected.join(" "))),
        "{out} vs {expected:?}"
    );
}

/// A NIR file whose shapes do not fit together (written with nir's type check off) is refused
/// at import, naming the node, before any run directory exists.
#[test]
fn nir_files_whose_shapes_do_not_fit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (affine, lif) = (dir.path().join("affine.nir"), dir.path().join("lif.nir"));
    python(
        r#"
import sys, nir, numpy as np
def graph(fc_in, lif_n):
    lif = lambda n: nir.LIF(tau=np.full(n, 0.01), r=np.full(n, 10.0), v_leak=np.zeros(n),
                            v_threshold=np.ones(n), v_reset=np.zeros(n))
    nodes = {
        "input": nir.Input(input_type=np.array([784])),
        "fc": nir.Affine(weight=np.ones((10, fc_in), np.float32), bias=np.zeros(10, np.float32)),
        "lif": lif(lif_n),
        "ro": nir.Affine(weight=np.ones((3, 10), np.float32), bias=np.zeros(3, np.float32)),
        "li": nir.LI(tau=np.full(3, 0.01), r=np.full(3, 10.0), v_leak=np.zeros(3)),
        "output": nir.Output(output_type=np.array([3])),
    }
    edges = [("input", "fc"), ("fc", "lif"), ("lif", "ro"), ("ro", "li"), ("li", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
nir.write(sys.argv[1], graph(5, 10))
nir.write(sys.argv[2], graph(784, 7))
"#,
        &[&affine, &lif],
    );
    for (file, expected) in [
        (
            &affine,
            "NIR node `fc` has 5 inputs but the node before it gives 784",
        ),
        (
            &lif,
            "NIR node `lif` has 7 neurons but the node before it gives 10",
        ),
    ] {
        let run = dir.path().join("run");
        let out = snn_train(&[
            "import",
            file.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--dt",
            "1e-3",
            "--steps",
            "4",
        ]);
        let err = crate::common::stderr(&out);
        assert!(!out.status.success() && err.contains(expected), "{err}");
        assert!(!run.exists(), "nothing written on error");
    }
}
