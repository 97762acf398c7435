//! End-to-end tests of `xtask fetch-mnist` against a local HTTP server.
//!
//! Needs the gzipped MNIST files in `$MNIST_GZ_DIR`, by default
//! `<workspace>/../shared/data/mnist`. No internet: every run passes
//! `--no-default-mirrors`.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// (name, uncompressed SHA-256), independent of the binary's own table.
const FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    (
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    (
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    (
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
];

/// A closed port: connecting is refused at once.
const UNREACHABLE: &str = "http://127.0.0.1:1/";

fn gz_dir() -> PathBuf {
    match std::env::var_os("MNIST_GZ_DIR") {
        Some(dir) => dir.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mnist"),
    }
}

/// Per file: the real `.gz` bytes and a gzip of the content with one byte flipped.
struct Payloads {
    good: HashMap<String, Vec<u8>>,
    corrupt: HashMap<String, Vec<u8>>,
}

fn payloads() -> &'static Payloads {
    static PAYLOADS: OnceLock<Payloads> = OnceLock::new();
    PAYLOADS.get_or_init(|| {
        let (mut good, mut corrupt) = (HashMap::new(), HashMap::new());
        for (name, _) in FILES {
            let gz_name = format!("{name}.gz");
            let path = gz_dir().join(&gz_name);
            let gz = fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (set MNIST_GZ_DIR)", path.display()));
            let mut raw = Vec::new();
            GzDecoder::new(&gz[..]).read_to_end(&mut raw).unwrap();
            let mid = raw.len() / 2;
            raw[mid] ^= 0x01;
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(&raw).unwrap();
            corrupt.insert(gz_name.clone(), enc.finish().unwrap());
            good.insert(gz_name, gz);
        }
        Payloads { good, corrupt }
    })
}

/// A tiny HTTP/1.1 server: `/good/<name>.gz` serves the real file,
/// `/corrupt/<name>.gz` the corrupted one (or whatever [`Server::with_routes`] was
/// given), anything else is 404. Every requested path is logged.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Self {
        let payloads = payloads();
        let mut routes = HashMap::new();
        for (prefix, files) in [("good", &payloads.good), ("corrupt", &payloads.corrupt)] {
            for (name, body) in files {
                routes.insert(format!("/{prefix}/{name}"), &body[..]);
            }
        }
        Self::with_routes(routes)
    }

    /// Serves `routes` (URL path → body).
    fn with_routes(routes: HashMap<String, &'static [u8]>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let served = log.clone();
        let routes = Arc::new(routes);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (routes, served) = (routes.clone(), served.clone());
                thread::spawn(move || serve(stream, &routes, &served));
            }
        });
        Self { base, log }
    }

    /// Base URL of a mirror served under `/<prefix>/`.
    fn mirror(&self, prefix: &str) -> String {
        format!("{}/{prefix}/", self.base)
    }

    fn requests(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn paths(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, routes: &HashMap<String, &[u8]>, log: &Mutex<Vec<String>>) {
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
        Some(body) => ("200 OK", *body),
        None => ("404 Not Found", &b"not found\n"[..]),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
}

struct Run {
    success: bool,
    /// stdout followed by stderr.
    output: String,
}

fn xtask(args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("fetch-mnist").args(args);
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!output.contains("panicked"), "xtask panicked:\n{output}");
    Run {
        success: out.status.success(),
        output,
    }
}

fn fetch(out: &Path, mirrors: &[&str]) -> Run {
    let mut args = vec!["--no-default-mirrors", "--out", out.to_str().unwrap()];
    for m in mirrors {
        args.extend(["--mirror", m]);
    }
    xtask(&args)
}

/// Fetches `dataset` from `mirror` alone into `out`.
fn fetch_dataset(dataset: &str, out: &Path, mirror: &str) -> Run {
    let out = out.to_str().unwrap();
    xtask(&[
        "--dataset",
        dataset,
        "--no-default-mirrors",
        "--mirror",
        mirror,
        "--out",
        out,
    ])
}

fn sha256_hex(path: &Path) -> String {
    format!("{:x}", Sha256::digest(fs::read(path).unwrap()))
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// `dir` holds exactly the four MNIST files, each with its pinned SHA-256, and classes.txt
/// naming the digits.
fn assert_verified(dir: &Path, output: &str) {
    let mut expected: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
    expected.push("classes.txt".into());
    expected.sort();
    assert_eq!(dir_entries(dir), expected, "output:\n{output}");
    for (name, sha) in FILES {
        assert_eq!(sha256_hex(&dir.join(name)), sha, "{name}");
    }
    assert_eq!(
        fs::read_to_string(dir.join("classes.txt")).unwrap(),
        "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"
    );
}

#[test]
fn good_mirror_succeeds_and_second_run_downloads_nothing() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("mnist");

    let run = fetch(&out, &[&server.mirror("good")]);
    assert!(run.success, "{}", run.output);
    assert_verified(&out, &run.output);
    assert_eq!(server.requests(), 4);
    assert!(run.output.contains("4 fetched"), "{}", run.output);

    let run = fetch(&out, &[&server.mirror("good")]);
    assert!(run.success, "{}", run.output);
    assert_eq!(server.requests(), 4, "second run must not download");
    assert_eq!(
        run.output.matches(": present, verified").count(),
        4,
        "{}",
        run.output
    );
    assert_verified(&out, &run.output);
}

#[test]
fn corrupt_mirror_is_rejected_by_checksum_then_good_one_used() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    let corrupt = server.mirror("corrupt");

    let run = fetch(tmp.path(), &[&corrupt, &server.mirror("good")]);
    assert!(run.success, "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "train-images-idx3-ubyte from {corrupt}train-images-idx3-ubyte.gz: SHA-256 mismatch (got "
        )),
        "{}",
        run.output
    );
    assert_eq!(
        run.output.matches("SHA-256 mismatch").count(),
        4,
        "{}",
        run.output
    );
    assert_eq!(server.requests(), 8);
    assert_verified(tmp.path(), &run.output);
}

#[test]
fn unreachable_and_missing_mirrors_fall_through_to_good_one() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    // Base URL without trailing slash must work too.
    let good = server.mirror("good");
    let run = fetch(
        tmp.path(),
        &[
            UNREACHABLE,
            &server.mirror("missing"),
            good.trim_end_matches('/'),
        ],
    );
    assert!(run.success, "{}", run.output);
    assert!(run.output.contains("404"), "{}", run.output);
    assert_verified(tmp.path(), &run.output);
}

#[test]
fn all_mirrors_failing_is_an_error_and_leaves_no_file() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("mnist");
    let mirrors = [
        server.mirror("corrupt"),
        UNREACHABLE.to_string(),
        server.mirror("missing"),
    ];

    let run = fetch(
        &out,
        &mirrors.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(!run.success, "{}", run.output);
    let error = &run.output[run.output.find("error:").expect("an error line")..];
    assert!(error.contains("train-images-idx3-ubyte"), "{error}");
    for mirror in &mirrors {
        assert!(
            error.contains(&format!("{mirror}train-images-idx3-ubyte.gz: ")),
            "{error}"
        );
    }
    assert!(error.contains("SHA-256 mismatch"), "{error}");
    assert!(error.contains("404"), "{error}");
    assert!(error.contains("cargo xtask fetch-mnist --from"), "{error}");
    assert_eq!(
        dir_entries(&out),
        Vec::<String>::new(),
        "no file may be left behind"
    );
}

#[test]
fn from_local_dir_with_gz_or_raw_files() {
    let tmp = TempDir::new().unwrap();
    let out1 = tmp.path().join("one");
    let run = xtask(&[
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        out1.to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);
    assert_verified(&out1, &run.output);

    // The raw files just written are a valid source too.
    let out2 = tmp.path().join("two");
    let run = xtask(&[
        "--from",
        out1.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);
    assert_verified(&out2, &run.output);
}

#[test]
fn from_dir_missing_a_file_fails_clearly() {
    let src = TempDir::new().unwrap();
    for name in [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ] {
        fs::copy(gz_dir().join(name), src.path().join(name)).unwrap();
    }
    let out = TempDir::new().unwrap();
    let run = xtask(&[
        "--from",
        src.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "train-images-idx3-ubyte not found in {}",
            src.path().display()
        )),
        "{}",
        run.output
    );
    assert_eq!(dir_entries(out.path()), Vec::<String>::new());
}

#[test]
fn stale_part_is_removed_and_invalid_present_file_refetched() {
    let out = TempDir::new().unwrap();
    let stale = ".train-images-idx3-ubyte.part-4242";
    fs::write(out.path().join(stale), b"half a download").unwrap();
    fs::write(out.path().join("t10k-labels-idx1-ubyte"), b"garbage").unwrap();

    let run = xtask(&[
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);
    assert!(
        run.output.contains("removed stale partial download"),
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("t10k-labels-idx1-ubyte: present but invalid (SHA-256 mismatch"),
        "{}",
        run.output
    );
    assert_verified(out.path(), &run.output);
}

#[test]
fn bad_invocations_are_errors_not_panics() {
    let out = TempDir::new().unwrap();
    let out = out.path().to_str().unwrap();
    let run = xtask(&["--no-default-mirrors", "--out", out]);
    assert!(
        !run.success && run.output.contains("--mirror"),
        "{}",
        run.output
    );
    let run = xtask(&["--from", "/nonexistent/mnist", "--out", out]);
    assert!(
        !run.success && run.output.contains("/nonexistent/mnist"),
        "{}",
        run.output
    );
}

/// A small valid IDX image file: `count` images of `rows`x`cols` (a stand-in for Fashion-MNIST).
fn idx_images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..count * rows * cols).map(|i| (i * 7) as u8));
    b
}

/// A small valid IDX label file of `count` labels.
fn idx_labels(count: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend(count.to_be_bytes());
    b.extend((0..count).map(|i| (i % 10) as u8));
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Writes valid IDX files of another data set under three of MNIST's names in `out` (one of
/// them gzip-compressed, which the IDX reader accepts too; `t10k-labels-idx1-ubyte` is left
/// missing); returns them as (name, bytes).
fn write_foreign_files(out: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let files = vec![
        ("train-images-idx3-ubyte", idx_images(3, 2, 2)),
        ("train-labels-idx1-ubyte", idx_labels(3)),
        ("t10k-images-idx3-ubyte", gzip(&idx_images(2, 4, 3))),
    ];
    fs::create_dir_all(out).unwrap();
    for (name, bytes) in &files {
        fs::write(out.join(name), bytes).unwrap();
    }
    files
}

#[test]
fn foreign_idx_files_in_out_are_never_replaced_without_force() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("fashion");
    let foreign = write_foreign_files(&out);
    let before = dir_entries(&out);

    let from_mirror = fetch(&out, &[&server.mirror("good")]);
    let from_dir = xtask(&[
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(server.requests(), 0, "nothing may be downloaded");
    for run in [from_mirror, from_dir] {
        assert!(!run.success, "{}", run.output);
        let error = &run.output[run.output.find("error:").expect("an error line")..];
        for (name, what) in [
            ("train-images-idx3-ubyte", "3 images of 2x2"),
            ("train-labels-idx1-ubyte", "3 labels"),
            ("t10k-images-idx3-ubyte", "2 images of 4x3"),
        ] {
            let line = format!(
                "{} holds another IDX data set ({what}), not MNIST's {name}",
                out.join(name).display()
            );
            assert!(error.contains(&line), "no `{line}` in:\n{error}");
        }
        assert!(
            error.contains("Pass --force to replace them with MNIST, or choose another --out"),
            "{error}"
        );
        assert!(!error.contains("t10k-labels"), "{error}");
        assert!(!run.output.contains("fetched from"), "{}", run.output);
        assert!(!run.output.contains("copied from"), "{}", run.output);
        // Byte for byte unchanged, and nothing added (not even the missing file).
        assert_eq!(dir_entries(&out), before);
        for (name, bytes) in &foreign {
            assert_eq!(&fs::read(out.join(name)).unwrap(), bytes, "{name} changed");
        }
    }
}

#[test]
fn force_replaces_foreign_idx_files_with_mnist() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("fashion");
    write_foreign_files(&out);
    let run = xtask(&[
        "--force",
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);
    assert!(
        run.output.contains(
            "train-images-idx3-ubyte: present, another IDX data set (3 images of 2x2); \
             --force: replacing it with MNIST"
        ),
        "{}",
        run.output
    );
    assert_eq!(
        run.output.matches("--force: replacing it").count(),
        3,
        "{}",
        run.output
    );
    assert_verified(&out, &run.output);
}

#[test]
fn partial_idx_files_and_gzipped_mnist_are_replaced_without_force() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("mnist");
    fs::create_dir_all(&out).unwrap();
    // A valid header but half the labels (a stale partial copy), not a valid IDX file.
    let gz = fs::read(gz_dir().join("train-labels-idx1-ubyte.gz")).unwrap();
    let mut labels = Vec::new();
    GzDecoder::new(&gz[..]).read_to_end(&mut labels).unwrap();
    fs::write(
        out.join("train-labels-idx1-ubyte"),
        &labels[..labels.len() / 2],
    )
    .unwrap();
    // MNIST's own test labels, still gzip-compressed under the uncompressed name.
    fs::copy(
        gz_dir().join("t10k-labels-idx1-ubyte.gz"),
        out.join("t10k-labels-idx1-ubyte"),
    )
    .unwrap();
    let run = xtask(&[
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);
    for name in ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"] {
        assert!(
            run.output
                .contains(&format!("{name}: present but invalid (SHA-256 mismatch")),
            "{}",
            run.output
        );
    }
    assert_verified(&out, &run.output);
}

/// Fashion-MNIST's published `.gz` files: (name, SHA-256 of the `.gz`), independent of the
/// binary's own table.
const FASHION_GZ: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte",
        "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
    ),
    (
        "train-labels-idx1-ubyte",
        "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
    ),
    (
        "t10k-images-idx3-ubyte",
        "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
    ),
    (
        "t10k-labels-idx1-ubyte",
        "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    ),
];

fn leak(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

#[test]
fn fashion_mnist_mismatching_gz_is_refused_naming_file_and_both_digests() {
    // Stand-ins that are valid gzip IDX files of the right names, but not Zalando's bytes.
    let bodies = [
        gzip(&idx_images(3, 28, 28)),
        gzip(&idx_labels(3)),
        gzip(&idx_images(2, 28, 28)),
        gzip(&idx_labels(2)),
    ];
    let routes = FASHION_GZ
        .iter()
        .zip(&bodies)
        .map(|((name, _), body)| (format!("/fake/{name}.gz"), leak(body.clone())))
        .collect();
    let server = Server::with_routes(routes);
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("fashion-mnist");
    let mirror = server.mirror("fake");

    let run = fetch_dataset("fashion-mnist", &out, &mirror);
    assert!(!run.success, "{}", run.output);
    let error = &run.output[run.output.find("error:").expect("an error line")..];
    let (name, pinned) = FASHION_GZ[0];
    let got = format!("{:x}", Sha256::digest(&bodies[0]));
    assert!(
        error.contains(&format!(
            "could not fetch {name} from any of 1 mirror(s):\n  - {mirror}{name}.gz: SHA-256 \
             mismatch (got {got}, expected {pinned}); size {} bytes, expected 26421880",
            bodies[0].len()
        )),
        "{error}"
    );
    assert!(
        error.contains("cargo xtask fetch-mnist --dataset fashion-mnist --from"),
        "{error}"
    );
    // Fashion-MNIST's file names, from the --mirror only; it stops at the first bad file.
    assert_eq!(
        server.paths(),
        ["/fake/train-images-idx3-ubyte.gz"],
        "{}",
        run.output
    );
    assert_eq!(
        dir_entries(&out),
        Vec::<String>::new(),
        "no file may be left behind"
    );
}

#[test]
fn fashion_mnist_into_an_mnist_dir_is_refused_in_one_line_without_force() {
    let server = Server::start();
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("mnist");
    let run = xtask(&[
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);
    let before: Vec<(String, Vec<u8>)> = dir_entries(&out)
        .into_iter()
        .map(|n| (n.clone(), fs::read(out.join(&n)).unwrap()))
        .collect();

    let run = fetch_dataset("fashion-mnist", &out, &server.mirror("good"));
    assert!(!run.success, "{}", run.output);
    let error = &run.output[run.output.find("error:").expect("an error line")..];
    assert_eq!(
        error,
        format!(
            "error: {} holds MNIST, not Fashion-MNIST: refusing to replace its files (nothing was \
             fetched or changed); pass --force to replace them with Fashion-MNIST, or choose \
             another --out directory (the default for Fashion-MNIST is data/fashion-mnist)\n",
            out.display()
        )
    );
    assert_eq!(server.requests(), 0, "nothing may be downloaded");
    let after: Vec<(String, Vec<u8>)> = dir_entries(&out)
        .into_iter()
        .map(|n| (n.clone(), fs::read(out.join(&n)).unwrap()))
        .collect();
    assert_eq!(after, before, "nothing may change");
}

#[test]
fn fashion_mnist_from_raw_mnist_files_is_refused() {
    let tmp = TempDir::new().unwrap();
    let mnist = tmp.path().join("mnist");
    let run = xtask(&[
        "--from",
        gz_dir().to_str().unwrap(),
        "--out",
        mnist.to_str().unwrap(),
    ]);
    assert!(run.success, "{}", run.output);

    // Raw files have no pin for Fashion-MNIST; MNIST's are valid IDX of the right shape, but
    // recognised by MNIST's pins.
    let out = tmp.path().join("fashion-mnist");
    let run = xtask(&[
        "--dataset",
        "fashion-mnist",
        "--from",
        mnist.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "no valid copy of train-images-idx3-ubyte in {}:\n  - {}: this is MNIST's \
             train-images-idx3-ubyte, not Fashion-MNIST's",
            mnist.display(),
            mnist.join("train-images-idx3-ubyte").display()
        )),
        "{}",
        run.output
    );
    assert_eq!(dir_entries(&out), Vec::<String>::new());
}

#[test]
fn unknown_dataset_is_a_usage_error_listing_the_known_ones() {
    let out = TempDir::new().unwrap();
    let run = xtask(&["--dataset", "emnist", "--out", out.path().to_str().unwrap()]);
    assert!(!run.success, "{}", run.output);
    assert!(
        run.output
            .contains("[possible values: mnist, fashion-mnist, kmnist]"),
        "{}",
        run.output
    );
    assert_eq!(dir_entries(out.path()), Vec::<String>::new());
}

/// KMNIST is fetched like Fashion-MNIST: its `.gz` checked against its own pins.
#[test]
fn kmnist_mismatching_gz_is_refused_against_its_own_pin() {
    let body = gzip(&idx_images(3, 28, 28));
    let routes = vec![(
        "/k/train-images-idx3-ubyte.gz".to_string(),
        leak(body.clone()),
    )]
    .into_iter()
    .collect();
    let server = Server::with_routes(routes);
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("kmnist");
    let mirror = server.mirror("k");
    let run = fetch_dataset("kmnist", &out, &mirror);
    assert!(!run.success, "{}", run.output);
    let got = format!("{:x}", Sha256::digest(&body));
    assert!(
        run.output.contains(&format!(
            "SHA-256 mismatch (got {got}, expected \
             51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4)"
        )),
        "{}",
        run.output
    );
    assert_eq!(server.paths(), ["/k/train-images-idx3-ubyte.gz"]);
    assert_eq!(dir_entries(&out), Vec::<String>::new());
}
