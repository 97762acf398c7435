//! The validation protocol: examples held out of the training set (stratified, seeded, disjoint
//! from those trained on), the epoch kept chosen on them, the test set run once at the end, and
//! a diverging loss stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::{eval_text, mnist_dir, ok, snn_train, stderr, train_run};
use snn_train::data::holdout::hold_out;
use snn_train::run::{RunSummary, read_metrics};
use snn_train::train::select::{BestKeeper, ValidEpoch};

/// The first 6,000 MNIST training labels.
fn labels() -> Vec<u8> {
    let mut data = mnist_idx::LabeledImages::load_split(&mnist_dir(), "train").unwrap();
    data.truncate(6000);
    data.labels.clone()
}

/// Held-out and trained-on examples never overlap and together are all of them; each class
/// gives its share (within one example of `count · n_c / n`); the same seed gives the same
/// split and another seed another one. The split is computed from the labels alone, on the
/// host, before any backend is involved, so it is the same on every backend.
#[test]
fn held_out_examples_are_stratified_disjoint_and_seeded() {
    let labels = labels();
    let count = 600;
    let split = hold_out(&labels, count, 42);
    assert_eq!(split.valid.len(), count);
    let valid: BTreeSet<usize> = split.valid.iter().copied().collect();
    let train: BTreeSet<usize> = split.train.iter().copied().collect();
    assert_eq!(valid.len(), count, "an example held out twice");
    assert!(
        valid.is_disjoint(&train),
        "an example both held out and trained on"
    );
    assert_eq!(valid.len() + train.len(), labels.len());
    let mut per_class: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        let entry = per_class.entry(l).or_default();
        entry.0 += 1;
        entry.1 += usize::from(valid.contains(&i));
    }
    for (class, (n, held)) in per_class {
        let share = (count * n) as f64 / labels.len() as f64;
        assert!(
            (held as f64 - share).abs() < 1.0,
            "class {class}: {held} held out of {n}, its share is {share:.2}"
        );
    }
    assert_eq!(
        hold_out(&labels, count, 42),
        split,
        "same seed, another split"
    );
    assert_ne!(
        hold_out(&labels, count, 43).valid,
        split.valid,
        "the seed is not used"
    );
}

/// A hold-out that leaves nothing to train on, a fraction out of range, and choosing the best
/// validation epoch without validation examples are refused before anything is written.
#[test]
fn impossible_validation_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let flags = [
        "--train-limit",
        "2000",
        "--validation",
        "5000",
        "--epochs",
        "1",
    ];
    let out = train_run("flex", &run, &flags);
    let err = stderr(&out);
    assert!(!out.status.success() && !run.exists(), "{err}");
    for needle in [
        "data.validation",
        "--validation",
        "5000 of the 2000 training examples",
    ] {
        assert!(err.contains(needle), "message lacks {needle:?}:\n{err}");
    }

    let out = train_run("flex", &run, &["--validation", "1.5", "--epochs", "1"]);
    let err = stderr(&out);
    assert!(!out.status.success() && !run.exists(), "{err}");
    assert!(err.contains("strictly between 0 and 1"), "{err}");

    let config = dir.path().join("text.toml");
    std::fs::write(&config, "[data]\nvalidation = \"most\"\n").unwrap();
    let out = train_run("flex", &run, &["--config", config.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(!out.status.success() && !run.exists(), "{err}");
    assert!(err.contains("a count of examples (e.g. 5000"), "{err}");

    let out = train_run("flex", &run, &["--validation", "0", "--epochs", "1"]);
    let err = stderr(&out);
    assert!(!out.status.success() && !run.exists(), "{err}");
    assert!(
        err.contains("train.select") && err.contains("\"last\""),
        "{err}"
    );
}

/// Direct input (no random spikes), so the accuracy of a set of weights on the held-out
/// examples is the same however often it is measured.
const DIRECT_CONFIG: &str = "[model]\nhidden = [64]\nsteps = 4\n[model.encoder]\nkind = \
     \"direct\"\n[train]\nbatch_size = 50\n";

/// With `select = "best-valid"` the kept weights are those of the best validation epoch (highest
/// accuracy, ties by loss), also across a resume: two good epochs, then two more resumed at a
/// learning rate of 1 that wrecks the network. `eval --split valid` on `model.bpk`, and on the
/// best epoch's checkpoint, gives that epoch's validation accuracy, not the last epoch's.
#[test]
fn best_valid_keeps_the_weights_of_the_best_validation_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("direct.toml");
    std::fs::write(&config, DIRECT_CONFIG).unwrap();
    let run = dir.path().join("run");
    let flags = [
        "--config",
        config.to_str().unwrap(),
        "--train-limit",
        "1300",
        "--validation",
        "500",
        "--test-limit",
        "300",
        "--epochs",
        "2",
        "--lr",
        "1e-2",
    ];
    ok(train_run("flex", &run, &flags));
    let data = mnist_dir();
    let (run_s, data_s) = (run.to_str().unwrap(), data.to_str().unwrap());
    let resume = ["--backend", "flex", "--data", data_s, "--resume", run_s];
    ok(snn_train(
        &[&resume[..], &["--epochs", "4", "--lr", "1"]].concat(),
    ));

    let valid: Vec<(usize, f64, f64)> = (read_metrics(&run).unwrap().iter())
        .filter(|r| r.split == "valid")
        .map(|r| (r.epoch, r.get("accuracy").unwrap(), r.get("loss").unwrap()))
        .collect();
    assert_eq!(valid.len(), 4, "{valid:?}");
    // The rule, by hand: highest accuracy, then lowest loss, then earliest.
    let mut best = valid[0];
    for &v in &valid[1..] {
        if v.1 > best.1 || (v.1 == best.1 && v.2 < best.2) {
            best = v;
        }
    }
    let last = valid[3];
    assert!(
        best.1 > last.1 + 10.0,
        "precondition: learning rate 1 did not wreck the last epochs ({valid:?})"
    );
    let summary = RunSummary::load(&run).unwrap();
    assert_eq!(summary.selected_epoch, Some(best.0), "{valid:?}");
    assert_eq!(summary.valid_accuracy, Some(best.1));

    let printed = format!("{:.2}", best.1);
    assert_eq!(
        eval_valid(&run),
        printed,
        "model.bpk is not the best epoch's ({valid:?})"
    );
    // Kept: the best epoch and the last two; the others were deleted.
    let mut kept: Vec<String> = std::fs::read_dir(run.join("checkpoint"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    let mut expected: Vec<String> = [best.0, 3, 4]
        .iter()
        .map(|e| format!("epoch-{e}"))
        .collect();
    expected.dedup();
    assert_eq!(kept, expected, "checkpoints kept ({valid:?})");
    let checkpoint = run.join(format!("checkpoint/epoch-{}/model.bpk", best.0));
    std::fs::copy(&checkpoint, run.join("model.bpk")).unwrap();
    assert_eq!(eval_valid(&run), printed, "the best epoch's checkpoint");
}

/// `[train] patience = 1`: two good epochs, then, resumed at a learning rate of 1 for up to ten
/// more, the run stops within two epochs of its best (the rows it decides on can lag one epoch)
/// and keeps the best.
#[test]
fn patience_stops_a_run_that_no_longer_improves() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("patient.toml");
    std::fs::write(&config, format!("{DIRECT_CONFIG}patience = 1\n")).unwrap();
    let run = dir.path().join("run");
    let limits = [
        "--train-limit",
        "1300",
        "--validation",
        "500",
        "--test-limit",
        "300",
    ];
    let flags = [
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        "2",
        "--lr",
        "1e-2",
    ];
    ok(train_run("flex", &run, &[&flags[..], &limits].concat()));
    let data = mnist_dir();
    let (run_s, data_s) = (run.to_str().unwrap(), data.to_str().unwrap());
    let resume = ["--backend", "flex", "--data", data_s, "--resume", run_s];
    ok(snn_train(
        &[&resume[..], &["--epochs", "12", "--lr", "1"]].concat(),
    ));
    let summary = RunSummary::load(&run).unwrap();
    let best = summary.selected_epoch.unwrap();
    assert!(
        summary.epochs < 12 && summary.epochs > best && summary.epochs <= best + 2,
        "trained {} epochs, best {best}: {summary:?}",
        summary.epochs
    );
}

/// The checkpoints kept while training when each epoch's validation row arrives one epoch late
/// (Burn logs asynchronously): the epoch that ends up best is never given up, even when its row
/// is not there yet as it is checkpointed, and every other epoch is given up once its row shows
/// it is not the best. Epoch 4 ties epoch 2's accuracy at a higher loss, epoch 6 ties it exactly
/// (the earlier wins), so the best is 2.
#[test]
fn the_best_epochs_checkpoint_survives_rows_that_arrive_late() {
    let rows: Vec<ValidEpoch> = [
        (90.0, 0.5),
        (95.0, 0.3),
        (94.0, 0.3),
        (95.0, 0.35),
        (93.0, 0.4),
        (95.0, 0.3),
    ]
    .iter()
    .enumerate()
    .map(|(i, &(accuracy, loss))| ValidEpoch {
        epoch: i + 1,
        accuracy,
        loss,
    })
    .collect();
    let mut keeper = BestKeeper::default();
    let mut given_up = Vec::new();
    for epoch in 1..=rows.len() {
        // When epoch N is checkpointed only the rows of epochs before it are logged.
        given_up.extend(keeper.update(epoch, &rows[..epoch - 1]));
        assert!(
            !given_up.contains(&2),
            "epoch 2 given up at epoch {epoch}: {given_up:?}"
        );
    }
    // The run is over: every row is there.
    given_up.extend(keeper.update(rows.len(), &rows));
    given_up.sort_unstable();
    assert_eq!(given_up, [1, 3, 4, 5, 6]);
}

/// The validation accuracy `eval --split valid` prints for `run`, as printed.
fn eval_valid(run: &Path) -> String {
    let text = eval_text(run, &["--split", "valid"]);
    let value = text
        .split("valid accuracy ")
        .nth(1)
        .and_then(|r| r.split('%').next());
    value
        .unwrap_or_else(|| panic!("no `valid accuracy N%` in:\n{text}"))
        .to_string()
}

/// `data.validation = 0` (how figures were measured before): the per-epoch pass runs on the test
/// set and is labelled `test`, nothing is held out, and the last epoch is kept.
#[test]
fn no_validation_validates_on_the_test_set_labelled_test() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("none.toml");
    let text = format!("{DIRECT_CONFIG}select = \"last\"\n[data]\nvalidation = 0\n");
    std::fs::write(&config, text).unwrap();
    let run = dir.path().join("run");
    let flags = ["--config", config.to_str().unwrap(), "--validation", "0"];
    let limits = [
        "--train-limit",
        "500",
        "--test-limit",
        "200",
        "--epochs",
        "2",
    ];
    ok(train_run("flex", &run, &[&flags[..], &limits].concat()));
    let rows = read_metrics(&run).unwrap();
    let keys: Vec<(usize, &str)> = rows.iter().map(|r| (r.epoch, r.split.as_str())).collect();
    assert_eq!(keys, [(1, "train"), (1, "test"), (2, "train"), (2, "test")]);
    let summary = RunSummary::load(&run).unwrap();
    assert_eq!(summary.validation_examples, Some(0));
    assert_eq!(summary.selected_epoch, Some(2));
    // Direct input: the last per-epoch test pass and the final test measure the same weights.
    assert_eq!(Some(summary.test_accuracy), rows[3].get("accuracy"));
}

/// A learning rate of 1e30 makes the loss explode but stay finite; the run stops within its
/// first epoch with one message naming the epoch, batch, loss and learning rate, and writes no
/// weights or summary.
#[test]
fn a_diverging_loss_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let flags = [
        "--train-limit",
        "2000",
        "--test-limit",
        "100",
        "--epochs",
        "2",
    ];
    let out = train_run(
        "flex",
        &run,
        &[&flags[..], &["--steps", "10", "--lr", "1e30"]].concat(),
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in [
        "the loss diverged",
        "at epoch 1, batch",
        "lr = 1e30",
        "no epoch had finished",
    ] {
        assert!(err.contains(needle), "message lacks {needle:?}:\n{err}");
    }
    assert!(!run.join("model.bpk").exists() && !run.join("summary.json").exists());
    // The broken epoch's training row is logged as far as it went; nothing was validated.
    let rows = read_metrics(&run).unwrap();
    let late: Vec<_> = (rows.iter())
        .filter(|r| r.epoch > 1 || r.split != "train")
        .collect();
    assert!(
        late.is_empty(),
        "training went on after the loss diverged: {late:?}"
    );
}
