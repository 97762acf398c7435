//! The one-shot GPU check (`scripts/gpu-check.sh`, shipped by `cargo xtask gpu-bundle`), dry-run
//! so it cannot rot: the whole script on flex with tiny shapes (every step, the results it
//! gathers), and what only a cube backend shows (the self-test's checks, kernel launches counted,
//! batches built on the device, the layer benchmark) once on wgpu through lavapipe, where each
//! process pays kernel compilation and autotuning. `self-test` and `bench-layer` on their own.

use std::process::Command;

use crate::common::{mnist_dir, root, snn_train, stderr};

#[test]
fn gpu_check_script_dry_runs_every_step() {
    let results = tempfile::tempdir().unwrap();
    let status = Command::new(root().join("scripts/gpu-check.sh"))
        .arg(results.path())
        .env("SNN_TRAIN", env!("CARGO_BIN_EXE_snn-train"))
        .env("MNIST_DIR", mnist_dir())
        .env("CONFIGS", root().join("configs"))
        .env("BACKENDS", "flex")
        .env("QUICK", "1")
        .status()
        .expect("gpu-check.sh runs");
    let summary = std::fs::read_to_string(results.path().join("summary.txt")).unwrap_or_default();
    assert!(status.success(), "gpu-check.sh failed:\n{summary}");
    let json = std::fs::read_to_string(results.path().join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("results.json is not JSON ({e}):\n{json}"));
    assert_eq!(results["failed_steps"], 0, "{json}");
    let checks = results["self_test_flex"]["checks"].as_array().unwrap();
    assert!(checks.len() >= 10, "{json}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{json}");
    for key in [
        "bench_flex_fused",
        "bench_flex_reference",
        "bench_flex_fused_host_data",
        "bench_layer_flex_fused",
        "bench_layer_flex_reference",
    ] {
        let line = results[key].as_str().unwrap_or_default();
        assert!(line.starts_with("bench"), "{key}: {line:?}");
    }
    assert!(
        results["bench_flex_fused_host_data"]
            .as_str()
            .unwrap()
            .contains("data=host"),
        "{json}"
    );
    assert!(
        results["epoch_summary"]["test_accuracy"].is_number(),
        "{json}"
    );
    // Both epochs' training times are reported: on a GPU the first pays the kernel compilation.
    for key in ["first_epoch_train_s", "second_epoch_train_s"] {
        assert!(
            results[key].as_f64().is_some_and(|s| s > 0.0),
            "{key}: {json}"
        );
    }
}

/// The script's wgpu steps, each in its own process as the script runs them: the self-test's
/// checks pass, the training step's kernel launches are counted with batches built on the device,
/// and the layer benchmark runs.
#[test]
fn gpu_check_steps_run_on_wgpu() {
    let out = snn_train(&["self-test", "--backend", "wgpu", "--no-timing"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("all 19 checks passed"), "{stdout}");

    let data = mnist_dir();
    let quick = [
        "--warmup",
        "1",
        "--repeats",
        "1",
        "--batches",
        "1",
        "--steps",
        "10",
    ];
    let args = [
        "bench",
        "--backend",
        "wgpu",
        "--config",
        "configs/seed.toml",
        "--data",
    ];
    let out = snn_train(
        &[
            &args[..],
            &[data.to_str().unwrap()],
            &quick,
            &["--batch-size", "16"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bench = String::from_utf8_lossy(&out.stdout).into_owned();
    let launches: f64 = (bench.split_whitespace())
        .find_map(|kv| kv.strip_prefix("launches_per_step="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no launches_per_step in {bench:?}"));
    assert!(launches >= 10.0, "{bench}");
    assert!(bench.contains("data=device"), "{bench}");

    let layer = [
        "--neurons",
        "256",
        "--steps",
        "20",
        "--batch",
        "4",
        "--warmup",
        "0",
        "--repeats",
        "1",
    ];
    let args = ["bench-layer", "--backend", "wgpu", "--lif", "reference"];
    let out = snn_train(&[&args[..], &layer].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("bench"));
}

#[test]
fn self_test_passes_on_flex_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("self-test.json");
    let out = snn_train(&[
        "self-test",
        "--backend",
        "flex",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("all 19 checks passed"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let timing = &report["lif_timing"];
    assert!(timing["fused_ms"].as_f64().unwrap() > 0.0, "{report}");
    assert!(timing["speedup"].as_f64().unwrap() > 0.0, "{report}");
}

#[test]
fn bench_layer_times_the_linear_lif_layer() {
    let out = snn_train(&[
        "bench-layer",
        "--backend",
        "flex",
        "--neurons",
        "64",
        "--steps",
        "20",
        "--batch",
        "4",
        "--repeats",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ms: f64 = stdout
        .split_whitespace()
        .find_map(|f| f.strip_prefix("median_ms="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no median_ms in {stdout:?}"));
    assert!(ms > 0.0, "{stdout}");
    let out = snn_train(&["bench-layer", "--backend", "flex", "--repeats", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--repeats"), "{}", stderr(&out));
}
