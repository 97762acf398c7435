//! Bad config files and flags are rejected before anything starts, naming the key.

use crate::common::{mnist_dir, snn_train, stderr};

/// Runs snn-train with `config` (TOML text) and extra flags; returns (exit ok, stderr, run dir).
fn run_with(config: &str, flags: &[&str]) -> (bool, String, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, config).unwrap();
    let run = dir.path().join("run");
    let data = mnist_dir();
    let mut args = vec![
        "--backend",
        "flex",
        "--config",
        path.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    let out = snn_train(&args);
    (out.status.success(), stderr(&out), run, dir)
}

fn assert_rejected(config: &str, flags: &[&str], needles: &[&str]) {
    let (ok, err, run, _dir) = run_with(config, flags);
    assert!(!ok, "accepted: {config} {flags:?}");
    for needle in needles {
        assert!(err.contains(needle), "message lacks {needle:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "panicked:\n{err}");
    assert!(
        !run.exists(),
        "a run directory was created for a rejected config"
    );
}

#[test]
fn unknown_keys_are_rejected() {
    assert_rejected(
        "[train]\nepochs = 1\nlearning_rate = 0.1\n",
        &[],
        &["learning_rate", "unknown field"],
    );
    assert_rejected("[modle]\nhidden = [10]\n", &[], &["modle"]);
    assert_rejected(
        "[model.lif]\nbeta = 0.9\nthreshhold = 1.0\n",
        &[],
        &["threshhold"],
    );
}

#[test]
fn out_of_range_values_name_key_and_value() {
    assert_rejected(
        "[train]\nlr = -0.001\n",
        &[],
        &["train.lr", "-0.001", "> 0"],
    );
    assert_rejected(
        "[model.lif]\nbeta = 1.5\n",
        &[],
        &["model.lif.beta", "1.5", "(0, 1)"],
    );
    assert_rejected("[model]\nsteps = 0\n", &[], &["model.steps", "≥ 1"]);
    assert_rejected("[model]\nhidden = [256, 0]\n", &[], &["model.hidden[1]"]);
    assert_rejected(
        "[model.lif]\nthreshold = 0.0\n",
        &[],
        &["model.lif.threshold"],
    );
    assert_rejected("[train]\nbatch_size = 0\n", &[], &["train.batch_size"]);
    assert_rejected(
        "[model.lif]\nsurrogate = { kind = \"atan\", alpha = -2.0 }\n",
        &[],
        &["model.lif.surrogate.alpha"],
    );
}

#[test]
fn wrong_types_are_rejected() {
    assert_rejected(
        "[train]\nepochs = \"five\"\n",
        &[],
        &["epochs", "invalid type"],
    );
    assert_rejected("[model.lif]\nreset = \"sideways\"\n", &[], &["sideways"]);
}

#[test]
fn bad_flags_name_the_flag() {
    assert_rejected("", &["--lr", "0"], &["train.lr", "--lr"]);
    assert_rejected("", &["--steps", "0"], &["model.steps", "--steps"]);
    assert_rejected("", &["--hidden", "0"], &["model.hidden[0]", "--hidden"]);
    assert_rejected("", &["--batch-size", "many"], &["--batch-size", "many"]);
}

#[test]
fn missing_files_give_a_clear_message() {
    let out = snn_train(&["--backend", "flex", "--config", "configs/nope.toml"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("configs/nope.toml"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-data");
    let run = dir.path().join("run");
    let out = snn_train(&[
        "--backend",
        "flex",
        "--data",
        empty.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("cargo xtask fetch-mnist") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn shipped_configs_are_valid() {
    for name in ["seed", "quick"] {
        let path = crate::common::root().join(format!("configs/{name}.toml"));
        let config = snn_train::config::RunConfig::load(&path).unwrap();
        config.validate().unwrap();
    }
    let seed = snn_train::config::RunConfig::load(&crate::common::root().join("configs/seed.toml"))
        .unwrap();
    assert_eq!(seed.model.hidden, vec![256]);
    assert_eq!(seed.model.steps, 100);
    assert_eq!(
        (seed.train.epochs, seed.train.batch_size, seed.train.lr),
        (5, 64, 1e-3)
    );
}
