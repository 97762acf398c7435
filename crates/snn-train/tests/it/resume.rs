//! `--resume` after a SIGKILL mid-run continues from the last checkpoint, with its weights;
//! metrics.csv and the TensorBoard events continue without a gap or a duplicate.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{mnist_dir, ok, snn_train, stderr, train_command};
use snn_train::run::{last_checkpoint, read_metrics};

/// The killed run is asked for this many epochs, so it cannot end before the test sees epoch 1
/// checkpointed and kills it, however fast or busy the machine (an epoch here is ≈ 0.15 s on a
/// fast 2-core machine); the resumed run is cut to two epochs past the one it resumes after.
const ASKED_EPOCHS: usize = 100_000;
const TRAIN_IMAGES: usize = 3000;
/// Held out of the training examples for validation.
const VALID_IMAGES: usize = 300;
const BATCH_SIZE: usize = 64;
const TRAIN_BATCHES: usize = TRAIN_IMAGES.div_ceil(BATCH_SIZE);

/// Every `(step, value)` of scalar `tag` across the run's event files, in file order.
fn scalars(run: &Path, tag: &str) -> Vec<(i64, f32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(run).unwrap().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("events.out.tfevents.")
        {
            continue;
        }
        for record in tfevents::read_records(&entry.path()).unwrap() {
            if let Some((step, values)) = tfevents::decode_scalars(&record) {
                out.extend(
                    values
                        .into_iter()
                        .filter(|(t, _)| t == tag)
                        .map(|(_, v)| (step, v)),
                );
            }
        }
    }
    out
}

/// Kills a run as soon as epoch 1 is checkpointed (it polls for the files; no deadline: the run
/// cannot finish first), resumes it for two more epochs, and checks that the resumed run
/// - writes every metrics row and every per-batch and per-epoch scalar exactly once;
/// - starts from the saved weights: a resumed process reseeds, so its first batch is the same
///   images with the same spikes as the run's very first batch. With the checkpoint's weights
///   that batch's loss is far below its loss at step 1 (fresh weights would give exactly the
///   step-1 loss) and close to the losses at the end of the last saved epoch.
#[test]
fn resume_after_sigkill_continues_from_the_saved_weights() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let data = mnist_dir();
    let (images, valid, batch, epochs) = (
        (TRAIN_IMAGES + VALID_IMAGES).to_string(),
        VALID_IMAGES.to_string(),
        BATCH_SIZE.to_string(),
        ASKED_EPOCHS.to_string(),
    );
    let flags: [&str; 12] = [
        "--train-limit",
        &images,
        "--validation",
        &valid,
        "--batch-size",
        &batch,
        "--epochs",
        &epochs,
        "--test-limit",
        "300",
        "--steps",
        "8",
    ];
    let mut child = train_command("flex", &run, &flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill without warning once epoch 1 is checkpointed (all three files) and logged.
    loop {
        let epoch1_done = last_checkpoint(&run).is_some()
            && read_metrics(&run)
                .unwrap()
                .iter()
                .any(|r| r.epoch == 1 && r.split == "valid");
        if epoch1_done {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !run.join("summary.json").exists(),
        "killed too late: the run had finished"
    );

    // The newest complete checkpoint at the kill: epoch 1, or later on a busy machine.
    let saved = last_checkpoint(&run).expect("a checkpoint survives the kill");
    let epochs = saved + 2;
    let out = ok(snn_train(&[
        "--resume",
        run.to_str().unwrap(),
        "--backend",
        "flex",
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        &epochs.to_string(),
    ]));
    let log = stderr(&out);
    assert!(
        log.contains(&format!("after epoch {saved}")),
        "no `resuming … after epoch {saved}` line:\n{log}"
    );

    let rows = read_metrics(&run).unwrap();
    let keys: Vec<(usize, &str)> = rows.iter().map(|r| (r.epoch, r.split.as_str())).collect();
    let mut expected: Vec<(usize, &str)> = (1..=epochs)
        .flat_map(|e| [(e, "train"), (e, "valid")])
        .collect();
    // Then the one test, of the kept epoch's weights.
    let summary = snn_train::run::RunSummary::load(&run).unwrap();
    expected.push((summary.selected_epoch.unwrap(), "test"));
    assert_eq!(keys, expected);
    assert!(run.join("summary.json").is_file() && run.join("model.bpk").is_file());

    // Every epoch scalar and every per-batch loss exists exactly once across the event files.
    let mut epoch_steps: Vec<i64> = scalars(&run, "epoch/train/loss")
        .iter()
        .map(|s| s.0)
        .collect();
    epoch_steps.sort();
    assert_eq!(epoch_steps, (1..=epochs as i64).collect::<Vec<_>>());
    let batch_losses = scalars(&run, "train/loss");
    let loss: BTreeMap<i64, f32> = batch_losses.iter().copied().collect();
    assert_eq!(
        loss.len(),
        batch_losses.len(),
        "a per-batch step was written twice"
    );
    assert_eq!(
        loss.keys().copied().collect::<Vec<_>>(),
        (1..=(epochs * TRAIN_BATCHES) as i64).collect::<Vec<_>>(),
        "per-batch train/loss steps have a gap"
    );

    // The weights the resumed run started from.
    let first = loss[&1];
    let resumed = loss[&((saved * TRAIN_BATCHES) as i64 + 1)];
    let before_kill: f32 = (0..5)
        .map(|i| loss[&((saved * TRAIN_BATCHES - i) as i64)])
        .sum::<f32>()
        / 5.0;
    eprintln!(
        "resumed after epoch {saved}: first batch after resuming {resumed:.4}, the same batch at \
         step 1 {first:.4}, last 5 batches before {before_kill:.4}"
    );
    assert!(
        resumed < 0.7 * first && resumed < 2.0 * before_kill,
        "the first batch after resuming (after epoch {saved}) has loss {resumed}: the same batch \
         had {first} with fresh weights, and the last batches before the kill {before_kill}; \
         resume did not start from the saved weights"
    );
}

/// Checkpoint sets: what a run killed while saving or deleting leaves (hidden scratch
/// directories) is never taken for a checkpoint and is cleaned up; runs of the flat layout
/// (`model-<N>.bpk`, …) resume from their newest epoch with all three files.
#[test]
fn resume_takes_the_newest_committed_checkpoint_set() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("checkpoint");
    std::fs::create_dir_all(&checkpoint).unwrap();
    assert_eq!(last_checkpoint(dir.path()), None);
    let write = |files: &[&str]| {
        for file in files {
            let path = checkpoint.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
    };
    write(&[
        "model-1.bpk",
        "optim-1.bpk",
        "scheduler-1.bpk",
        "model-2.bpk",
        "optim-2.bpk",
    ]);
    assert_eq!(last_checkpoint(dir.path()), Some(1), "flat layout");
    write(&[
        "epoch-3/model.bpk",
        "epoch-3/optim.bpk",
        "epoch-3/scheduler.bpk",
    ]);
    write(&[
        ".epoch-4.partial/model.bpk",
        ".epoch-4.partial/optim.bpk.tmp",
    ]);
    write(&[".epoch-2.deleting/optim.bpk"]);
    assert_eq!(last_checkpoint(dir.path()), Some(3));
    snn_train::run::checkpoint::clean(&checkpoint).unwrap();
    assert!(!checkpoint.join(".epoch-4.partial").exists());
    assert!(!checkpoint.join(".epoch-2.deleting").exists());
    assert!(checkpoint.join("epoch-3/scheduler.bpk").is_file());
    assert!(checkpoint.join("model-1.bpk").is_file());
    assert_eq!(last_checkpoint(dir.path()), Some(3));
}
