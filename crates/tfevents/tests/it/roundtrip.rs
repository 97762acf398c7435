//! Write events with `EventWriter`, read them back strictly with `read_records`.

use std::path::{Path, PathBuf};

use tfevents::{EventWriter, TfEventsError, ValueData, decode_event, decode_scalars, read_records};

/// A fresh, empty directory under cargo's per-target tmp dir; removed on drop unless
/// the test panicked (kept for inspection).
struct TestDir(PathBuf);

impl Drop for TestDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn fresh_dir(name: &str) -> TestDir {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tfevents-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    TestDir(dir)
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot-really-a-png-but-bytes-are-bytes\x00\xff";

fn write_sample(dir: &Path) -> PathBuf {
    let mut w = EventWriter::create(dir).unwrap();
    w.add_scalar("train/loss", 0, std::f32::consts::LN_10)
        .unwrap();
    w.add_scalar("train/loss", 1, 1.5).unwrap();
    w.add_scalar("train/loss", 1_000_000_000_000, f32::MIN_POSITIVE)
        .unwrap();
    w.add_scalars(
        3,
        &[("epoch/test/loss", 0.75), ("epoch/test/accuracy", 0.9125)],
    )
    .unwrap();
    w.add_scalars(4, &[]).unwrap(); // writes nothing
    w.add_image_png("raster/hidden0", 3, 280, 28, 1, PNG)
        .unwrap();
    w.flush().unwrap();
    w.path().to_path_buf()
}

#[test]
fn roundtrip_scalars_and_image() {
    let root = fresh_dir("roundtrip");
    let dir = root.0.join("nested/run"); // create() makes parents
    let path = write_sample(&dir);
    assert_eq!(path.parent(), Some(dir.as_path()));

    let name = path.file_name().unwrap().to_str().unwrap();
    let parts: Vec<&str> = name
        .strip_prefix("events.out.tfevents.")
        .unwrap()
        .split('.')
        .collect();
    assert_eq!(parts[0].len(), 10, "{name}");
    assert!(parts[0].bytes().all(|b| b.is_ascii_digit()), "{name}");
    assert_eq!(
        parts[parts.len() - 2],
        std::process::id().to_string(),
        "{name}"
    );
    assert!(parts[parts.len() - 1].parse::<u64>().is_ok(), "{name}");

    let records = read_records(&path).unwrap();
    assert_eq!(records.len(), 1 + 3 + 1 + 1);

    let first = decode_event(&records[0]).unwrap();
    assert_eq!(first.file_version.as_deref(), Some("brain.Event:2"));
    assert!(first.values.is_empty());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        first.wall_time > 1.6e9 && first.wall_time <= now,
        "{}",
        first.wall_time
    );

    let scalars: Vec<_> = records[1..5]
        .iter()
        .map(|r| decode_scalars(r).unwrap())
        .collect();
    let expect = vec![
        (0, vec![("train/loss".to_owned(), std::f32::consts::LN_10)]),
        (1, vec![("train/loss".to_owned(), 1.5)]),
        (
            1_000_000_000_000,
            vec![("train/loss".to_owned(), f32::MIN_POSITIVE)],
        ),
        (
            3,
            vec![
                ("epoch/test/loss".to_owned(), 0.75),
                ("epoch/test/accuracy".to_owned(), 0.9125),
            ],
        ),
    ];
    assert_eq!(scalars, expect); // exact f32 equality

    let img = decode_event(&records[5]).unwrap();
    assert_eq!(img.step, 3);
    assert_eq!(img.values.len(), 1);
    assert_eq!(img.values[0].tag, "raster/hidden0");
    assert_eq!(
        img.values[0].data,
        ValueData::Image {
            height: 28,
            width: 280,
            colorspace: 1,
            encoded: PNG.to_vec()
        }
    );
    assert_eq!(decode_scalars(&records[5]), None);
    // wall times are non-decreasing
    let times: Vec<f64> = records
        .iter()
        .map(|r| decode_event(r).unwrap().wall_time)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn drop_flushes() {
    let tmp = fresh_dir("drop");
    let dir = &tmp.0;
    let path = {
        let mut w = EventWriter::create(dir).unwrap();
        w.add_scalar("a", 7, 1.0).unwrap();
        w.path().to_path_buf()
    };
    let records = read_records(&path).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        decode_scalars(&records[1]),
        Some((7, vec![("a".to_owned(), 1.0)]))
    );
}

#[test]
fn flipped_byte_is_a_crc_error() {
    let tmp = fresh_dir("flip");
    let dir = &tmp.0;
    let path = write_sample(dir);
    let good = std::fs::read(&path).unwrap();
    let n = read_records(&path).unwrap().len();
    // Flip every byte position in turn: each must be detected (CRC or, for a length byte
    // whose CRC happens to collide, truncation) and never silently accepted.
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x20;
        std::fs::write(&path, &bad).unwrap();
        let err = read_records(&path).expect_err(&format!("flip at byte {i} accepted"));
        let msg = err.to_string();
        assert!(msg.contains(path.to_str().unwrap()), "{msg}");
        match err {
            TfEventsError::Crc { index, .. } | TfEventsError::Truncated { index, .. } => {
                assert!(index < n)
            }
            other => panic!("unexpected error {other}"),
        }
    }
    // A data byte of record 1 (record 0 is 16 + its payload bytes long).
    let rec0 = read_records_ok(&good, &path).0;
    let mut bad = good.clone();
    bad[rec0 + 12] ^= 0x01;
    std::fs::write(&path, &bad).unwrap();
    let err = read_records(&path).unwrap_err();
    assert!(
        matches!(
            err,
            TfEventsError::Crc {
                index: 1,
                part: "data",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("record 1"), "{err}");
}

/// (length in bytes of record 0's frame, record count) of a good file's bytes.
fn read_records_ok(bytes: &[u8], path: &Path) -> (usize, usize) {
    std::fs::write(path, bytes).unwrap();
    let recs = read_records(path).unwrap();
    (16 + recs[0].len(), recs.len())
}

#[test]
fn two_writers_in_one_dir_get_different_files() {
    let tmp = fresh_dir("two");
    let dir = &tmp.0;
    let mut a = EventWriter::create(dir).unwrap();
    let mut b = EventWriter::create(dir).unwrap();
    assert_ne!(a.path(), b.path());
    a.add_scalar("x", 1, 1.0).unwrap();
    b.add_scalar("x", 1, 2.0).unwrap();
    a.flush().unwrap();
    b.flush().unwrap();
    assert_eq!(
        decode_scalars(&read_records(a.path()).unwrap()[1]),
        Some((1, vec![("x".into(), 1.0)]))
    );
    assert_eq!(
        decode_scalars(&read_records(b.path()).unwrap()[1]),
        Some((1, vec![("x".into(), 2.0)]))
    );
    let files = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(files, 2);
}

#[test]
fn errors_name_the_file() {
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir/events.out.tfevents.x");
    let err = read_records(&missing).unwrap_err();
    assert!(matches!(err, TfEventsError::Io { .. }));
    assert!(err.to_string().contains("no-such-dir"), "{err}");

    let tmp = fresh_dir("invalid");
    let dir = &tmp.0;
    let mut w = EventWriter::create(dir).unwrap();
    let err = w.add_image_png("img", 0, u32::MAX, 1, 1, PNG).unwrap_err();
    assert!(matches!(err, TfEventsError::InvalidArgument { .. }));
    assert!(
        err.to_string().contains(w.path().to_str().unwrap()),
        "{err}"
    );
    w.flush().unwrap();
    assert_eq!(
        read_records(w.path()).unwrap().len(),
        1,
        "nothing written on error"
    );
}

/// `retain_scalars` keeps the scalar records the predicate accepts and every other record, drops
/// a record cut short by a crash (and what follows it), and leaves other files alone.
#[test]
fn retain_scalars_cuts_back_to_what_the_predicate_keeps() {
    let root = fresh_dir("retain");
    let path = write_sample(&root.0);
    // A crash in the middle of the next record: its first 7 bytes only.
    let mut bytes = std::fs::read(&path).unwrap();
    let mut extra = Vec::new();
    tfevents::framing::write_record(&mut extra, b"one more record").unwrap();
    bytes.extend_from_slice(&extra[..7]);
    std::fs::write(&path, &bytes).unwrap();
    let other = root.0.join("notes.txt");
    std::fs::write(&other, b"not an event file").unwrap();

    // Keep train/loss up to step 1 and no epoch scalar.
    tfevents::retain_scalars(&root.0, |tag, step| tag == "train/loss" && step <= 1).unwrap();
    let records = read_records(&path).unwrap();
    let scalars: Vec<(i64, Vec<(String, f32)>)> =
        records.iter().filter_map(|r| decode_scalars(r)).collect();
    assert_eq!(
        scalars,
        vec![
            (0, vec![("train/loss".to_string(), std::f32::consts::LN_10)]),
            (1, vec![("train/loss".to_string(), 1.5)]),
        ]
    );
    // The file-version record and the image stay; the torn record is gone.
    let images = (records.iter().filter_map(|r| decode_event(r)))
        .flat_map(|e| e.values)
        .filter(|v| matches!(v.data, ValueData::Image { .. }))
        .count();
    assert_eq!(images, 1);
    assert_eq!(records.len(), 1 + 2 + 1, "version, two scalars, the image");
    assert_eq!(std::fs::read(&other).unwrap(), b"not an event file");
    // No scratch file is left beside it.
    let names: Vec<String> = (std::fs::read_dir(&root.0).unwrap().flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
