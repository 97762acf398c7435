//! `snn-train sweep`: a small real sweep (the ANN and two encoders) writes sweep.csv and the
//! Pareto figure; a time budget leaves later runs out and says which (the first always runs), and
//! a budget of zero is refused.

use crate::common::{mnist_dir, ok, root, snn_train, stderr};

fn sweep(out: &std::path::Path, budget: Option<&str>) -> std::process::Output {
    let data = mnist_dir();
    let config = root().join("configs/quick.toml");
    let budget: &[&str] = match budget {
        Some(b) => &["--budget", b],
        None => &[],
    };
    let args = [
        "sweep",
        "--backend",
        "flex",
        "--config",
        config.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--steps",
        "4",
        "--encoders",
        "poisson,latency",
        "--sparsity",
        "0",
        "--images",
        "100",
    ];
    snn_train(&[&args[..], budget].concat())
}

#[test]
fn a_small_sweep_measures_every_run_and_draws_the_front() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let result = ok(sweep(&out, None));
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(!stdout.contains("left out"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(names, ["ann", "t4-poisson-s0", "t4-latency-s0"], "{csv}");
    for row in &rows {
        let accuracy: f64 = row[4].parse().unwrap();
        assert!(accuracy > 50.0, "{csv}");
        let (energy, ann_energy): (f64, f64) = (row[7].parse().unwrap(), row[8].parse().unwrap());
        assert!(energy > 0.0 && ann_energy > 0.0, "{csv}");
    }
    // The ANN's energy is its MACs at 4.6 pJ: 784·256 + 256·10 for the quick config's layers.
    let ann_nj: f64 = rows[0][7].parse().unwrap();
    assert!(
        (ann_nj - (784.0 * 256.0 + 256.0 * 10.0) * 4.6e-3).abs() < 0.01,
        "{csv}"
    );
    // Each SNN run is a normal run directory.
    assert!(out.join("t4-latency-s0/summary.json").is_file());
    assert!(out.join("t4-latency-s0/report.json").is_file());
    for ext in ["png", "svg"] {
        let len = std::fs::metadata(out.join(format!("pareto.{ext}")))
            .unwrap()
            .len();
        assert!(len > 1000, "pareto.{ext}: {len} bytes");
    }
    assert!(
        rows.iter().skip(1).any(|r| r[11] == "true"),
        "no run on the front:\n{csv}"
    );
    // Refuses to write into the finished sweep.
    let again = sweep(&out, None);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
}

#[test]
fn the_budget_leaves_later_runs_out_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    // After the first run any time spent passes 1 ns: the rest are left out, whatever the speed.
    let result = ok(sweep(&out, Some("1ns")));
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains("left out by the 1ns budget: t4-poisson-s0, t4-latency-s0"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let names: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(names, ["ann"], "{csv}");
}

#[test]
fn a_budget_of_zero_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let result = sweep(&out, Some("0s"));
    assert!(!result.status.success());
    assert!(
        stderr(&result).contains("--budget 0s allows no run"),
        "{}",
        stderr(&result)
    );
    assert!(!out.exists());
}

/// The front by hand: (energy, accuracy); c is beaten by b (cheaper and better), e ties d's
/// accuracy at more energy, so the front in order of energy is f, a, b, d.
#[test]
fn the_front_keeps_points_no_other_beats_on_both() {
    use snn_train::sweep::pareto_front;
    let points = [
        (10.0, 90.0), // a
        (20.0, 95.0), // b
        (30.0, 94.0), // c
        (40.0, 97.0), // d
        (50.0, 97.0), // e
        (5.0, 80.0),  // f
    ];
    assert_eq!(pareto_front(&points), vec![5, 0, 1, 3]);
    // Equal energy: only the more accurate of the two.
    assert_eq!(pareto_front(&[(10.0, 90.0), (10.0, 92.0)]), vec![1]);
    assert!(pareto_front(&[]).is_empty());
}
