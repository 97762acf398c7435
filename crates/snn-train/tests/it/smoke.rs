//! End to end on real MNIST: smoke runs on every backend produce every output, and the
//! TensorBoard events agree with metrics.csv (read back by TensorBoard's own reader).

use std::path::Path;
use std::process::Command;

use crate::common::{ok, python, root, smoke_run, snn_train};
use snn_train::run::{RunSummary, read_metrics};

fn assert_outputs(run: &Path, backend: &str, layers: &[&str]) {
    for file in [
        "config.toml",
        "metrics.csv",
        "summary.json",
        "model.bpk",
        "checkpoint/epoch-1/model.bpk",
        "checkpoint/epoch-1/optim.bpk",
        "checkpoint/epoch-1/scheduler.bpk",
    ] {
        assert!(run.join(file).is_file(), "{backend}: {file} missing");
    }
    let rows = read_metrics(run).unwrap();
    let splits: Vec<(usize, &str)> = rows.iter().map(|r| (r.epoch, r.split.as_str())).collect();
    assert_eq!(
        splits,
        [(1, "train"), (1, "valid"), (1, "test")],
        "{backend}: a train and a valid row, then the one test of the kept weights"
    );
    for row in &rows[..2] {
        for col in ["loss", "accuracy", "seconds", "images_per_s"] {
            let v = row
                .get(col)
                .unwrap_or_else(|| panic!("{backend}: no {col}"));
            assert!(v.is_finite() && v > 0.0, "{backend}: {col} = {v}");
        }
        for layer in layers {
            let rate = row.get(&format!("rate_{layer}")).unwrap();
            assert!(rate > 0.0 && rate < 1.0, "{backend}: rate_{layer} = {rate}");
        }
    }
    let summary = RunSummary::load(run).unwrap();
    assert_eq!(summary.backend, backend);
    assert_eq!(summary.epochs, 1);
    assert_eq!(summary.selected_epoch, Some(1));
    assert_eq!(summary.valid_accuracy, rows[1].get("accuracy"));
    assert_eq!(Some(summary.test_accuracy), rows[2].get("accuracy"));
    assert!(
        summary.test_accuracy > 30.0,
        "{backend}: learned nothing: {summary:?}"
    );
    let events: Vec<_> = std::fs::read_dir(run)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .collect();
    assert_eq!(events.len(), 1, "{backend}: one event file");
}

/// TensorBoard's EventAccumulator reads exactly the scalars metrics.csv holds, and one per-batch
/// scalar per metric and batch (steps 1..=batches of the single epoch).
fn check_events_with_tensorboard(run: &Path, train_batches: usize, valid_batches: usize) {
    let mut expected = serde_json::Map::new();
    for (split, batches, metrics) in [
        (
            "train",
            train_batches,
            &["loss", "accuracy", "lr", "rate_input", "rate_hidden0"][..],
        ),
        (
            "valid",
            valid_batches,
            &["loss", "accuracy", "rate_input", "rate_hidden0"][..],
        ),
    ] {
        for metric in metrics {
            let steps: Vec<usize> = (1..=batches).collect();
            expected.insert(format!("{split}/{metric}"), serde_json::json!(steps));
        }
    }
    let json = serde_json::to_string(&expected).unwrap();
    std::fs::write(run.join("expected_steps.json"), json).unwrap();
    let out = Command::new(python())
        .arg(root().join("scripts/check_tfevents.py"))
        .arg(run)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_tfevents.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn smoke_runs_on_cpu_backends_produce_every_output() {
    for backend in ["flex", "ndarray"] {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        ok(smoke_run(backend, &run, &[]));
        assert_outputs(&run, backend, &["input", "hidden0"]);
        // 2000 − 200 held out = 1800 / 64 → 29 train batches, 200 / 64 → 4 valid batches.
        check_events_with_tensorboard(&run, 29, 4);
    }
}

#[test]
fn tiny_run_on_wgpu_produces_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(smoke_run(
        "wgpu",
        &run,
        &[
            "--train-limit",
            "256",
            "--test-limit",
            "128",
            "--batch-size",
            "32",
            "--steps",
            "5",
        ],
    ));
    assert_outputs(&run, "wgpu", &["input", "hidden0"]);
    // 256 − 26 held out = 230 / 32 → 8 train batches, 26 / 32 → 1 valid batch.
    check_events_with_tensorboard(&run, 8, 1);
}

/// Same seed, same metrics; and the same again with batches built on the device (`--data-path
/// device`: the data set uploaded once, batches gathered there), which must not change a bit.
#[test]
fn same_seed_same_backend_gives_identical_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<_> = ["a", "b", "c"].iter().map(|n| dir.path().join(n)).collect();
    for (k, run) in runs.iter().enumerate() {
        let mut flags = vec!["--train-limit", "640", "--test-limit", "256", "--seed", "3"];
        if k == 2 {
            flags.extend(["--data-path", "device"]);
        }
        ok(smoke_run("flex", run, &flags));
    }
    // Bit patterns, so that the test row's unmeasured rates (NaN) compare equal.
    let strip = |run: &Path| -> Vec<Vec<(String, u64)>> {
        read_metrics(run)
            .unwrap()
            .into_iter()
            .map(|r| {
                r.values
                    .into_iter()
                    .filter(|(c, _)| c != "seconds" && c != "images_per_s")
                    .map(|(c, v)| (c, v.to_bits()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(strip(&runs[0]), strip(&runs[1]));
    assert_eq!(strip(&runs[0]), strip(&runs[2]), "device data path");
}

/// `eval` and `predict` on a run that has learned (9,000 images at T = 10, one epoch): eval's
/// test accuracy (on the run's 500 test images, its --test-limit) is far above chance and is
/// exactly the test accuracy training reported for the same weights; `predict` names the true class of most of the first 20 test digits.
#[test]
fn eval_and_predict_use_a_trained_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(smoke_run("flex", &run, &["--train-limit", "10000"]));
    let trained = RunSummary::load(&run).unwrap().test_accuracy;
    let data = crate::common::mnist_dir();
    let text = crate::common::eval_text(&run, &[]);
    assert!(
        text.contains("confusion matrix") && text.contains("(500 images)"),
        "{text}"
    );
    let accuracy: f64 = text
        .split("test accuracy ")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no `test accuracy N%` in:\n{text}"));
    assert!(accuracy >= 70.0, "eval: {accuracy}% on 500 test images");
    assert_eq!(
        format!("{accuracy:.2}"),
        format!("{trained:.2}"),
        "eval on model.bpk vs summary.json's test accuracy, same 500 images"
    );
    // Known test digits written as PNG, then predicted.
    let test = mnist_idx::LabeledImages::load_split(&data, "t10k").unwrap();
    let mut correct = 0;
    for (i, &label) in test.labels.iter().enumerate().take(20) {
        let png = dir.path().join(format!("digit-{i}.png"));
        image::GrayImage::from_raw(28, 28, test.images.image(i).to_vec())
            .unwrap()
            .save(&png)
            .unwrap();
        let out = ok(snn_train(&[
            "predict",
            "--run",
            run.to_str().unwrap(),
            "--backend",
            "flex",
            png.to_str().unwrap(),
        ]));
        let text = String::from_utf8_lossy(&out.stdout);
        let rows: Vec<(usize, f64, bool)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let mut words = l.split_whitespace();
                let class = words.next().unwrap().parse().unwrap();
                let p = words.next().unwrap().parse().unwrap();
                (class, p, l.ends_with("<- predicted"))
            })
            .collect();
        assert_eq!(rows.len(), 10, "{text}");
        assert!(
            (rows.iter().map(|r| r.1).sum::<f64>() - 1.0).abs() < 1e-3,
            "{text}"
        );
        let predicted: Vec<usize> = rows.iter().filter(|r| r.2).map(|r| r.0).collect();
        assert_eq!(predicted.len(), 1, "{text}");
        let best = rows.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0;
        assert_eq!(
            predicted[0], best,
            "the marked class is not the most probable:\n{text}"
        );
        if best == label as usize {
            correct += 1;
        }
    }
    eprintln!(
        "eval {accuracy}% (training measured {trained}%), predict right on {correct} of 20 digits"
    );
    assert!(
        correct >= 14,
        "predict named the true class of {correct} of the first 20 test digits (chance: 2)"
    );
}
