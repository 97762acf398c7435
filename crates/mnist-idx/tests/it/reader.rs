//! The IDX reader on the real MNIST files and on crafted bad inputs.

use std::cell::Cell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use mnist_idx::{
    IdxError, LabeledImages, MAX_PAYLOAD_BYTES, parse_images, parse_labels, read_images,
    read_images_from, read_labels, read_labels_from,
};

use crate::alloc_probe;

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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A reader that counts the bytes pulled through it and fails once more than `limit` were asked
/// for (so an unbounded read of an endless stream ends, and the test fails, instead of hanging).
struct Counting<'a, R> {
    inner: R,
    pulled: &'a Cell<u64>,
    limit: u64,
}

impl<'a, R: Read> Counting<'a, R> {
    fn new(inner: R, pulled: &'a Cell<u64>, limit: u64) -> Self {
        pulled.set(0);
        Self {
            inner,
            pulled,
            limit,
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pulled.get() >= self.limit {
            return Err(std::io::Error::other(
                "test reader: read past the expected bound",
            ));
        }
        let n = self.inner.read(buf)?;
        self.pulled.set(self.pulled.get() + n as u64);
        Ok(n)
    }
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
        matches!(
            err,
            IdxError::TrailingBytes {
                extra: 1,
                at_least: false,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "i: 1 extra byte after the 2 images of 2x2 the header announces"
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

#[test]
fn trailing_bytes_exact_in_raw_files_at_least_one_in_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = labels_file(3, 8);
    let raw = dir.path().join("l-labels-idx1-ubyte");
    std::fs::write(&raw, &bytes).unwrap();
    let err = read_labels(&raw).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::TrailingBytes {
                extra: 5,
                at_least: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with(": 5 extra bytes after the 3 labels the header announces")
    );
    let gz = dir.path().join("l-labels-idx1-ubyte.gz");
    std::fs::write(&gz, gzip(&bytes)).unwrap();
    let err = read_labels(&gz).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::TrailingBytes {
                extra: 1,
                at_least: true,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: at least 1 extra byte after the 3 labels the header announces",
            gz.display()
        )
    );
}

#[test]
fn gzip_checksum_is_checked() {
    let raw = labels_file(5, 5);
    let mut gz = gzip(&raw);
    let crc = gz.len() - 8; // trailer: CRC-32, then the size, little-endian
    gz[crc] ^= 0xff;
    let err = read_labels_from("bad-crc.gz", &gz[..]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip { .. }), "{err}");
    assert!(err.to_string().starts_with("bad-crc.gz: "), "{err}");
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let raw = images_file(2, 3, 4, 24);
    let mut gz = gzip(&raw[..10]);
    gz.extend(gzip(&raw[10..]));
    let imgs = read_images_from("two-members.gz", &gz[..]).unwrap();
    assert_eq!(imgs, parse_images("raw", raw).unwrap());
}

/// The header from issue 12: 65536 images of 16777216x16777216, a product of exactly 2^64.
const OVERFLOWING_HEADER: [u8; 16] = [0, 0, 8, 3, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];

#[test]
fn header_whose_size_overflows_is_an_error_naming_file_and_dims() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("huge-images-idx3-ubyte");
    let gz = dir.path().join("huge-images-idx3-ubyte.gz");
    std::fs::write(&raw, OVERFLOWING_HEADER).unwrap();
    std::fs::write(&gz, gzip(&OVERFLOWING_HEADER)).unwrap();
    let errs = [
        (
            "huge".to_string(),
            parse_images("huge", OVERFLOWING_HEADER.to_vec()),
        ),
        (raw.display().to_string(), read_images(&raw)),
        (gz.display().to_string(), read_images(&gz)),
    ];
    for (file, result) in errs {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                IdxError::TooLarge {
                    declared: None,
                    limit: MAX_PAYLOAD_BYTES,
                    ..
                }
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("{file}: ")), "{msg}");
        assert!(msg.contains("65536x16777216x16777216"), "{msg}");
        eprintln!("{msg}");
    }
}

#[test]
fn declared_size_over_the_limit_is_an_error_and_the_limit_itself_is_not() {
    // 2^20 x 2^20 x 2 = 2^41 bytes: fits in u64, over MAX_PAYLOAD_BYTES.
    let err = parse_images("big", images_file(1 << 20, 1 << 20, 2, 0)).unwrap_err();
    assert!(
        matches!(err, IdxError::TooLarge { declared: Some(n), .. } if n == 1 << 41),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "big: header declares images of 1048576x1048576x2, a payload of 2199023255552 bytes, \
         over the limit of 1099511627776 bytes; the header is corrupt"
    );
    // 2^16 x 2^12 x 2^12 = 2^40 bytes exactly: allowed, so this empty payload is just truncated.
    let err = parse_images("limit", images_file(1 << 16, 1 << 12, 1 << 12, 0)).unwrap_err();
    assert!(matches!(err, IdxError::Truncated { got: 0, .. }), "{err}");
}

#[test]
fn a_lying_header_reserves_nothing_near_its_declared_size() {
    const MIB: usize = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    // 1 GiB of pixels and 4 GiB of labels declared; 100 bytes present.
    let cases = [
        ("i-images-idx3-ubyte", images_file(1024, 1024, 1024, 100)),
        ("l-labels-idx1-ubyte", labels_file(u32::MAX, 100)),
    ];
    for (name, bytes) in cases {
        let images = name.contains("images");
        let raw = dir.path().join(name);
        let gz = dir.path().join(format!("{name}.gz"));
        std::fs::write(&raw, &bytes).unwrap();
        std::fs::write(&gz, gzip(&bytes)).unwrap();
        for path in [&raw, &gz] {
            let (err, largest) = alloc_probe::largest_allocation(|| {
                if images {
                    read_images(path).map(drop).unwrap_err()
                } else {
                    read_labels(path).map(drop).unwrap_err()
                }
            });
            assert!(matches!(err, IdxError::Truncated { got: 100, .. }), "{err}");
            assert!(
                largest < MIB,
                "{}: allocated {largest} bytes",
                path.display()
            );
        }
        let (err, largest) = alloc_probe::largest_allocation(|| {
            if images {
                read_images_from(name, &bytes[..]).map(drop).unwrap_err()
            } else {
                read_labels_from(name, &bytes[..]).map(drop).unwrap_err()
            }
        });
        assert!(matches!(err, IdxError::Truncated { got: 100, .. }), "{err}");
        assert!(
            largest < MIB,
            "{name} as a stream: allocated {largest} bytes"
        );
    }
}

#[test]
fn gzip_bomb_is_inflated_no_further_than_one_byte_past_the_declared_size() {
    // One image of 1x1 declared, then 100 MB of zeros: about 470 KB compressed.
    let header = images_file(1, 1, 1, 0);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&header).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..100 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() > 256 << 10, "bomb is {} bytes", bomb.len());
    let bound = (header.len() + 1 + 1) as u64; // header + declared payload + one extra byte
    let pulled = Cell::new(0);
    let is_bounded_trailing = |err: &IdxError| {
        matches!(
            err,
            IdxError::TrailingBytes {
                extra: 1,
                at_least: true,
                ..
            }
        )
    };

    // From a file: an error without a buffer anywhere near 100 MB (how far it inflates is
    // counted below, in bytes: no clock).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb-images-idx3-ubyte.gz");
    std::fs::write(&path, &bomb).unwrap();
    let (err, largest) = alloc_probe::largest_allocation(|| read_images(&path).unwrap_err());
    assert!(is_bounded_trailing(&err), "{err}");
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
    assert!(largest < 1 << 20, "allocated {largest} bytes");
    eprintln!("{err}");

    // Decompressed bytes pulled, counted on the inflated stream: header + declared + 1, exactly.
    let inflated = flate2::read::GzDecoder::new(&bomb[..]);
    let err = read_images_from("bomb", Counting::new(inflated, &pulled, bound)).unwrap_err();
    assert!(is_bounded_trailing(&err), "{err}");
    assert_eq!(pulled.get(), bound);

    // Compressed bytes pulled by the reader's own gunzip: one 32 KiB buffer's worth at most.
    let err = read_images_from("bomb.gz", Counting::new(&bomb[..], &pulled, 64 << 10)).unwrap_err();
    assert!(is_bounded_trailing(&err), "{err}");
    assert!(
        pulled.get() <= 64 << 10,
        "pulled {} compressed bytes",
        pulled.get()
    );

    // An endless raw stream ends too.
    let endless = (&header[..]).chain(std::io::repeat(0));
    let err = read_images_from("endless", Counting::new(endless, &pulled, bound)).unwrap_err();
    assert!(is_bounded_trailing(&err), "{err}");
    assert_eq!(pulled.get(), bound);
}
