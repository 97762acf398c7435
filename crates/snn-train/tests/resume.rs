//! `--resume` after a SIGKILL mid-epoch continues from the last checkpoint; metrics.csv and the
//! TensorBoard events continue without a gap or a duplicate.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{mnist_dir, ok, root, snn_train};
use snn_train::run_dir::read_metrics;

#[test]
fn resume_after_sigkill_continues_without_gap_or_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let data = mnist_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_snn-train"))
        .current_dir(root())
        .args([
            "--backend",
            "flex",
            "--data",
            data.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ])
        .args([
            "--train-limit",
            "3000",
            "--test-limit",
            "300",
            "--epochs",
            "3",
            "--steps",
            "8",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until epoch 1 is checkpointed and epoch 2 has started, then kill without warning.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let epoch1_done = run.join("checkpoint/optim-1.bpk").exists()
            && read_metrics(&run)
                .unwrap()
                .iter()
                .any(|r| r.epoch == 1 && r.split == "valid");
        if epoch1_done {
            std::thread::sleep(Duration::from_millis(300));
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(Instant::now() < deadline, "epoch 1 never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !run.join("summary.json").exists(),
        "killed too late: the run had finished"
    );

    ok(snn_train(&[
        "--resume",
        run.to_str().unwrap(),
        "--backend",
        "flex",
        "--data",
        data.to_str().unwrap(),
    ]));

    let rows = read_metrics(&run).unwrap();
    let keys: Vec<(usize, &str)> = rows.iter().map(|r| (r.epoch, r.split.as_str())).collect();
    assert_eq!(
        keys,
        vec![
            (1, "train"),
            (1, "valid"),
            (2, "train"),
            (2, "valid"),
            (3, "train"),
            (3, "valid")
        ]
    );
    assert!(run.join("summary.json").is_file() && run.join("model.bpk").is_file());
    // Every epoch scalar exists exactly once across the event files.
    let mut epoch_scalars = Vec::new();
    for entry in std::fs::read_dir(&run).unwrap().flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("events.out.tfevents.")
        {
            for record in tfevents::read_records(&entry.path()).unwrap() {
                if let Some((step, values)) = tfevents::decode_scalars(&record) {
                    for (tag, _) in values {
                        if tag == "epoch/train/loss" {
                            epoch_scalars.push(step);
                        }
                    }
                }
            }
        }
    }
    epoch_scalars.sort();
    assert_eq!(epoch_scalars, vec![1, 2, 3]);
}
