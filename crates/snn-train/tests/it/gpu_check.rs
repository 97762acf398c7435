//! The one-shot GPU check (`scripts/gpu-check.sh`, shipped by `cargo xtask gpu-bundle`), dry-run
//! on wgpu with tiny shapes so it cannot rot; `self-test` and `bench-layer` on their own.

use std::process::Command;

use crate::common::{mnist_dir, root, snn_train, stderr};

#[test]
fn gpu_check_script_dry_runs_on_wgpu() {
    let results = tempfile::tempdir().unwrap();
    let status = Command::new(root().join("scripts/gpu-check.sh"))
        .arg(results.path())
        .env("SNN_TRAIN", env!("CARGO_BIN_EXE_snn-train"))
        .env("MNIST_DIR", mnist_dir())
        .env("CONFIGS", root().join("configs"))
        .env("BACKENDS", "wgpu")
        .env("QUICK", "1")
        .status()
        .expect("gpu-check.sh runs");
    let summary = std::fs::read_to_string(results.path().join("summary.txt")).unwrap_or_default();
    assert!(status.success(), "gpu-check.sh failed:\n{summary}");
    let json = std::fs::read_to_string(results.path().join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("results.json is not JSON ({e}):\n{json}"));
    assert_eq!(results["failed_steps"], 0, "{json}");
    let checks = results["self_test_wgpu"]["checks"].as_array().unwrap();
    assert!(checks.len() >= 10, "{json}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{json}");
    for key in [
        "bench_wgpu_fused",
        "bench_wgpu_fused_host_data",
        "bench_layer_wgpu_reference",
    ] {
        let line = results[key].as_str().unwrap_or_default();
        assert!(line.starts_with("bench"), "{key}: {line:?}");
    }
    // The training step's kernel launches are counted, and the data path is the one asked for.
    let bench = results["bench_wgpu_fused"].as_str().unwrap();
    let launches: f64 = (bench.split_whitespace())
        .find_map(|kv| kv.strip_prefix("launches_per_step="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no launches_per_step in {bench:?}"));
    assert!(launches >= 10.0, "{bench}");
    assert!(bench.contains("data=device"), "{bench}");
    let host = results["bench_wgpu_fused_host_data"].as_str().unwrap();
    assert!(host.contains("data=host"), "{host}");
    assert!(
        results["epoch_summary"]["test_accuracy"].is_number(),
        "{json}"
    );
    // Both epochs' training times are reported: the first pays the kernel compilation.
    for key in ["first_epoch_train_s", "second_epoch_train_s"] {
        assert!(
            results[key].as_f64().is_some_and(|s| s > 0.0),
            "{key}: {json}"
        );
    }
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
