//! `cargo xtask fetch-mnist`: download (or copy) the four MNIST IDX files and
//! verify them against the pinned table in [`crate::mnist_files`].
//!
//! Contract:
//! * On success every file of [`MNIST_FILES`] exists in the output directory,
//!   uncompressed, under its exact name, and its SHA-256 matches the table.
//! * A file is only ever created under its final name by renaming a fully
//!   written, verified temporary file (`.<name>.part-<pid>`, same directory).
//!   Temporaries are deleted on every error path; one left behind by a killed
//!   process is hidden, never has a data file's name, and is removed at the
//!   start of the next run (so concurrent runs into one directory are not
//!   supported).
//! * Files already present and verified are not fetched again.
//! * A present file that is a valid IDX file of another data set (it parses as IDX images or
//!   labels with `mnist-idx`, raw or gzip, but is not MNIST's pinned file, e.g. Fashion-MNIST) is
//!   never replaced without `--force`: the run stops before fetching or changing anything, with
//!   one error naming every such file. Files that are not valid IDX (corrupt, truncated, a stale
//!   partial copy) are replaced as before, and so is MNIST's own file stored gzip-compressed.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest as _, Sha256};

use crate::mnist_files::{MNIST_FILES, MnistFile};

/// Where the files come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Mirror base URLs, tried in order; `<name>.gz` is appended to each.
    Mirrors(Vec<String>),
    /// A local directory holding each file as `<name>` or `<name>.gz`.
    LocalDir(PathBuf),
}

/// Makes sure all MNIST files are present and verified in `out` (created if
/// missing), fetching the missing or invalid ones from `source`.
///
/// Fails before fetching anything if `out` holds a valid IDX file of another
/// data set under one of MNIST's names, unless `force` (then it is replaced).
/// Fails on the first file that no source could provide; files completed
/// before that stay (they are verified), no partial file is left.
pub fn run(out: &Path, source: &Source, force: bool) -> Result<()> {
    match source {
        Source::Mirrors(mirrors) if mirrors.is_empty() => {
            bail!("no mirrors to try: --no-default-mirrors needs at least one --mirror URL")
        }
        Source::LocalDir(dir) if !dir.is_dir() => {
            bail!(
                "--from directory {} does not exist or is not a directory",
                dir.display()
            )
        }
        _ => {}
    }
    fs::create_dir_all(out)
        .with_context(|| format!("creating output directory {}", out.display()))?;
    let found: Vec<Present> = MNIST_FILES
        .iter()
        .map(|file| inspect(&out.join(file.name), file))
        .collect();
    if !force {
        refuse_foreign(out, &found)?;
    }
    remove_stale_parts(out)?;

    let agent = new_agent();
    let (mut fetched, mut present) = (0, 0);
    for (file, found) in MNIST_FILES.iter().zip(found) {
        match found {
            Present::Missing => {}
            Present::Verified => {
                eprintln!("{}: present, verified", file.name);
                present += 1;
                continue;
            }
            Present::Invalid(err) => eprintln!(
                "{}: present but invalid ({err:#}); fetching it again",
                file.name
            ),
            Present::Foreign(what) => eprintln!(
                "{}: present, another IDX data set ({what}); --force: replacing it with MNIST",
                file.name
            ),
        }
        match source {
            Source::Mirrors(mirrors) => fetch_from_mirrors(&agent, mirrors, file, out)?,
            Source::LocalDir(dir) => copy_from_dir(dir, file, out)?,
        }
        fetched += 1;
    }
    println!(
        "fetch-mnist: all {} MNIST files verified in {} ({fetched} fetched, {present} already present)",
        MNIST_FILES.len(),
        out.display()
    );
    Ok(())
}

/// What is at an output path before fetching.
#[derive(Debug)]
enum Present {
    Missing,
    /// MNIST's pinned file.
    Verified,
    /// Neither MNIST nor a valid IDX file (corrupt, truncated, unreadable): replaced.
    Invalid(anyhow::Error),
    /// A valid IDX file of another data set, described (`60000 images of 28x28`): replaced only
    /// with `--force`.
    Foreign(String),
}

/// Classifies what is at `path`, which should hold `file`.
fn inspect(path: &Path, file: &MnistFile) -> Present {
    if !path.exists() {
        return Present::Missing;
    }
    let err = match verify_file(path, file) {
        Ok(()) => return Present::Verified,
        Err(err) => err,
    };
    match describe_idx(path) {
        Some(what) if !is_gzipped_mnist(path, file) => Present::Foreign(what),
        _ => Present::Invalid(err),
    }
}

/// `Some("60000 images of 28x28")` or `Some("60000 labels")` if `path` is a valid IDX image or
/// label file (raw or gzip), whatever its name says it should hold.
fn describe_idx(path: &Path) -> Option<String> {
    if let Ok(images) = mnist_idx::read_images(path) {
        return Some(format!(
            "{} images of {}x{}",
            images.count, images.rows, images.cols
        ));
    }
    mnist_idx::read_labels(path)
        .ok()
        .map(|labels| format!("{} labels", labels.len()))
}

/// Whether `path` is `file` itself, gzip-compressed (e.g. a mirror's `.gz` saved without its
/// suffix): that is MNIST, not another data set, so it may be replaced by the uncompressed file.
fn is_gzipped_mnist(path: &Path, file: &MnistFile) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 2];
    if f.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] || f.rewind().is_err() {
        return false;
    }
    let decoded = MultiGzDecoder::new(BufReader::new(f));
    copy_and_hash(decoded, io::sink(), Path::new("nowhere"), file)
        .is_ok_and(|digest| check_digest(&digest, file).is_ok())
}

/// Without `--force`: one error naming every valid IDX file of another data set found in `out`.
fn refuse_foreign(out: &Path, found: &[Present]) -> Result<()> {
    let foreign: Vec<String> = MNIST_FILES
        .iter()
        .zip(found)
        .filter_map(|(file, found)| match found {
            Present::Foreign(what) => Some(format!(
                "  - {} holds another IDX data set ({what}), not MNIST's {}",
                out.join(file.name).display(),
                file.name
            )),
            _ => None,
        })
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    let (files, them) = if foreign.len() == 1 {
        ("a file", "it")
    } else {
        ("files", "them")
    };
    bail!(
        "refusing to replace {files} of another IDX data set in {} (nothing was fetched or \
         changed):\n{}\nPass --force to replace {them} with MNIST, or choose another --out \
         directory.",
        out.display(),
        foreign.join("\n")
    )
}

/// The URL of `name.gz` under mirror base URL `base` (with or without trailing `/`).
pub fn mirror_url(base: &str, name: &str) -> String {
    format!("{}/{name}.gz", base.trim_end_matches('/'))
}

/// Checks that the file at `path` has exactly the size and SHA-256 pinned for `file`.
pub fn verify_file(path: &Path, file: &MnistFile) -> Result<()> {
    let reader = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let digest = copy_and_hash(
        BufReader::new(reader),
        io::sink(),
        Path::new("nowhere"),
        file,
    )
    .with_context(|| format!("{}", path.display()))?;
    check_digest(&digest, file)
}

/// Size and SHA-256 (lowercase hex) of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub size: u64,
    pub sha256: String,
}

/// `Ok` iff `digest` matches the pinned size and SHA-256 of `file`; the error
/// reads `SHA-256 mismatch (got …, expected …)`, plus the sizes if they differ.
pub fn check_digest(digest: &Digest, file: &MnistFile) -> Result<()> {
    if digest.sha256 == file.sha256 && digest.size == file.size {
        return Ok(());
    }
    let mut msg = format!(
        "SHA-256 mismatch (got {}, expected {})",
        digest.sha256, file.sha256
    );
    if digest.size != file.size {
        let more = if digest.size > file.size {
            " or more"
        } else {
            ""
        };
        msg += &format!("; size {}{more} bytes, expected {}", digest.size, file.size);
    }
    Err(anyhow!(msg))
}

/// Streams `reader` into `writer` (described as `dest` in errors), hashing
/// what passes through. Reads at most `file.size + 1` bytes, so an oversized
/// stream is detected without consuming it all (its digest then fails
/// [`check_digest`]).
fn copy_and_hash(
    reader: impl Read,
    mut writer: impl Write,
    dest: &Path,
    file: &MnistFile,
) -> Result<Digest> {
    let mut reader = reader.take(file.size + 1);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow!(e).context("reading or decompressing")),
        };
        hasher.update(&buf[..n]);
        writer
            .write_all(&buf[..n])
            .with_context(|| format!("writing {}", dest.display()))?;
        size += n as u64;
    }
    writer
        .flush()
        .with_context(|| format!("writing {}", dest.display()))?;
    Ok(Digest {
        size,
        sha256: format!("{:x}", hasher.finalize()),
    })
}

/// Writes `reader`'s bytes to a temporary file in `out`, verifies them against
/// `file`, and only then renames the temporary to `out/<name>`. On any error
/// the temporary is removed and `out/<name>` is untouched.
fn install(reader: impl Read, file: &MnistFile, out: &Path) -> Result<()> {
    let part = PartFile::create(out, file.name)?;
    let digest = copy_and_hash(reader, BufWriter::new(part.file()), &part.path, file)?;
    check_digest(&digest, file)?;
    part.persist(&out.join(file.name))
}

/// Tries each mirror in turn until one yields a verified `file`.
fn fetch_from_mirrors(
    agent: &ureq::Agent,
    mirrors: &[String],
    file: &MnistFile,
    out: &Path,
) -> Result<()> {
    let mut failures = Vec::new();
    for (i, base) in mirrors.iter().enumerate() {
        let url = mirror_url(base, file.name);
        match download(agent, &url, file, out) {
            Ok(()) => {
                eprintln!("{}: fetched from {url}, verified", file.name);
                return Ok(());
            }
            Err(err) => {
                let next = if i + 1 < mirrors.len() {
                    "; trying next mirror"
                } else {
                    ""
                };
                eprintln!("{} from {url}: {err:#}{next}", file.name);
                failures.push(format!("  - {url}: {err:#}"));
            }
        }
    }
    bail!(
        "could not fetch {} from any of {} mirror(s):\n{}\n\
         If you have the MNIST files locally (as <name> or <name>.gz), use:\n  \
         cargo xtask fetch-mnist --from <dir-with-the-files>",
        file.name,
        mirrors.len(),
        failures.join("\n")
    )
}

/// Downloads `url` (a gzip stream) and installs its decompressed content.
fn download(agent: &ureq::Agent, url: &str, file: &MnistFile, out: &Path) -> Result<()> {
    let response = agent.get(url).call()?;
    let total = response.body().content_length();
    let progress = Progress::start(file.name, url, total);
    let body = progress.wrap(response.into_body().into_reader());
    let result = install(MultiGzDecoder::new(body), file, out);
    progress.finish();
    result
}

/// Installs `file` from `dir/<name>` or else `dir/<name>.gz`.
fn copy_from_dir(dir: &Path, file: &MnistFile, out: &Path) -> Result<()> {
    let raw = dir.join(file.name);
    let gz = dir.join(format!("{}.gz", file.name));
    if !raw.is_file() && !gz.is_file() {
        bail!(
            "{} not found in {} (looked for {} and {}.gz)",
            file.name,
            dir.display(),
            file.name,
            file.name
        );
    }
    let mut failures = Vec::new();
    for (path, gzipped) in [(raw, false), (gz, true)] {
        if !path.is_file() {
            continue;
        }
        let attempt = File::open(&path)
            .with_context(|| format!("opening {}", path.display()))
            .and_then(|f| {
                let f = BufReader::new(f);
                if gzipped {
                    install(MultiGzDecoder::new(f), file, out)
                } else {
                    install(f, file, out)
                }
            });
        match attempt {
            Ok(()) => {
                eprintln!("{}: copied from {}, verified", file.name, path.display());
                return Ok(());
            }
            Err(err) => {
                eprintln!("{} from {}: {err:#}", file.name, path.display());
                failures.push(format!("  - {}: {err:#}", path.display()));
            }
        }
    }
    bail!(
        "no valid copy of {} in {}:\n{}",
        file.name,
        dir.display(),
        failures.join("\n")
    )
}

/// The HTTP agent: bounded connect and per-read timeouts (no whole-body
/// timeout, so slow links still finish), HTTP error statuses are errors.
fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .user_agent(concat!("snn-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

const PART_INFIX: &str = ".part-";

/// Removes `.<name>.part-*` leftovers of interrupted runs from `out`.
fn remove_stale_parts(out: &Path) -> Result<()> {
    let entries = fs::read_dir(out).with_context(|| format!("listing {}", out.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", out.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = MNIST_FILES.iter().any(|f| {
            name.strip_prefix('.')
                .and_then(|n| n.strip_prefix(f.name))
                .is_some_and(|n| n.starts_with(PART_INFIX))
        });
        if stale {
            let path = entry.path();
            fs::remove_file(&path)
                .with_context(|| format!("removing stale partial download {}", path.display()))?;
            eprintln!("removed stale partial download {}", path.display());
        }
    }
    Ok(())
}

/// A temporary `.<name>.part-<pid>` file; deleted on drop unless persisted.
struct PartFile {
    path: PathBuf,
    file: Option<File>,
}

impl PartFile {
    fn create(dir: &Path, name: &str) -> Result<Self> {
        let path = dir.join(format!(".{name}{PART_INFIX}{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating temporary file {}", path.display()))?;
        Ok(Self {
            path,
            file: Some(file),
        })
    }

    fn file(&self) -> &File {
        self.file.as_ref().expect("PartFile used after persist")
    }

    /// Flushes the file to disk and renames it to `dest` (replacing it).
    fn persist(mut self, dest: &Path) -> Result<()> {
        let file = self.file.take().expect("PartFile persisted twice");
        file.sync_all()
            .with_context(|| format!("syncing {}", self.path.display()))?;
        drop(file);
        fs::rename(&self.path, dest)
            .with_context(|| format!("renaming {} to {}", self.path.display(), dest.display()))?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Download progress: an indicatif bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn start(name: &str, url: &str, total: Option<u64>) -> Self {
        if !io::stderr().is_terminal() {
            let size = total.map(|t| format!(" ({t} bytes)")).unwrap_or_default();
            eprintln!("{name}: downloading {url}{size}");
            return Self { bar: None };
        }
        let (bar, template) = match total {
            Some(t) => (
                ProgressBar::new(t),
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ),
            None => (
                ProgressBar::no_length(),
                "{msg} {spinner} {bytes} {bytes_per_sec}",
            ),
        };
        let style = ProgressStyle::with_template(template)
            .expect("valid progress template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_string());
        Self { bar: Some(bar) }
    }

    fn wrap(&self, reader: impl Read + 'static) -> Box<dyn Read> {
        match &self.bar {
            Some(bar) => Box::new(bar.wrap_read(reader)),
            None => Box::new(reader),
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: MnistFile = MnistFile {
        name: "abc",
        size: 3,
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };

    #[test]
    fn mirror_url_accepts_trailing_slash_or_not() {
        assert_eq!(mirror_url("http://h/a/", "f"), "http://h/a/f.gz");
        assert_eq!(mirror_url("http://h/a", "f"), "http://h/a/f.gz");
    }

    #[test]
    fn copy_and_hash_matches_known_vector() {
        let mut out = Vec::new();
        let digest = copy_and_hash(&b"abc"[..], &mut out, Path::new("out"), &ABC).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(
            digest,
            Digest {
                size: 3,
                sha256: ABC.sha256.into()
            }
        );
        check_digest(&digest, &ABC).unwrap();
    }

    #[test]
    fn verify_file_accepts_match_and_reports_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        fs::write(&path, b"abc").unwrap();
        verify_file(&path, &ABC).unwrap();

        fs::write(&path, b"abd").unwrap();
        let err = format!("{:#}", verify_file(&path, &ABC).unwrap_err());
        assert!(err.starts_with("SHA-256 mismatch (got "), "{err}");
        assert!(err.contains(&format!("expected {})", ABC.sha256)), "{err}");
        assert!(!err.contains("size"), "{err}");

        fs::write(&path, b"abcdef").unwrap();
        let err = format!("{:#}", verify_file(&path, &ABC).unwrap_err());
        assert!(err.contains("size 4 or more bytes, expected 3"), "{err}");
    }

    #[test]
    fn install_leaves_nothing_on_mismatch_and_renames_on_match() {
        let dir = tempfile::tempdir().unwrap();
        assert!(install(&b"xyz"[..], &ABC, dir.path()).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        install(&b"abc"[..], &ABC, dir.path()).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["abc"]);
    }

    #[test]
    fn stale_parts_are_removed_and_data_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = format!(".{}{PART_INFIX}12345", MNIST_FILES[0].name);
        for name in [stale.as_str(), MNIST_FILES[1].name, ".unrelated.part-1"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_stale_parts(dir.path()).unwrap();
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [".unrelated.part-1", MNIST_FILES[1].name]);
    }
}
