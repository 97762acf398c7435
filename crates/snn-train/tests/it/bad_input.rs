//! Bad input a user will produce sooner or later — an edited config, foreign data, a damaged
//! checkpoint, a huge batch, a busy or foreign directory, a diverging loss — ends with a non-zero
//! exit and one message naming the file, key or limit; no panic, and the run directory's files
//! are byte for byte what they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use crate::common::{mnist_dir, ok, snn_train, stderr, train_run};

/// A finished 2-epoch run (flex, 1000 images, T = 8), trained once and copied by each test.
fn trained_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, run) = RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        ok(train_run(
            "flex",
            &run,
            &[
                "--train-limit",
                "1000",
                "--test-limit",
                "300",
                "--epochs",
                "2",
                "--steps",
                "8",
            ],
        ));
        (dir, run)
    });
    run
}

/// A private copy of the trained run.
fn copy_of_run() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(trained_run(), &run);
    (dir, run)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

/// Runs snn-train with `args` and asserts: failure, every needle in stderr, no panic, and
/// `dir`'s files unchanged.
fn assert_refused(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let before = snapshot(dir);
    let out: Output = snn_train(args);
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {args:?}\n{err}");
    assert!(!err.contains("panicked"), "panicked: {args:?}\n{err}");
    for needle in needles {
        assert!(err.contains(needle), "message lacks {needle:?}:\n{err}");
    }
    let after = snapshot(dir);
    let changed: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "{args:?} changed {changed:?}\n{err}");
    err
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A copy of real MNIST (gzip) in which `edit` replaces files.
fn mnist_copy(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = mnist_dir();
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        let file = mnist_idx::locate(&source, name).unwrap();
        std::fs::copy(&file, dir.path().join(file.file_name().unwrap())).unwrap();
    }
    edit(dir.path());
    dir
}

/// Replaces `dir/<name>[.gz]` by the raw IDX `bytes`.
fn replace_idx(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::remove_file(mnist_idx::locate(dir, name).unwrap()).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// MNIST's test labels as a raw IDX file.
fn raw_test_labels() -> Vec<u8> {
    let labels =
        mnist_idx::read_labels(&mnist_idx::locate(&mnist_dir(), "t10k-labels-idx1-ubyte").unwrap())
            .unwrap();
    let mut bytes = vec![0, 0, 8, 1];
    bytes.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&labels);
    bytes
}

/// MNIST's test images padded to 32×32, as a raw IDX file.
fn raw_test_images_32x32() -> Vec<u8> {
    let images =
        mnist_idx::read_images(&mnist_idx::locate(&mnist_dir(), "t10k-images-idx3-ubyte").unwrap())
            .unwrap();
    let mut bytes = vec![0, 0, 8, 3];
    for dim in [images.count as u32, 32, 32] {
        bytes.extend_from_slice(&dim.to_be_bytes());
    }
    for i in 0..images.count {
        for row in images.image(i).chunks(28) {
            bytes.extend(row.iter().chain(&[0u8; 4]));
        }
        bytes.extend_from_slice(&[0u8; 4 * 32]);
    }
    bytes
}

/// `COMMAND --backend flex --data DATA --run RUN` (eval, plot, report).
fn on_run<'a>(command: &'a str, data: &'a Path, run: &'a Path) -> [&'a str; 7] {
    [
        command,
        "--backend",
        "flex",
        "--data",
        s(data),
        "--run",
        s(run),
    ]
}

/// `--backend flex --data DATA --resume RUN` and `flags`.
fn resume_args<'a>(data: &'a Path, run: &'a Path, flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--backend", "flex", "--data", s(data), "--resume", s(run)];
    args.extend_from_slice(flags);
    args
}

fn train_args<'a>(data: &'a Path, out: &'a Path, flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--data", s(data), "--out", s(out)];
    args.extend_from_slice(flags);
    args
}

#[test]
fn resume_refuses_overrides_that_change_the_saved_run() {
    let (_tmp, run) = copy_of_run();
    let data = mnist_dir();
    let resume = |flags: &[&str], needles: &[&str]| {
        let mut args = resume_args(&data, &run, flags);
        args.extend_from_slice(&["--epochs", "3"]);
        assert_refused(&run, &args, needles);
    };
    resume(
        &["--hidden", "512"],
        &["--hidden 512", "model.hidden = [256]", "config.toml"],
    );
    resume(
        &["--batch-size", "32"],
        &["--batch-size 32", "train.batch_size = 64"],
    );
    resume(
        &["--train-limit", "500"],
        &["--train-limit 500", "train.train_limit = 1000"],
    );
}

#[test]
fn a_config_edited_after_training_is_refused_naming_both_files() {
    let (_tmp, run) = copy_of_run();
    let config = run.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let edited = text.replace("learn_beta = \"none\"", "learn_beta = \"neuron\"");
    assert_ne!(
        text, edited,
        "config.toml has no learn_beta = \"none\":\n{text}"
    );
    std::fs::write(&config, edited).unwrap();
    let data = mnist_dir();
    for command in ["eval", "report", "plot"] {
        let args = on_run(command, &data, &run);
        assert_refused(&run, &args, &["model.bpk", "config.toml", "do not fit"]);
    }
}

#[test]
fn test_data_that_does_not_fit_the_model_is_refused_before_any_tensor_work() {
    let (_tmp, run) = copy_of_run();
    let mut labels = raw_test_labels();
    labels[8 + 5] = 10;
    let bad_label = mnist_copy(|d| replace_idx(d, "t10k-labels-idx1-ubyte", &labels));
    let padded = raw_test_images_32x32();
    let big_images = mnist_copy(|d| replace_idx(d, "t10k-images-idx3-ubyte", &padded));
    let header = [0, 0, 8, 3, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];
    let bad_header = mnist_copy(|d| replace_idx(d, "t10k-images-idx3-ubyte", &header));
    let cases: [(&Path, &[&str]); 3] = [
        (
            bad_label.path(),
            &[
                "t10k-labels-idx1-ubyte",
                "label 10 of example 5",
                "model.classes",
            ],
        ),
        (
            big_images.path(),
            &[
                "t10k-images-idx3-ubyte",
                "32x32 = 1024 pixels",
                "784 inputs",
            ],
        ),
        (
            bad_header.path(),
            &["t10k-images-idx3-ubyte", "65536x16777216x16777216"],
        ),
    ];
    for (data, needles) in cases {
        for command in ["eval", "report", "plot"] {
            let args = on_run(command, data, &run);
            assert_refused(&run, &args, needles);
        }
    }
    // Training checks the test split too, before it creates the run directory.
    let out = tempfile::tempdir().unwrap();
    let new_run = out.path().join("new");
    let args = [
        "--backend",
        "flex",
        "--data",
        s(bad_label.path()),
        "--out",
        s(&new_run),
    ];
    assert_refused(out.path(), &args, &["t10k-labels-idx1-ubyte", "label 10"]);
    assert!(!new_run.exists());
}

#[test]
fn a_damaged_checkpoint_names_the_file_and_the_last_good_epoch() {
    let data = mnist_dir();
    type Damage = fn(&Path);
    let damage: [(&str, Damage); 2] = [
        ("scheduler.bpk is missing", |set| {
            std::fs::remove_file(set.join("scheduler.bpk")).unwrap()
        }),
        ("optim.bpk cannot be read", |set| {
            std::fs::write(set.join("optim.bpk"), b"not a burnpack").unwrap()
        }),
    ];
    for (needle, damage) in damage {
        let (_tmp, run) = copy_of_run();
        damage(&run.join("checkpoint/epoch-2"));
        let args = resume_args(&data, &run, &["--epochs", "3"]);
        assert_refused(
            &run,
            &args,
            &[needle, "epoch-2", "last good checkpoint is epoch 1"],
        );
    }
}

#[test]
fn limits_are_checked_before_anything_is_allocated_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let data = mnist_dir();
    assert_refused(
        dir.path(),
        &train_args(&data, &out, &["--backend", "wgpu", "--batch-size", "60000"]),
        &[
            "train.batch_size = 60000",
            "32-bit",
            "4294967295",
            "--batch-size",
        ],
    );
    assert_refused(
        dir.path(),
        &train_args(
            &data,
            &out,
            &["--backend", "flex", "--hidden", "200000,200000"],
        ),
        &["GiB of memory", "4 layers of up to 200000 features"],
    );
    assert_refused(
        dir.path(),
        &train_args(&data, &out, &["--backend", "flex", "--hidden", "100000000"]),
        &[
            "train.batch_size = 64",
            "100000000 neurons",
            "even one example is too many",
        ],
    );
    assert!(!out.exists());
    let (_tmp, run) = copy_of_run();
    // A real 28×28 digit-like image, so the refusal is about the samples, not the file.
    let image = dir.path().join("digit.png");
    image::GrayImage::from_fn(28, 28, |x, y| {
        image::Luma([if (10..18).contains(&x) && y > 4 {
            255
        } else {
            0
        }])
    })
    .save(&image)
    .unwrap();
    let args = [
        "predict",
        "--backend",
        "flex",
        "--run",
        s(&run),
        "--samples",
        "100000000",
        s(&image),
    ];
    assert_refused(&run, &args, &["GiB of memory", "--samples = 100000000"]);
}

#[test]
fn out_at_a_foreign_directory_is_refused_and_default_names_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("metrics.csv"), "my,own\n1,2\n").unwrap();
    let data = mnist_dir();
    let args = [
        "--backend",
        "flex",
        "--data",
        s(&data),
        "--out",
        s(&foreign),
        "--epochs",
        "1",
    ];
    assert_refused(dir.path(), &args, &["--out", "metrics.csv", "no run"]);

    let runs = dir.path().join("runs");
    let names: Vec<PathBuf> = (0..3)
        .map(|_| snn_train::run::dir::create_default_run_dir(&runs, "seed").unwrap())
        .collect();
    assert!(names.iter().all(|n| n.is_dir()));
    assert!(names[0] != names[1] && names[1] != names[2] && names[0] != names[2]);
}

#[test]
fn a_run_in_use_by_another_process_is_refused() {
    let (_tmp, run) = copy_of_run();
    let data = mnist_dir();
    // The lock is an OS file lock: this test process holds it, the child is refused.
    let lock = snn_train::run::RunLock::acquire(&run).unwrap();
    let resume = resume_args(&data, &run, &["--epochs", "3"]);
    assert_refused(
        &run,
        &resume,
        &["in use by another snn-train process", ".lock"],
    );
    let plot = on_run("plot", &data, &run);
    assert_refused(&run, &plot, &["in use"]);
    drop(lock);
    ok(snn_train(&on_run("eval", &data, &run)));
}

/// A diverging loss stops the run at that batch; the last good checkpoint stays and the run
/// resumes from it with a lower learning rate.
#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_epoch() {
    let (_tmp, run) = copy_of_run();
    let data = mnist_dir();
    let checkpoint_before = snapshot(&run.join("checkpoint"));
    let out = snn_train(&resume_args(
        &data,
        &run,
        &["--epochs", "4", "--lr", "1e38"],
    ));
    let err = stderr(&out);
    assert!(!out.status.success(), "a NaN loss was accepted:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in [
        "the loss became NaN at epoch 3",
        "checkpoint of epoch 2",
        "--lr 1e37",
    ] {
        assert!(err.contains(needle), "message lacks {needle:?}:\n{err}");
    }
    assert_eq!(
        snapshot(&run.join("checkpoint")),
        checkpoint_before,
        "the checkpoints changed after the loss went NaN"
    );
    // Stopped within epoch 3: neither its validation nor epoch 4 ran.
    let rows = snn_train::run::read_metrics(&run).unwrap();
    let late: Vec<_> = rows
        .iter()
        .filter(|r| r.epoch > 3 || (r.epoch == 3 && r.split == "valid"))
        .collect();
    assert!(late.is_empty(), "training went on after the NaN: {late:?}");
    let resumed = ok(snn_train(&resume_args(
        &data,
        &run,
        &["--epochs", "3", "--lr", "1e-3"],
    )));
    assert!(
        stderr(&resumed).contains("resuming"),
        "{}",
        stderr(&resumed)
    );
    let summary = snn_train::run::RunSummary::load(&run).unwrap();
    assert_eq!(summary.epochs, 3);
    assert!(summary.test_accuracy.is_finite() && summary.test_loss.is_finite());
}

/// `--devices`: several devices need CUDA (Burn 0.22.1's DDP all-reduce), an index must exist and
/// appear once; each refusal is one message and no run directory.
#[test]
fn devices_that_cannot_train_together_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let data = mnist_dir();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--backend", "flex", "--devices", "0,1"],
            "implements for CUDA only",
        ),
        (
            &["--backend", "flex", "--devices", "0,0"],
            "device 0 is named twice",
        ),
        (
            &["--backend", "ndarray", "--devices", "2"],
            "there is no device 2 on --backend ndarray",
        ),
        (&["--backend", "cuda", "--devices", "0,1"], "--backend cuda"),
    ];
    for (flags, expected) in cases {
        let mut args = vec![
            "--out",
            out.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        let result = snn_train(&args);
        let err = stderr(&result);
        assert!(!result.status.success(), "{flags:?} trained");
        assert!(err.contains(expected), "{flags:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{flags:?}: one message, got {err}"
        );
        assert!(!out.exists(), "{flags:?} made the run directory");
    }
}
