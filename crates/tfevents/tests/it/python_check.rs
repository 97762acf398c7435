//! Cross-check with TensorBoard's own Python readers via `scripts/check_tfevents.py`.
//!
//! Needs a Python with the `tensorboard` package: `$SNN_PYTHON` (set by `scripts/test.sh`,
//! which installs `scripts/requirements.txt` into `target/py-venv`), else `python3`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tfevents::{EventWriter, read_records};

const COLUMNS: [&str; 6] = [
    "loss",
    "accuracy",
    "rate_hidden0",
    "seconds",
    "images_per_s",
    "lr",
];
const EPOCHS: i64 = 3;
const STEPS_PER_EPOCH: i64 = 20;

fn python() -> String {
    let py = std::env::var("SNN_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = Command::new(&py)
        .args(["-c", "import tensorboard"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "{py} cannot import tensorboard: run the tests through scripts/test.sh, or set \
         SNN_PYTHON to a Python with `pip install -r scripts/requirements.txt`"
    );
    py
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check_tfevents.py")
}

fn run_script(args: &[&str]) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(python())
        .arg(script())
        .args(args)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    );
    eprintln!("--- check_tfevents.py {args:?}: {status}\n{out}{err}");
    (status.success(), out, err)
}

fn check(dir: &Path) -> (bool, String, String) {
    run_script(&[dir.to_str().unwrap()])
}

/// The value of `column` for (epoch, split), as the f64 the CSV holds.
fn metric(epoch: i64, split: &str, column: usize) -> f64 {
    let e = epoch as f64;
    let s = if split == "train" { 1.0 } else { 1.1 };
    match column {
        0 => std::f64::consts::LN_10 / (e + 1.0) * s, // not exactly representable in f32
        1 => 0.1 + 0.27 * e / s,
        2 => 0.012_345_678_9 * e,
        3 => 12.345_678_9 * e,
        4 => 48_612.345_6 / e,
        _ => 1e-3 * 0.5f64.powi(epoch as i32),
    }
}

#[derive(Default, Clone, Copy)]
struct Faults {
    wrong_value: bool,
    missing_scalar: bool,
    duplicate_scalar: bool,
    nan_step_scalar: bool,
}

/// Writes `dir/metrics.csv` and one event file like a training run would; returns the file.
fn write_run(dir: &Path, faults: Faults) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    let mut w = EventWriter::create(dir).unwrap();
    let mut csv = format!("epoch,split,{},notes\n", COLUMNS.join(","));
    for epoch in 1..=EPOCHS {
        for i in 0..STEPS_PER_EPOCH {
            let step = (epoch - 1) * STEPS_PER_EPOCH + i;
            let loss = if faults.nan_step_scalar && step == 7 {
                f32::NAN
            } else {
                1.0 / (step as f32 + 1.0)
            };
            w.add_scalar("train/loss", step, loss).unwrap();
            w.add_scalar("train/accuracy", step, 0.5 + step as f32 * 0.001)
                .unwrap();
        }
        for split in ["train", "test"] {
            let tags: Vec<String> = COLUMNS
                .iter()
                .map(|c| format!("epoch/{split}/{c}"))
                .collect();
            let mut vals: Vec<(&str, f32)> = tags
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_str(), metric(epoch, split, i) as f32))
                .collect();
            if faults.wrong_value && epoch == 2 && split == "test" {
                vals[1].1 *= 1.0001;
            }
            if faults.missing_scalar && epoch == 3 && split == "train" {
                vals.pop();
            }
            if faults.duplicate_scalar && epoch == 1 && split == "test" {
                vals.push(vals[0]);
            }
            w.add_scalars(epoch, &vals).unwrap();
            let cells: Vec<String> = (0..COLUMNS.len())
                .map(|i| metric(epoch, split, i).to_string())
                .collect();
            writeln!(csv, "{epoch},{split},{},run-{epoch}", cells.join(",")).unwrap();
        }
        let png = b"\x89PNG\r\n\x1a\n(not decoded by the checker)";
        w.add_image_png("raster/hidden0", epoch, 64, 16, 1, png)
            .unwrap();
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    w.flush().unwrap();
    w.path().to_path_buf()
}

fn base() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tfevents-python-{}", std::process::id()))
}

/// Removes a test's run dir(s) on drop unless the test panicked (kept for inspection).
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            for d in &self.0 {
                let _ = std::fs::remove_dir_all(d);
            }
            let _ = std::fs::remove_dir(base()); // only succeeds once empty
        }
    }
}

#[test]
fn good_run_passes_and_strict_reader_counts_records() {
    let dir = base().join("good");
    let _cleanup = Cleanup(vec![dir.clone()]);
    let file = write_run(&dir, Faults::default());
    let (ok, out, _) = check(&dir);
    assert!(ok && out.contains("check_tfevents: OK"));
    assert!(
        out.contains(&format!(
            "epoch scalars: {0} in file, {0} CSV cells checked",
            2 * EPOCHS * 6
        )),
        "{out}"
    );

    // Strict Python reader (PyRecordReader_New) sees exactly our records.
    let (ok, out, _) = run_script(&["--count-records", file.to_str().unwrap()]);
    assert!(ok);
    let n = read_records(&file).unwrap().len();
    assert_eq!(n as i64, 1 + EPOCHS * (2 * STEPS_PER_EPOCH + 2 + 1));
    assert_eq!(out.trim(), n.to_string());

    // expected_steps.json: count form and step-list form.
    let steps: Vec<i64> = (0..EPOCHS * STEPS_PER_EPOCH).collect();
    let json = format!(
        "{{\"train/loss\": {}, \"train/accuracy\": {steps:?}}}",
        steps.len()
    );
    std::fs::write(dir.join("expected_steps.json"), json).unwrap();
    let (ok, out, _) = check(&dir);
    assert!(ok && out.contains("expected_steps.json: checked"), "{out}");
    std::fs::write(
        dir.join("expected_steps.json"),
        "{\"train/loss\": 59, \"val/loss\": 1}",
    )
    .unwrap();
    let (ok, _, err) = check(&dir);
    assert!(
        !ok && err.contains("train/loss: expected 59 scalars, found 60")
            && err.contains("val/loss"),
        "{err}"
    );
}

#[test]
fn corrupt_file_fails_strict_read() {
    let dir = base().join("corrupt");
    let _cleanup = Cleanup(vec![dir.clone()]);
    let file = write_run(&dir, Faults::default());
    let mut bytes = std::fs::read(&file).unwrap();
    let i = bytes.len() - 10; // inside the last record's payload
    bytes[i] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let (ok, _, err) = check(&dir);
    assert!(
        !ok && err.contains("DataLossError") && err.contains("crc32"),
        "{err}"
    );
    let (ok, _, err) = run_script(&["--count-records", file.to_str().unwrap()]);
    assert!(!ok && err.contains("DataLossError"), "{err}");
    // Truncated file.
    std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
    let (ok, _, err) = check(&dir);
    assert!(!ok && err.contains("truncated"), "{err}");
}

#[test]
fn metric_mismatches_are_reported() {
    let cases: [(&str, Faults, &str); 4] = [
        (
            "wrong",
            Faults {
                wrong_value: true,
                ..Faults::default()
            },
            "epoch/test/accuracy at step 2: event value",
        ),
        (
            "missing",
            Faults {
                missing_scalar: true,
                ..Faults::default()
            },
            "epoch/train/lr at step 3: expected exactly 1 scalar, found 0",
        ),
        (
            "dup",
            Faults {
                duplicate_scalar: true,
                ..Faults::default()
            },
            "epoch/test/loss at step 1: expected exactly 1 scalar, found 2",
        ),
        (
            "nan",
            Faults {
                nan_step_scalar: true,
                ..Faults::default()
            },
            "train/loss: 1 non-finite value(s), first at step 7",
        ),
    ];
    let _cleanup = Cleanup(
        ["wrong", "missing", "dup", "nan", "two-files"]
            .map(|n| base().join(n))
            .to_vec(),
    );
    for (name, faults, needle) in cases {
        let dir = base().join(name);
        write_run(&dir, faults);
        let (ok, _, err) = check(&dir);
        assert!(!ok && err.contains(needle), "{name}: {err}");
    }
    // Two event files in one run dir.
    let dir = base().join("two-files");
    write_run(&dir, Faults::default());
    drop(EventWriter::create(&dir).unwrap());
    let (ok, _, err) = check(&dir);
    assert!(
        !ok && err.contains("expected exactly one events.out.tfevents.* file, found 2"),
        "{err}"
    );
}
