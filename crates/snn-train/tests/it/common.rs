//! Helpers for the snn-train end-to-end tests: running the binary on real MNIST.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Real MNIST: `$MNIST_DIR`, else `data/mnist` (after `cargo xtask fetch-mnist`), else the
/// gzipped copies in `../shared/data/mnist`.
pub fn mnist_dir() -> PathBuf {
    let root = root();
    [
        std::env::var_os("MNIST_DIR").map(PathBuf::from),
        Some(root.join("data/mnist")),
        Some(root.join("../shared/data/mnist")),
    ]
    .into_iter()
    .flatten()
    .find(|d| {
        d.join("train-labels-idx1-ubyte").exists() || d.join("train-labels-idx1-ubyte.gz").exists()
    })
    .expect("real MNIST not found: run `cargo xtask fetch-mnist` or set MNIST_DIR")
}

/// `snn-train` with `args`, from the workspace root, not started yet.
pub fn snn_train_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_snn-train"));
    command.current_dir(root()).args(args);
    command
}

/// `snn-train` with `args`, run from the workspace root.
pub fn snn_train(args: &[&str]) -> Output {
    snn_train_command(args).output().expect("snn-train runs")
}

/// `snn-train eval` of `run` on flex with `extra` flags; returns what it prints.
pub fn eval_text(run: &Path, extra: &[&str]) -> String {
    let data = mnist_dir();
    let (run, data) = (run.to_str().unwrap(), data.to_str().unwrap());
    let args = ["eval", "--run", run, "--backend", "flex", "--data", data];
    let out = ok(snn_train(&[&args[..], extra].concat()));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success, printing stderr otherwise.
pub fn ok(out: Output) -> Output {
    assert!(out.status.success(), "snn-train failed:\n{}", stderr(&out));
    out
}

/// A smoke run: `--train-limit 2000 --test-limit 500 --epochs 1 --steps 10`, each of which
/// `extra` (flag, value pairs) may replace, plus any other flags in `extra`.
pub fn smoke_run(backend: &str, out: &Path, extra: &[&str]) -> Output {
    let mut flags: Vec<(&str, &str)> = vec![
        ("--train-limit", "2000"),
        ("--test-limit", "500"),
        ("--epochs", "1"),
        ("--steps", "10"),
    ];
    for pair in extra.chunks(2) {
        match flags.iter_mut().find(|(f, _)| *f == pair[0]) {
            Some(slot) => slot.1 = pair[1],
            None => flags.push((pair[0], pair[1])),
        }
    }
    let flags: Vec<&str> = flags.into_iter().flat_map(|(f, v)| [f, v]).collect();
    train_run(backend, out, &flags)
}

/// A training run on real MNIST into `out` with `flags`, not started yet. Unless `flags` set
/// `--validation`, a tenth of the training examples is held out (the shipped configs hold out
/// 5,000, more than the few thousand examples a test trains on).
pub fn train_command(backend: &str, out: &Path, flags: &[&str]) -> Command {
    let data = mnist_dir();
    let (data, out) = (data.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["--backend", backend, "--data", data, "--out", out];
    if !flags.contains(&"--validation") {
        args.extend(["--validation", "0.1"]);
    }
    args.extend_from_slice(flags);
    snn_train_command(&args)
}

/// A training run on real MNIST into `out` with `flags` and nothing else changed.
pub fn train_run(backend: &str, out: &Path, flags: &[&str]) -> Output {
    train_command(backend, out, flags)
        .output()
        .expect("snn-train runs")
}

/// The Python interpreter that has the `tensorboard` package (set by scripts/test.sh).
pub fn python() -> String {
    let python = std::env::var("SNN_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import tensorboard"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "{python} cannot import tensorboard: run the tests through scripts/test.sh, or set \
         SNN_PYTHON to a Python with `pip install -r scripts/requirements.txt`"
    );
    python
}
