//! The firing-rate regulariser (`[train.sparsity]`): with the same seed and data, a run with the
//! penalty fires less than one without, and logs the penalty as its own term.

use std::path::Path;

use crate::common::{ok, train_run};

/// Trains the quick config (1 epoch, 3,000 images) with `extra` appended; returns metrics.csv.
fn run(dir: &Path, name: &str, extra: &str) -> String {
    let config = dir.join(format!("{name}.toml"));
    let quick = std::fs::read_to_string(crate::common::root().join("configs/quick.toml")).unwrap();
    std::fs::write(&config, format!("{quick}\n{extra}")).unwrap();
    let out = dir.join(name);
    let config = config.to_str().unwrap();
    let limits = ["--train-limit", "3000", "--test-limit", "500"];
    let flags = [&["--config", config, "--epochs", "1"][..], &limits].concat();
    ok(train_run("flex", &out, &flags));
    std::fs::read_to_string(out.join("metrics.csv")).unwrap()
}

/// The value of `column` in the row of `split`.
fn value(csv: &str, split: &str, column: &str) -> f64 {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no column {column} in {header:?}"));
    let row = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[1] == split)
        .unwrap_or_else(|| panic!("no {split} row in\n{csv}"));
    row[col].parse().unwrap()
}

#[test]
fn the_regulariser_lowers_the_firing_rate() {
    let dir = tempfile::tempdir().unwrap();
    let none = run(dir.path(), "none", "");
    let l1 = run(dir.path(), "l1", "[train.sparsity]\nweight = 1.0\n");
    let held = run(
        dir.path(),
        "target",
        "[train.sparsity]\nweight = 20.0\ntarget = 0.05\n",
    );
    assert!(!none.contains("sparsity_loss"), "{none}");
    let rate = |csv: &str| value(csv, "valid", "rate_hidden0");
    let (r_none, r_l1, r_held) = (rate(&none), rate(&l1), rate(&held));
    assert!(r_l1 < 0.8 * r_none, "L1: {r_l1} vs {r_none} without");
    assert!(
        r_held < 0.6 * r_none,
        "target 0.05: {r_held} vs {r_none} without"
    );
    // The input is data: the same Poisson spikes in every run.
    assert_eq!(
        value(&none, "valid", "rate_input"),
        value(&l1, "valid", "rate_input")
    );
    // The penalty is its own column: the L1 term equals the train rate (weight 1).
    let term = value(&l1, "train", "sparsity_loss");
    let train_rate = value(&l1, "train", "rate_hidden0");
    assert!(
        (term - train_rate).abs() < 1e-3 * train_rate,
        "{term} vs {train_rate}"
    );
    // Still learning.
    assert!(value(&l1, "valid", "accuracy") > 80.0, "{l1}");
}
