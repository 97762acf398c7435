//! `snn-train sweep`: a small real sweep (the ANN and two encoders) writes sweep.csv and the
//! Pareto figure; a time budget leaves later runs out and says which (the first always runs), and
//! a budget of zero is refused; a planned sweep is run command by command and collected.

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
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(names, ["ann", "t4-poisson-s0", "t4-latency-s0"], "{csv}");
    for row in &rows {
        let accuracy: f64 = row[col("valid_accuracy")].parse().unwrap();
        assert!(accuracy > 50.0, "{csv}");
        let energy: f64 = row[col("energy_nj")].parse().unwrap();
        let ann_energy: f64 = row[col("ann_energy_nj")].parse().unwrap();
        assert!(energy > 0.0 && ann_energy > 0.0, "{csv}");
        // Ranked on validation; the test figure is the run's one test, as its summary says.
        let summary = snn_train::run::RunSummary::load(&out.join(row[0])).unwrap();
        let valid = summary.valid_accuracy.unwrap();
        assert_eq!(row[col("valid_accuracy")], format!("{valid:.2}"), "{csv}");
        let test = summary.test_accuracy;
        assert_eq!(row[col("test_accuracy")], format!("{test:.2}"), "{csv}");
    }
    // The ANN's energy is its MACs at 4.6 pJ: 784·256 + 256·10 for the quick config's layers.
    let ann_nj: f64 = rows[0][col("energy_nj")].parse().unwrap();
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
        rows.iter().skip(1).any(|r| r[col("pareto")] == "true"),
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
    let names = point_names(&csv);
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

/// `--plan` writes one command per point; `--collect` refuses points not finished and points
/// trained with another config, by name, and builds sweep.csv once every point ran as planned.
#[test]
fn a_planned_sweep_runs_elsewhere_and_is_collected_from_its_run_directories() {
    let dir = tempfile::tempdir().unwrap();
    let (out, plan) = (dir.path().join("sweep"), dir.path().join("plan.txt"));
    let (data, config) = (mnist_dir(), root().join("configs/quick.toml"));
    let (data, config) = (data.to_str().unwrap(), config.to_str().unwrap());
    let (out_s, plan_s) = (out.to_str().unwrap(), plan.to_str().unwrap());
    let grid = ["--steps", "4", "--encoders", "poisson", "--sparsity", "0"];
    // A plan file that cannot be written leaves no sweep directory behind.
    let nowhere = dir.path().join("no/such/dir/plan.txt");
    let args = [
        "sweep", "--config", config, "--data", data, "--out", out_s, "--plan",
    ];
    let failed = snn_train(&[&args[..], &[nowhere.to_str().unwrap()], &grid].concat());
    assert!(
        !failed.status.success() && !out.exists(),
        "{}",
        stderr(&failed)
    );
    assert!(stderr(&failed).contains("--plan"), "{}", stderr(&failed));
    ok(snn_train(&[&args[..], &[plan_s], &grid].concat()));
    let text = std::fs::read_to_string(&plan).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (line, name) in lines.iter().zip(["ann", "t4-poisson-s0"]) {
        let end = format!("--out {}", out.join(name).display());
        assert!(
            line.starts_with("snn-train --config ") && line.ends_with(&end),
            "{text}"
        );
    }
    let collect_args = [
        "sweep",
        "--backend",
        "flex",
        "--data",
        data,
        "--images",
        "100",
    ];
    let collect = || snn_train(&[&collect_args[..], &["--collect", out_s]].concat());
    let run_line = |line: &str, extra: &[&str]| {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        ok(snn_train(
            &[&words[..], &["--backend", "flex"], extra].concat(),
        ));
    };

    let early = collect();
    assert!(!early.status.success());
    let needle = "not finished (no summary.json): ann, t4-poisson-s0";
    assert!(stderr(&early).contains(needle), "{}", stderr(&early));
    run_line(lines[0], &[]);
    run_line(lines[1], &["--seed", "12345"]);
    let mismatched = collect();
    assert!(!mismatched.status.success());
    let err = stderr(&mismatched);
    assert!(
        err.contains("trained with another config") && err.ends_with(": t4-poisson-s0\n"),
        "{err}"
    );

    std::fs::remove_dir_all(out.join("t4-poisson-s0")).unwrap();
    run_line(lines[1], &[]);
    ok(collect());
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let names = point_names(&csv);
    assert_eq!(names, ["ann", "t4-poisson-s0"], "{csv}");
    assert!(out.join("pareto.png").is_file());
}

/// The first column of sweep.csv's rows.
fn point_names(csv: &str) -> Vec<&str> {
    (csv.lines().skip(1))
        .map(|l| l.split(',').next().unwrap())
        .collect()
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
