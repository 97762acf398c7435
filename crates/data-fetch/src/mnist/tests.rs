//! Tests of the data-set tables and of [`fetch`](super::fetch) end to end: Fashion-MNIST-like
//! stand-ins served by a local HTTP server or read from a directory.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest as _, Sha256};

use super::*;
use crate::download::new_agent;
use crate::error::FetchError;
use crate::test_util::entries;

#[test]
fn tables_are_consistent() {
    for ds in DATA_SETS {
        assert_eq!(ds.id.parse::<DataSetId>().unwrap().data_set(), ds);
        assert_eq!(ds.classes.len(), 10, "{}", ds.name);
        assert!(!ds.mirrors.is_empty(), "{}", ds.name);
        assert!(ds.default_out.ends_with(ds.id), "{}", ds.name);
        for (file, mnist) in ds.files.iter().zip(&MNIST_FILES) {
            // Every data set uses MNIST's file names (what snn-train --data looks for).
            assert_eq!(file.name, mnist.name);
            assert_eq!(file.sha256.len(), 64);
            assert!(file.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            match ds.pinned {
                Pinned::Raw => assert_eq!(file.size, file.shape.raw_size(), "{}", file.name),
                Pinned::Gz => assert!(file.size < file.shape.raw_size(), "{}", file.name),
            }
        }
    }
    assert_eq!(TRAIN_IMAGES.to_string(), "60000 images of 28x28");
}

#[test]
fn data_set_ids_parse_and_display_as_their_id() {
    for (id, ds) in DataSetId::ALL.into_iter().zip(DATA_SETS) {
        assert_eq!(id.data_set(), ds);
        assert_eq!(id.to_string(), ds.id);
        assert_eq!(ds.id.parse::<DataSetId>(), Ok(id));
    }
    let err = "emnist".parse::<DataSetId>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown data set \"emnist\" (known: mnist, fashion-mnist, kmnist)"
    );
    assert!("MNIST".parse::<DataSetId>().is_err());
}

fn idx_images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..count * rows * cols).map(|i| (i * 7 + count) as u8));
    b
}

fn idx_labels(count: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend(count.to_be_bytes());
    b.extend((0..count).map(|i| (i % 10) as u8));
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn sha_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Small stand-ins for the four Fashion-MNIST files: raw IDX bytes, their `.gz`, and
/// Fashion-MNIST's table with the pins (and shapes) replaced by theirs: the test hook for a
/// data set pinned by its `.gz` files.
struct Fashion {
    raw: Vec<Vec<u8>>,
    gz: Vec<Vec<u8>>,
    ds: DataSet,
}

fn fashion() -> Fashion {
    let shapes = [
        Shape::Images {
            count: 3,
            rows: 2,
            cols: 2,
        },
        Shape::Labels { count: 3 },
        Shape::Images {
            count: 2,
            rows: 2,
            cols: 2,
        },
        Shape::Labels { count: 2 },
    ];
    let raw = vec![
        idx_images(3, 2, 2),
        idx_labels(3),
        idx_images(2, 2, 2),
        idx_labels(2),
    ];
    let gz: Vec<Vec<u8>> = raw.iter().map(|r| gzip(r)).collect();
    let mut ds = FASHION_MNIST;
    for (i, file) in ds.files.iter_mut().enumerate() {
        assert_eq!(shapes[i].raw_size(), raw[i].len() as u64);
        *file = IdxFile {
            shape: shapes[i],
            size: gz[i].len() as u64,
            sha256: Box::leak(sha_hex(&gz[i]).into_boxed_str()),
            ..*file
        };
    }
    Fashion { raw, gz, ds }
}

/// A one-request-at-a-time HTTP/1.1 server on 127.0.0.1 serving `routes` (URL path → body),
/// 404 otherwise; logs every requested path.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(routes: HashMap<String, Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let served = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                respond(stream, &routes, &served);
            }
        });
        Self { base, log }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn respond(stream: TcpStream, routes: &HashMap<String, Vec<u8>>, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    log.lock().unwrap().push(path.to_string());
    let (status, body) = match routes.get(path) {
        Some(body) => ("200 OK", &body[..]),
        None => ("404 Not Found", &b"not found\n"[..]),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
}

/// `/<prefix>/<name>.gz` for each file of `ds`, serving `bodies`.
fn routes(prefix: &str, ds: &DataSet, bodies: &[Vec<u8>]) -> HashMap<String, Vec<u8>> {
    ds.files
        .iter()
        .zip(bodies)
        .map(|(f, body)| (format!("/{prefix}/{}.gz", f.name), body.clone()))
        .collect()
}

/// [`fetch`] from `source`, ignoring proxies (the server is local).
fn fetch_no_proxy(ds: &DataSet, out: &Path, source: Source, force: bool) -> Result<(), FetchError> {
    fetch_with(ds, out, &source, force, &new_agent(false))
}

fn mirror(server: &Server, prefix: &str) -> Source {
    Source::Mirrors(vec![format!("{}/{prefix}/", server.base)])
}

const FASHION_CLASSES: &str = "T-shirt/top\nTrouser\nPullover\nDress\nCoat\nSandal\nShirt\n\
                               Sneaker\nBag\nAnkle boot\n";

/// `out` holds exactly the four raw IDX files of `f`, its record and classes.txt.
fn assert_fashion(out: &Path, f: &Fashion) {
    let mut expected: Vec<String> = f.ds.files.iter().map(|f| f.name.to_string()).collect();
    expected.extend([".fashion-mnist.sha256".into(), CLASSES_FILE.into()]);
    expected.sort();
    assert_eq!(entries(out), expected);
    let mut record = String::new();
    for (file, raw) in f.ds.files.iter().zip(&f.raw) {
        assert_eq!(
            &fs::read(out.join(file.name)).unwrap(),
            raw,
            "{}",
            file.name
        );
        record += &format!("{}  {}\n", sha_hex(raw), file.name);
    }
    assert_eq!(
        fs::read_to_string(out.join(".fashion-mnist.sha256")).unwrap(),
        record
    );
    assert_eq!(
        fs::read_to_string(out.join(CLASSES_FILE)).unwrap(),
        FASHION_CLASSES
    );
}

#[test]
fn fashion_mnist_from_mirror_writes_raw_idx_files_and_classes() {
    let f = fashion();
    let server = Server::start(routes("fashion", &f.ds, &f.gz));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fashion-mnist");

    fetch_no_proxy(&f.ds, &out, mirror(&server, "fashion"), false).unwrap();
    assert_fashion(&out, &f);
    let names = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];
    let expected: Vec<String> = names.iter().map(|n| format!("/fashion/{n}.gz")).collect();
    assert_eq!(server.requests(), expected);

    // Present and verified by the record: nothing is downloaded again.
    fetch_no_proxy(&f.ds, &out, mirror(&server, "fashion"), false).unwrap();
    assert_eq!(server.requests().len(), 4);
    assert_fashion(&out, &f);
}

#[test]
fn fashion_mnist_mismatching_gz_is_refused_naming_file_and_digests() {
    let f = fashion();
    // A valid gzip of other content, and bytes that are not gzip at all: both are refused
    // by their SHA-256 (not by a decompression error).
    for bad in [gzip(&idx_images(3, 2, 2)[..20]), b"not gzip".to_vec()] {
        let mut bodies = f.gz.clone();
        bodies[0] = bad.clone();
        let server = Server::start(routes("bad", &f.ds, &bodies));
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("fashion-mnist");

        let err = fetch_no_proxy(&f.ds, &out, mirror(&server, "bad"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("could not fetch train-images-idx3-ubyte"),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "/bad/train-images-idx3-ubyte.gz: SHA-256 mismatch (got {}, expected {})",
                sha_hex(&bad),
                f.ds.files[0].sha256
            )),
            "{err}"
        );
        assert!(err.contains("--dataset fashion-mnist --from"), "{err}");
        assert_eq!(entries(&out), Vec::<String>::new(), "nothing may be left");
        assert_eq!(server.requests(), ["/bad/train-images-idx3-ubyte.gz"]);
    }
}

#[test]
fn fashion_mnist_from_dir_gz_is_pinned_raw_is_shape_checked() {
    let f = fashion();
    let tmp = tempfile::tempdir().unwrap();
    let gz_dir = tmp.path().join("gz");
    fs::create_dir_all(&gz_dir).unwrap();
    for (file, gz) in f.ds.files.iter().zip(&f.gz) {
        fs::write(gz_dir.join(format!("{}.gz", file.name)), gz).unwrap();
    }
    let one = tmp.path().join("one");
    fetch_no_proxy(&f.ds, &one, Source::LocalDir(gz_dir.clone()), false).unwrap();
    assert_fashion(&one, &f);

    // The raw files just written: checked as IDX of the right shape, recorded.
    let raw_dir = tmp.path().join("raw");
    fs::create_dir_all(&raw_dir).unwrap();
    for (file, raw) in f.ds.files.iter().zip(&f.raw) {
        fs::write(raw_dir.join(file.name), raw).unwrap();
    }
    let two = tmp.path().join("two");
    fetch_no_proxy(&f.ds, &two, Source::LocalDir(raw_dir.clone()), false).unwrap();
    assert_fashion(&two, &f);

    // A mismatching .gz next to a good raw file: the raw file is used.
    fs::write(
        gz_dir.join("t10k-labels-idx1-ubyte.gz"),
        gzip(&idx_labels(2)[..9]),
    )
    .unwrap();
    fs::write(gz_dir.join("t10k-labels-idx1-ubyte"), &f.raw[3]).unwrap();
    let three = tmp.path().join("three");
    fetch_no_proxy(&f.ds, &three, Source::LocalDir(gz_dir.clone()), false).unwrap();
    assert_fashion(&three, &f);

    // Raw files of the wrong shape or size, with a label that is no class, or gzip under
    // the raw name are refused.
    let no_class = {
        let mut b = idx_labels(2);
        b[9] = 10;
        b
    };
    for (i, bytes, why) in [
        (
            2,
            idx_images(1, 2, 4),
            "holds 1 images of 2x4, but Fashion-MNIST's t10k-images-idx3-ubyte holds 2 \
             images of 2x2",
        ),
        (
            3,
            idx_labels(3)[..9].to_vec(),
            "size 9 bytes, but 2 labels take 10",
        ),
        (
            3,
            idx_labels(3),
            "size 11 or more bytes, but 2 labels take 10",
        ),
        (
            3,
            no_class,
            "label 10 is not a class of Fashion-MNIST (it has 10)",
        ),
        (3, gzip(&f.raw[3]), "a raw IDX file is needed here"),
    ] {
        let name = f.ds.files[i].name;
        fs::write(raw_dir.join(name), &bytes).unwrap();
        let out = tmp.path().join("bad");
        let err = fetch_no_proxy(&f.ds, &out, Source::LocalDir(raw_dir.clone()), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("no valid copy of {name}")), "{err}");
        assert!(err.contains(why), "{why} not in: {err}");
        // The files before it are in, and recorded; no classes.txt, no partial file.
        let mut expected: Vec<String> =
            f.ds.files[..i].iter().map(|f| f.name.to_string()).collect();
        expected.push(".fashion-mnist.sha256".into());
        expected.sort();
        assert_eq!(entries(&out), expected);
        fs::remove_dir_all(&out).unwrap();
        fs::write(raw_dir.join(name), &f.raw[i]).unwrap();
    }
}

#[test]
fn fashion_mnist_and_mnist_never_replace_each_other_without_force() {
    let f = fashion();
    let server = Server::start(routes("fashion", &f.ds, &f.gz));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("data");
    fetch_no_proxy(&f.ds, &out, mirror(&server, "fashion"), false).unwrap();
    let before: Vec<(String, Vec<u8>)> = entries(&out)
        .into_iter()
        .map(|n| (n.clone(), fs::read(out.join(&n)).unwrap()))
        .collect();

    // MNIST into a Fashion-MNIST directory: one line naming the directory and the fix.
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let err = fetch_no_proxy(&MNIST, &out, Source::LocalDir(empty.clone()), false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{} holds Fashion-MNIST, not MNIST: refusing to replace its files (nothing was \
             fetched or changed); pass --force to replace them with MNIST, or choose \
             another --out directory (the default for MNIST is data/mnist)",
            out.display()
        )
    );
    let after: Vec<(String, Vec<u8>)> = entries(&out)
        .into_iter()
        .map(|n| (n.clone(), fs::read(out.join(&n)).unwrap()))
        .collect();
    assert_eq!(after, before, "nothing may change");

    // One file of it: named.
    let part = tmp.path().join("part");
    fs::create_dir_all(&part).unwrap();
    for name in ["train-labels-idx1-ubyte", ".fashion-mnist.sha256"] {
        fs::copy(out.join(name), part.join(name)).unwrap();
    }
    let err = fetch_no_proxy(&MNIST, &part, Source::LocalDir(empty.clone()), false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{} holds Fashion-MNIST's train-labels-idx1-ubyte, not MNIST: refusing to \
             replace it (nothing was fetched or changed); pass --force to replace it with \
             MNIST, or choose another --out directory (the default for MNIST is data/mnist)",
            part.display()
        )
    );

    // Files of an unknown IDX data set: each named; --force replaces them.
    fs::remove_file(out.join(".fashion-mnist.sha256")).unwrap();
    let err = fetch_no_proxy(&f.ds, &out, mirror(&server, "fashion"), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "{} holds an IDX file (3 images of 2x2) not verified as Fashion-MNIST's \
             train-images-idx3-ubyte (no matching SHA-256 in .fashion-mnist.sha256)",
            out.join("train-images-idx3-ubyte").display()
        )),
        "{err}"
    );
    assert!(
        err.contains("Pass --force to replace them with Fashion-MNIST"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 4, "nothing may be downloaded");
    fs::write(out.join(CLASSES_FILE), "stale\n").unwrap();
    fetch_no_proxy(&f.ds, &out, mirror(&server, "fashion"), true).unwrap();
    assert_eq!(server.requests().len(), 8);
    assert_fashion(&out, &f);
}
