//! The IDX reader on the real MNIST files and on crafted bad inputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use mnist_idx::{IdxError, LabeledImages, parse_images, parse_labels, read_images, read_labels};

/// Real MNIST: `$MNIST_DIR`, else the workspace's `data/mnist`, else `../shared/data/mnist`.
fn mnist_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("MNIST_DIR").map(PathBuf::from),
        Some(root.join("data/mnist")),
        Some(root.join("../shared/data/mnist")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| {
            d.join("t10k-labels-idx1-ubyte").exists()
                || d.join("t10k-labels-idx1-ubyte.gz").exists()
        })
        .expect("real MNIST not found: run `cargo xtask fetch-mnist` or set MNIST_DIR")
}

fn images_file(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..pixels).map(|i| i as u8));
    b
}

fn labels_file(count: u32, labels: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend(count.to_be_bytes());
    b.extend((0..labels).map(|i| (i % 10) as u8));
    b
}

#[test]
fn reads_real_mnist_train_and_test() {
    let dir = mnist_dir();
    let train = LabeledImages::load_split(&dir, "train").unwrap();
    assert_eq!(
        (train.images.count, train.images.rows, train.images.cols),
        (60000, 28, 28)
    );
    assert_eq!(train.images.pixels.len(), 47_040_000);
    assert_eq!(train.num_classes(), 10);
    let test = LabeledImages::load_split(&dir, "t10k").unwrap();
    assert_eq!(test.len(), 10000);
    // The first training digit of MNIST is a 5; the first test digit a 7.
    assert_eq!((train.labels[0], test.labels[0]), (5, 7));
    let mean = train.images.image(0).iter().map(|&p| p as f64).sum::<f64>() / 784.0;
    assert!(mean > 10.0 && mean < 100.0, "first image mean {mean}");
}

#[test]
fn gzip_and_raw_give_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let raw = images_file(3, 4, 5, 60);
    std::fs::write(dir.path().join("a"), &raw).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    std::fs::write(dir.path().join("a.gz"), gz.finish().unwrap()).unwrap();
    let a = read_images(&dir.path().join("a")).unwrap();
    let b = read_images(&dir.path().join("a.gz")).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.count, a.rows, a.cols), (3, 4, 5));
    assert_eq!(a.image(2), &raw[16 + 40..16 + 60]);
}

#[test]
fn not_hard_wired_to_mnist_shapes() {
    let imgs = parse_images("x", images_file(2, 32, 16, 2 * 32 * 16)).unwrap();
    assert_eq!((imgs.rows, imgs.cols, imgs.image_len()), (32, 16, 512));
    let mut labels = labels_file(3, 3);
    labels[10] = 46; // EMNIST-style 47 classes
    assert_eq!(parse_labels("y", labels).unwrap(), vec![0, 1, 46]);
}

#[test]
fn wrong_magic() {
    let err = parse_images("train-images-idx3-ubyte", labels_file(2, 2)).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::BadMagic {
                found: 0x801,
                expected: 0x803,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("train-images-idx3-ubyte: wrong magic number 0x00000801"),
        "{err}"
    );
    let err = parse_labels("l", images_file(1, 1, 1, 1)).unwrap_err();
    assert!(matches!(err, IdxError::BadMagic { .. }), "{err}");
}

#[test]
fn truncated_header() {
    let err = parse_images("imgs", images_file(1, 2, 2, 4)[..10].to_vec()).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::TruncatedHeader {
                needed: 16,
                got: 10,
                ..
            }
        ),
        "{err}"
    );
    let err = parse_labels("lbls", vec![0, 0, 8]).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::TruncatedHeader {
                needed: 4,
                got: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn truncated_pixels() {
    let err =
        parse_images("train-images-idx3-ubyte", images_file(60000, 28, 28, 1234)).unwrap_err();
    assert!(
        matches!(err, IdxError::Truncated { got: 1234, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "train-images-idx3-ubyte: truncated: header says 60000 images of 28x28, file holds 1234 bytes of pixels"
    );
    let err = parse_labels("l", labels_file(10, 9)).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { got: 9, .. }), "{err}");
}

#[test]
fn extra_trailing_bytes() {
    let err = parse_images("i", images_file(2, 2, 2, 9)).unwrap_err();
    assert!(
        matches!(err, IdxError::TrailingBytes { extra: 1, .. }),
        "{err}"
    );
    let err = parse_labels("l", labels_file(2, 5)).unwrap_err();
    assert!(
        matches!(err, IdxError::TrailingBytes { extra: 3, .. }),
        "{err}"
    );
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty-idx3-ubyte");
    std::fs::write(&path, b"").unwrap();
    let err = read_images(&path).unwrap_err();
    assert!(matches!(err, IdxError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("empty-idx3-ubyte"), "{err}");
}

#[test]
fn zero_dimension() {
    let err = parse_images("i", images_file(5, 0, 28, 0)).unwrap_err();
    assert!(matches!(err, IdxError::ZeroDimension { .. }), "{err}");
}

#[test]
fn count_mismatch_between_images_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x-images-idx3-ubyte"),
        images_file(3, 2, 2, 12),
    )
    .unwrap();
    std::fs::write(dir.path().join("x-labels-idx1-ubyte"), labels_file(4, 4)).unwrap();
    let err = LabeledImages::load_split(dir.path(), "x").unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::CountMismatch {
                images: 3,
                labels: 4,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("x-images-idx3-ubyte holds 3 images"),
        "{err}"
    );
}

#[test]
fn missing_and_corrupt_gzip_files() {
    let dir = tempfile::tempdir().unwrap();
    let err = LabeledImages::load_split(dir.path(), "train").unwrap_err();
    assert!(matches!(err, IdxError::NotFound { .. }), "{err}");
    let path = dir.path().join("bad.gz");
    std::fs::write(&path, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let err = read_labels(&path).unwrap_err();
    assert!(matches!(err, IdxError::Gzip { .. }), "{err}");
    let err = read_labels(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(err, IdxError::Io { .. }), "{err}");
}
