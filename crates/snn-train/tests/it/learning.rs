//! The seed configuration learns from its first batches at T = 100, and no readout goes silent.

use crate::common::{ok, train_run};
use snn_train::run::read_metrics;

/// The Python reference reached 78.33% train accuracy in its first epoch.
const REFERENCE_FIRST_EPOCH_ACCURACY: f64 = 78.33;
/// Our full first epoch measured 94.97% on the whole test set (README); a network that trains
/// but does not generalise stays well below, on held-out and on test examples.
const MIN_FIRST_EPOCH_TEST_ACCURACY: f64 = 90.0;

#[test]
fn seed_config_first_epoch_beats_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(train_run(
        "flex",
        &run,
        &[
            "--config",
            "configs/seed.toml",
            "--validation",
            "5000",
            "--epochs",
            "1",
            "--test-limit",
            "1000",
        ],
    ));
    let rows = read_metrics(&run).unwrap();
    let accuracy_of = |split: &str| {
        let row = rows.iter().find(|r| r.split == split).unwrap();
        row.get("accuracy").unwrap()
    };
    let (accuracy, valid, test) = (
        accuracy_of("train"),
        accuracy_of("valid"),
        accuracy_of("test"),
    );
    eprintln!(
        "seed config, first epoch: train accuracy {accuracy:.2}%, validation {valid:.2}% \
         (5,000 held out), test {test:.2}% (first 1000 test images)"
    );
    assert!(
        accuracy >= REFERENCE_FIRST_EPOCH_ACCURACY,
        "first-epoch train accuracy {accuracy:.2}% < {REFERENCE_FIRST_EPOCH_ACCURACY}%"
    );
    for (split, value) in [("validation", valid), ("test", test)] {
        assert!(
            value >= MIN_FIRST_EPOCH_TEST_ACCURACY,
            "first-epoch {split} accuracy {value:.2}% < {MIN_FIRST_EPOCH_TEST_ACCURACY}%"
        );
    }
}

/// 50 batches at T = 100 on each readout: the output keeps firing (spike-count) and the loss
/// leaves ln 10 ≈ 2.30, where a silent output layer would leave it.
#[test]
fn readouts_keep_learning_at_t100() {
    for (readout, output_layer) in [("membrane", false), ("spike-count", true)] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(
            &config,
            format!("[model]\nsteps = 100\n[model.readout]\nkind = \"{readout}\"\n"),
        )
        .unwrap();
        let run = dir.path().join("run");
        ok(train_run(
            "flex",
            &run,
            &[
                "--config",
                config.to_str().unwrap(),
                "--epochs",
                "1",
                "--train-limit",
                "3200",
                "--test-limit",
                "500",
            ],
        ));
        let rows = read_metrics(&run).unwrap();
        let valid = rows.iter().find(|r| r.split == "valid").unwrap();
        let (loss, accuracy) = (valid.get("loss").unwrap(), valid.get("accuracy").unwrap());
        assert!(
            loss < 2.0 && accuracy > 50.0,
            "{readout}: loss {loss}, accuracy {accuracy}%"
        );
        for row in rows.iter().filter(|r| r.split != "test") {
            assert!(
                row.get("rate_hidden0").unwrap() > 0.01,
                "{readout}: hidden layer went silent"
            );
            if output_layer {
                let rate = row.get("rate_output").unwrap();
                assert!(rate > 1e-3, "{readout}: output layer went silent ({rate})");
            }
        }
    }
}
