//! Property tests: arbitrary headers (magic, dimensions including zero and huge ones) and
//! arbitrary payloads, raw and gzip-compressed, through every entry point (in-memory parse, file,
//! stream, image/label pair). The reader never panics, returns exactly the outcome an
//! independent model of the format predicts, names the file in every error, never makes an
//! allocation much larger than the file it reads, and on success returns
//! `count × rows × cols` pixels.
//!
//! Each property runs 2,048 cases (thousands in CI, a few seconds in release); set
//! `PROPTEST_CASES=100000` for a longer search, e.g.
//! `PROPTEST_CASES=100000 cargo test --release --workspace -- props::`.

use std::io::Write;
use std::path::Path;

use mnist_idx::{
    IMAGES_MAGIC, IdxError, IdxImages, LABELS_MAGIC, LabeledImages, MAX_PAYLOAD_BYTES,
    parse_images, parse_labels, read_images, read_images_from, read_labels, read_labels_from,
};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::alloc_probe::largest_allocation;

/// What the model predicts for a file: the variant of the error, or success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Empty,
    TruncatedHeader,
    BadMagic,
    ZeroDimension,
    TooLarge,
    Truncated,
    TrailingBytes,
}

fn outcome_of<T>(result: &Result<T, IdxError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Ok,
        Err(IdxError::Empty { .. }) => Outcome::Empty,
        Err(IdxError::TruncatedHeader { .. }) => Outcome::TruncatedHeader,
        Err(IdxError::BadMagic { .. }) => Outcome::BadMagic,
        Err(IdxError::ZeroDimension { .. }) => Outcome::ZeroDimension,
        Err(IdxError::TooLarge { .. }) => Outcome::TooLarge,
        Err(IdxError::Truncated { .. }) => Outcome::Truncated,
        Err(IdxError::TrailingBytes { .. }) => Outcome::TrailingBytes,
        Err(other) => panic!("unexpected error for a well-formed stream: {other}"),
    }
}

/// The model: the outcome of reading the uncompressed `bytes` as a file of `magic`, written
/// from the format's description, independently of the reader (u128 arithmetic, no overflow).
fn model(bytes: &[u8], magic: u32) -> Outcome {
    let ndim = (magic & 0xff) as usize;
    let header_len = 4 + 4 * ndim;
    if bytes.is_empty() {
        return Outcome::Empty;
    }
    if bytes.len() < 4 {
        return Outcome::TruncatedHeader;
    }
    if u32::from_be_bytes(bytes[..4].try_into().unwrap()) != magic {
        return Outcome::BadMagic;
    }
    if bytes.len() < header_len {
        return Outcome::TruncatedHeader;
    }
    let dims: Vec<u128> = bytes[4..header_len]
        .chunks(4)
        .map(|b| u32::from_be_bytes(b.try_into().unwrap()) as u128)
        .collect();
    if dims.contains(&0) {
        return Outcome::ZeroDimension;
    }
    let declared: u128 = dims.iter().product();
    if declared > MAX_PAYLOAD_BYTES as u128 {
        return Outcome::TooLarge;
    }
    let got = (bytes.len() - header_len) as u128;
    match got.cmp(&declared) {
        std::cmp::Ordering::Less => Outcome::Truncated,
        std::cmp::Ordering::Greater => Outcome::TrailingBytes,
        std::cmp::Ordering::Equal => Outcome::Ok,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Dimension sizes: mostly small, sometimes zero, huge, or powers of two whose product overflows.
fn dim() -> impl Strategy<Value = u32> {
    prop_oneof![
        12 => 1u32..8,
        1 => Just(0u32),
        1 => any::<u32>(),
        2 => prop::sample::select(vec![1u32 << 8, 1 << 12, 1 << 16, 1 << 20, 1 << 24, u32::MAX]),
    ]
}

fn magic() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => Just(IMAGES_MAGIC),
        4 => Just(LABELS_MAGIC),
        1 => any::<u32>(),
        // Other IDX types and ranks (int32 payload, 2-D).
        1 => prop::sample::select(vec![0x0c03u32, 0x0802, 0x0800, 0x08ff]),
    ]
}

/// How a file is damaged after being built.
#[derive(Debug, Clone)]
enum Damage {
    None,
    /// Cut the file at this position.
    Cut(Index),
    /// Cut the file to at most this many bytes.
    CutAt(usize),
    /// Overwrite the byte at this position (header bytes are likely: files are short).
    Set(Index, u8),
    /// Append bytes.
    Append(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => Just(Damage::None),
        1 => any::<Index>().prop_map(Damage::Cut),
        // Cut inside the header, down to an empty file.
        1 => (0usize..20).prop_map(Damage::CutAt),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Set(i, b)),
        1 => prop::collection::vec(any::<u8>(), 1..8).prop_map(Damage::Append),
    ]
}

/// An IDX file: an arbitrary magic, usually as many dimensions as its rank says (else 0..=4),
/// then a payload that is the declared size give or take two bytes when that is small (else up
/// to 64 arbitrary bytes), then possibly damaged. Both well-formed files and every kind of error
/// come out often (see `file_generator_covers_every_outcome`).
fn idx_file() -> impl Strategy<Value = Vec<u8>> {
    (
        magic(),
        prop::collection::vec(dim(), 0..=4),
        prop::bool::weighted(0.75),
        prop_oneof![4 => Just(0i64), 1 => -2i64..=2],
        prop::collection::vec(any::<u8>(), 0..64),
        any::<u8>(),
        damage(),
    )
        .prop_map(|(magic, mut dims, fit_rank, delta, junk, seed, damage)| {
            let ndim = (magic & 0xff) as usize;
            if fit_rank && ndim <= 4 {
                dims.resize(ndim, 1);
            }
            let mut b = magic.to_be_bytes().to_vec();
            for d in &dims {
                b.extend(d.to_be_bytes());
            }
            let declared: u128 = dims.iter().take(ndim).map(|&d| d as u128).product();
            // Dimensions past the header's rank already count as payload.
            let surplus = 4 * dims.len().saturating_sub(ndim) as i64;
            if dims.len() >= ndim && declared <= 4096 {
                let n = (declared as i64 + delta - surplus).max(0) as usize;
                b.extend((0..n).map(|i| seed.wrapping_add((i as u8).wrapping_mul(31))));
            } else {
                b.extend(junk);
            }
            match damage {
                Damage::None => {}
                Damage::Cut(at) => b.truncate(at.index(b.len() + 1)),
                Damage::CutAt(n) => b.truncate(n),
                Damage::Set(at, byte) if !b.is_empty() => {
                    let i = at.index(b.len());
                    b[i] = byte;
                }
                Damage::Set(..) => {}
                Damage::Append(extra) => b.extend(extra),
            }
            b
        })
}

/// No allocation may exceed this for a file of `len` bytes: the reader's fixed buffers (gzip
/// window and buffers, 64 KiB stream reservation) plus a few times what is actually there.
fn allocation_bound(len: usize) -> usize {
    (1 << 20) + 16 * len
}

/// Whether a reader that detects gzip by its magic sees `bytes` as a gzip stream: then the
/// model does not apply (arbitrary bytes after `1f 8b` are a corrupt gzip stream, or by chance
/// a valid one); `bytes` cannot be a raw IDX file either way (IDX starts `00 00`).
fn looks_gzipped(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// `sniffed`: the reader got `bytes` as its raw input and detects gzip (files and streams, not
/// `parse_*`).
fn check_images(file: &str, bytes: &[u8], sniffed: bool, result: &Result<IdxImages, IdxError>) {
    if sniffed && looks_gzipped(bytes) {
        match result {
            Ok(imgs) => assert_eq!(imgs.pixels.len(), imgs.count * imgs.rows * imgs.cols),
            Err(err) => assert!(err.to_string().starts_with(&format!("{file}: ")), "{err}"),
        }
        return;
    }
    let expected = model(bytes, IMAGES_MAGIC);
    assert_eq!(outcome_of(result), expected, "{file}: {result:?}");
    match result {
        Ok(imgs) => {
            assert_eq!(imgs.pixels.len(), imgs.count * imgs.rows * imgs.cols);
            assert_eq!(imgs.pixels, bytes[16..]);
            assert_eq!(
                [imgs.count, imgs.rows, imgs.cols].map(|d| d as u32),
                [4, 8, 12].map(|at| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()))
            );
            if imgs.count > 0 {
                assert_eq!(imgs.image(imgs.count - 1).len(), imgs.image_len());
            }
        }
        Err(err) => assert!(err.to_string().starts_with(&format!("{file}: ")), "{err}"),
    }
}

fn check_labels(file: &str, bytes: &[u8], sniffed: bool, result: &Result<Vec<u8>, IdxError>) {
    if sniffed && looks_gzipped(bytes) {
        if let Err(err) = result {
            assert!(err.to_string().starts_with(&format!("{file}: ")), "{err}");
        }
        return;
    }
    let expected = model(bytes, LABELS_MAGIC);
    assert_eq!(outcome_of(result), expected, "{file}: {result:?}");
    match result {
        Ok(labels) => assert_eq!(labels[..], bytes[8..]),
        Err(err) => assert!(err.to_string().starts_with(&format!("{file}: ")), "{err}"),
    }
}

/// Trailing bytes are counted exactly where the length is known (raw files, byte slices).
fn check_exact_trailing<T>(bytes: &[u8], header_len: usize, result: &Result<T, IdxError>) {
    if let Err(IdxError::TrailingBytes {
        extra, at_least, ..
    }) = result
    {
        assert!(!at_least);
        let declared: usize = bytes[4..header_len]
            .chunks(4)
            .map(|b| u32::from_be_bytes(b.try_into().unwrap()) as usize)
            .product();
        assert_eq!(*extra, bytes.len() - header_len - declared);
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// 2,048 cases per property (a few seconds in release), or `PROPTEST_CASES` when set.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2048);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    /// Every entry point, raw and gzip, as images and as labels, agrees with the model.
    #[test]
    fn any_file_gives_the_modelled_outcome_never_a_panic(bytes in idx_file()) {
        let dir = tempfile::tempdir().unwrap();
        let gz = gzip(&bytes);
        let raw_path = write(dir.path(), "f-idx-ubyte", &bytes);
        let gz_path = write(dir.path(), "f-idx-ubyte.gz", &gz);
        let (raw_file, gz_file) = (raw_path.display().to_string(), gz_path.display().to_string());

        // The gzip file holds `bytes` compressed: the model applies to what it inflates to (an
        // empty gzip stream is an empty file).
        let ((), largest) = largest_allocation(|| {
            let r = parse_images("mem", bytes.clone());
            check_images("mem", &bytes, false, &r);
            check_exact_trailing(&bytes, 16, &r);
            let r = read_images(&raw_path);
            check_images(&raw_file, &bytes, true, &r);
            check_exact_trailing(&bytes, 16, &r);
            check_images(&gz_file, &bytes, false, &read_images(&gz_path));
            check_images("stream", &bytes, true, &read_images_from("stream", &bytes[..]));
            check_images("gz-stream", &bytes, false, &read_images_from("gz-stream", &gz[..]));

            let r = parse_labels("mem", bytes.clone());
            check_labels("mem", &bytes, false, &r);
            check_exact_trailing(&bytes, 8, &r);
            let r = read_labels(&raw_path);
            check_labels(&raw_file, &bytes, true, &r);
            check_exact_trailing(&bytes, 8, &r);
            check_labels(&gz_file, &bytes, false, &read_labels(&gz_path));
            check_labels("stream", &bytes, true, &read_labels_from("stream", &bytes[..]));
            check_labels("gz-stream", &bytes, false, &read_labels_from("gz-stream", &gz[..]));
        });
        prop_assert!(
            largest <= allocation_bound(bytes.len()),
            "largest allocation {largest} bytes for a {}-byte file", bytes.len()
        );
    }

    /// Arbitrary bytes after the gzip magic (a corrupt or truncated gzip stream) are an error
    /// naming the file, or, if they happen to decode, the modelled outcome.
    #[test]
    fn corrupt_gzip_is_an_error_naming_the_file(bytes in idx_file(), cut in any::<Index>(),
                                                flip in any::<(Index, u8)>()) {
        let mut gz = gzip(&bytes);
        let keep = 2 + cut.index(gz.len() - 1);
        gz.truncate(keep);
        let at = 2 + flip.0.index(gz.len() - 1);
        if at < gz.len() {
            gz[at] ^= flip.1;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "c.gz", &gz);
        let file = path.display().to_string();
        for result in [read_images(&path).map(drop), read_labels(&path).map(drop)] {
            if let Err(err) = result {
                prop_assert!(err.to_string().starts_with(&format!("{file}: ")), "{err}");
            }
        }
    }

    /// A pair loads iff both files are valid and their counts agree; pixels and labels line up.
    #[test]
    fn pairs_load_iff_both_valid_and_counts_agree(
        count in 1u32..6, labels in 1u32..6, rows in 1u32..5, cols in 1u32..5,
        gz_images in any::<bool>(), gz_labels in any::<bool>(), damage in damage(),
    ) {
        let mut img = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [count, rows, cols] {
            img.extend(d.to_be_bytes());
        }
        img.extend((0..count * rows * cols).map(|i| i as u8));
        match damage {
            Damage::Cut(at) => img.truncate(at.index(img.len() + 1)),
            Damage::CutAt(n) => img.truncate(n),
            Damage::Set(at, b) => {
                let i = at.index(img.len());
                img[i] = b;
            }
            Damage::Append(extra) => img.extend(extra),
            Damage::None => {}
        }
        let mut lbl = LABELS_MAGIC.to_be_bytes().to_vec();
        lbl.extend(labels.to_be_bytes());
        lbl.extend((0..labels).map(|i| (i % 10) as u8));

        let dir = tempfile::tempdir().unwrap();
        let enc = |b: &[u8], gz: bool| if gz { gzip(b) } else { b.to_vec() };
        let img_path = write(dir.path(), "p-images", &enc(&img, gz_images));
        let lbl_path = write(dir.path(), "p-labels", &enc(&lbl, gz_labels));
        let result = LabeledImages::load(&img_path, &lbl_path);
        let img_ok = model(&img, IMAGES_MAGIC) == Outcome::Ok;
        match result {
            Ok(pair) => {
                prop_assert!(img_ok);
                let declared = u32::from_be_bytes(img[4..8].try_into().unwrap()) as usize;
                prop_assert_eq!(pair.images.count, declared);
                prop_assert_eq!(pair.len(), pair.images.count);
                prop_assert_eq!(
                    pair.images.pixels.len(),
                    pair.images.count * pair.images.rows * pair.images.cols
                );
            }
            Err(IdxError::CountMismatch { images, labels: l, .. }) => {
                prop_assert!(img_ok);
                prop_assert_ne!(images, l);
            }
            Err(err) => {
                prop_assert!(!img_ok, "{}", err);
                prop_assert!(err.to_string().starts_with(&img_path.display().to_string()));
            }
        }
    }

    /// Any three dimensions: either a checked size within the limit (then a short payload is
    /// just truncated) or `TooLarge` naming the file and the dimensions; never a huge buffer.
    #[test]
    fn any_dimensions_are_checked(count in any::<u32>(), rows in any::<u32>(),
                                  cols in any::<u32>()) {
        prop_assume!(count != 0 && rows != 0 && cols != 0);
        let mut bytes = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [count, rows, cols] {
            bytes.extend(d.to_be_bytes());
        }
        bytes.push(7);
        let (result, largest) = largest_allocation(|| read_images_from("dims", &bytes[..]));
        prop_assert!(largest <= allocation_bound(bytes.len()));
        let declared = count as u128 * rows as u128 * cols as u128;
        match result {
            Err(IdxError::TooLarge { dims, declared: d, .. }) => {
                prop_assert!(declared > MAX_PAYLOAD_BYTES as u128);
                prop_assert_eq!(dims, format!("{count}x{rows}x{cols}"));
                prop_assert_eq!(d.map(u128::from), u64::try_from(declared).ok().map(u128::from));
            }
            Err(IdxError::Truncated { got: 1, .. }) => prop_assert!(declared > 1),
            Ok(imgs) => prop_assert_eq!((declared, imgs.pixels.len()), (1, 1)),
            Err(other) => prop_assert!(false, "{}", other),
        }
    }
}

/// The file generator reaches every outcome, for images and for labels (so the properties above
/// are not vacuous): a tally over 2000 files from a fixed seed.
#[test]
fn file_generator_covers_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let mut runner = TestRunner::deterministic();
    let strategy = idx_file();
    for magic in [IMAGES_MAGIC, LABELS_MAGIC] {
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        for _ in 0..2000 {
            let bytes = strategy.new_tree(&mut runner).unwrap().current();
            *tally
                .entry(format!("{:?}", model(&bytes, magic)))
                .or_default() += 1;
        }
        eprintln!("0x{magic:04x}: {tally:?}");
        for outcome in [
            Outcome::Ok,
            Outcome::Empty,
            Outcome::TruncatedHeader,
            Outcome::BadMagic,
            Outcome::ZeroDimension,
            Outcome::Truncated,
            Outcome::TrailingBytes,
        ] {
            let n = tally.get(&format!("{outcome:?}")).copied().unwrap_or(0);
            assert!(
                n >= 10,
                "0x{magic:04x}: {outcome:?} only {n} times in {tally:?}"
            );
        }
        if magic == IMAGES_MAGIC {
            let n = tally.get("TooLarge").copied().unwrap_or(0);
            assert!(n >= 10, "TooLarge only {n} times in {tally:?}");
        }
    }
}
