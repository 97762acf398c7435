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
        "[train]\naugment_rotate = 120.0\n",
        &[],
        &["train.augment_rotate", "120", "90 degrees"],
    );
    assert_rejected(
        "[train]\naugment_scale = -0.1\n",
        &[],
        &["train.augment_scale", "-0.1"],
    );
    assert_rejected(
        "[model.lif]\nsurrogate = { kind = \"atan\", alpha = -2.0 }\n",
        &[],
        &["model.lif.surrogate.alpha"],
    );
}

/// A conv stack: `conv2d(8) → lif → max-pool(2) → flatten` on 28×28 images, with `extra` TOML
/// appended (more layers or sections).
fn conv_config(extra: &str) -> String {
    format!(
        "[model]\ninput_shape = [1, 28, 28]\n[model.encoder]\nkind = \"direct\"\n\
         [[model.layers]]\nkind = \"conv2d\"\nchannels = 8\nkernel = 3\n\
         [[model.layers]]\nkind = \"lif\"\n{extra}"
    )
}

#[test]
fn layer_errors_name_the_layer_and_key() {
    let layer = |kind_and_keys: &str| format!("[[model.layers]]\n{kind_and_keys}\n");
    assert_rejected(
        &conv_config(&layer("kind = \"max-pool\"\nkernel = 0")),
        &[],
        &["model.layers[2].kernel", "must be ≥ 1"],
    );
    assert_rejected(
        &conv_config(&layer("kind = \"conv2d\"\nchanels = 4\nkernel = 3")),
        &[],
        &["chanels", "unknown field"],
    );
    assert_rejected(
        &conv_config(&layer("kind = \"dropout\"\np = 1.0")),
        &[],
        &["model.layers[2].p", "[0, 1)"],
    );
    assert_rejected(
        &conv_config(&layer("kind = \"lif\"\nbeta = 2.0")),
        &[],
        &["model.layers[2].beta", "(0, 1)"],
    );
}

#[test]
fn layer_stacks_whose_shapes_do_not_fit_are_refused_naming_the_shapes() {
    let layer = |kind_and_keys: &str| format!("[[model.layers]]\n{kind_and_keys}\n");
    // 28 → conv k3 → 26 → pool 13 → pool 6 → pool 3 → pool 1 → pool: nothing left to pool.
    let pools: String = (0..5)
        .map(|_| layer("kind = \"max-pool\"\nkernel = 2"))
        .collect();
    assert_rejected(
        &conv_config(&pools),
        &[],
        &[
            "model.layers[6].kernel",
            "8x1x1 map",
            "smaller than the kernel",
        ],
    );
    assert_rejected(
        &conv_config(&layer("kind = \"linear\"\nsize = 10")),
        &[],
        &["model.layers[2]", "8x26x26 map", "add a flatten layer"],
    );
    assert_rejected(
        &conv_config(""),
        &[],
        &["model.readout", "add a flatten layer"],
    );
    assert_rejected(
        "[[model.layers]]\nkind = \"conv2d\"\nchannels = 4\nkernel = 3\n",
        &[],
        &["model.layers[0]", "needs a feature map", "input_shape"],
    );
    assert_rejected(
        "[model]\nhidden = [64]\n[[model.layers]]\nkind = \"lif\"\n",
        &[],
        &["model.hidden", "not both"],
    );
    // Sizes whose products overflow 64 bits are refused, never wrapped around.
    assert_rejected(
        &format!(
            "[model]\ninput_shape = [1, 28, 28]\n[[model.layers]]\nkind = \"conv2d\"\n\
             channels = 4\nkernel = 3\npadding = {}\n[[model.layers]]\nkind = \"lif\"\n\
             [[model.layers]]\nkind = \"flatten\"\n",
            1u64 << 63
        ),
        &[],
        &[
            "model.layers[0]",
            "output features",
            "lower the layer sizes",
        ],
    );
    assert_rejected(
        "[model]\ninput_shape = [1, 9223372036854775809, 784]\n",
        &[],
        &["model.input_shape", "inputs = 784"],
    );
    assert_rejected(
        "[model]\ninput_shape = [1, 28, 27]\n",
        &[],
        &["model.input_shape", "inputs = 784"],
    );
    assert_rejected(
        &conv_config(&layer("kind = \"flatten\"")),
        &["--hidden", "128"],
        &["--hidden", "[[model.layers]]"],
    );
    assert_rejected(
        "[[model.layers]]\nkind = \"linear\"\nsize = 10\n",
        &[],
        &["model.layers", "at least one lif layer"],
    );
    assert_rejected(
        "[train.lr_schedule]\nkind = \"step\"\nevery_epochs = 0\ngamma = 0.5\n",
        &[],
        &["train.lr_schedule.every_epochs", "≥ 1"],
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
    let mut names = Vec::new();
    for entry in std::fs::read_dir(crate::common::root().join("configs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let config = snn_train::config::RunConfig::load(&path).unwrap();
            config
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            names.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    for name in [
        "seed",
        "quick",
        "conv",
        "conv-medium",
        "conv-small",
        "fc-best",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "configs/{name}.toml missing"
        );
    }
    // The conv goal's terms: a conv SNN with direct input and T ≤ 8.
    let conv = snn_train::config::RunConfig::load(&crate::common::root().join("configs/conv.toml"))
        .unwrap();
    assert!(
        conv.model.steps <= 8,
        "configs/conv.toml: T = {}",
        conv.model.steps
    );
    assert_eq!(conv.model.encoder, snn_model::EncoderConfig::Direct {});
    let seed = snn_train::config::RunConfig::load(&crate::common::root().join("configs/seed.toml"))
        .unwrap();
    assert_eq!(seed.model.hidden, Some(vec![256]));
    assert_eq!(seed.model.steps, 100);
    assert_eq!(
        (seed.train.epochs, seed.train.batch_size, seed.train.lr),
        (5, 64, 1e-3)
    );
}

/// The schedules step once per batch: cosine from lr to min_lr over all batches of the run,
/// step multiplies by gamma every `every_epochs` epochs, constant stays.
#[test]
fn learning_rate_schedules_follow_their_formulas() {
    use snn_train::config::LrSchedule;
    let lrs = |schedule: LrSchedule| -> Vec<f64> {
        let mut s = schedule.build(1e-2, 2, 3).unwrap();
        (0..6).map(|_| s.step().base()).collect()
    };
    let cosine = lrs(LrSchedule::Cosine { min_lr: 1e-4 });
    for (i, lr) in cosine.iter().enumerate() {
        let expected =
            1e-4 + 0.5 * (1e-2 - 1e-4) * (1.0 + (std::f64::consts::PI * i as f64 / 6.0).cos());
        assert!(
            (lr - expected).abs() < 1e-12,
            "cosine step {i}: {lr} vs {expected}"
        );
    }
    let step = lrs(LrSchedule::Step {
        every_epochs: 1,
        gamma: 0.5,
    });
    assert_eq!(step, [1e-2, 1e-2, 1e-2, 5e-3, 5e-3, 5e-3]);
    assert_eq!(lrs(LrSchedule::Constant), [1e-2; 6]);
}

#[test]
fn bad_sparsity_settings_name_the_key() {
    let fc = "[model]\nhidden = [32]\n";
    assert_rejected(
        &format!("{fc}[train.sparsity]\nweight = -1.0\n"),
        &[],
        &["train.sparsity.weight", "-1", "≥ 0"],
    );
    assert_rejected(
        &format!("{fc}[train.sparsity]\nweight = 1.0\ntarget = 1.5\n"),
        &[],
        &["train.sparsity.target", "1.5", "[0, 1)"],
    );
    assert_rejected(
        &format!("{fc}[train.sparsity]\nweight = 1.0\nlayers = [\"hidden3\"]\n"),
        &[],
        &["train.sparsity.layers", "hidden3", "hidden0"],
    );
    assert_rejected(
        &format!("{fc}[train.sparsity]\nweight = 1.0\nlayers = [\"input\"]\n"),
        &[],
        &["train.sparsity.layers", "input"],
    );
    assert_rejected(
        &format!("{fc}[train.sparsity]\nweigth = 1.0\n"),
        &[],
        &["weigth"],
    );
}
