//! `cargo xtask fetch-mnist [--dataset mnist|fashion-mnist]`: download (or copy) the four IDX
//! files of a data set and verify them against its pinned table in [`crate::mnist_files`].
//!
//! Contract:
//! * On success every file of the data set exists in the output directory, uncompressed, under
//!   its exact name, and `classes.txt` holds the data set's class names, one per line in label
//!   order (MNIST: the digits `0` to `9`; Fashion-MNIST: `T-shirt/top` to `Ankle boot`).
//! * What is verified depends on what the table pins ([`Pinned`]):
//!   - MNIST pins the uncompressed files: each file's size and SHA-256 must match, whether it came
//!     from a mirror's `.gz` or from a `--from` file, raw or `.gz`.
//!   - Fashion-MNIST pins the `.gz` files as published: a downloaded `.gz` (or a `--from`
//!     `<name>.gz`) must match the pinned size and SHA-256 before what it decompresses to is
//!     written. A raw `--from` file has no pin to match; it is only checked to be a valid IDX
//!     file of the right shape (e.g. 60000 images of 28x28, or 60000 labels each below the
//!     number of classes) that is not another data set's pinned file (MNIST's), and a line says
//!     so. `--from` tries `<name>.gz` before `<name>` for such data sets. The SHA-256 of each
//!     uncompressed file written is recorded in `<out>/.fashion-mnist.sha256` (`sha256sum`
//!     format) before the file is renamed into place; a present file counts as verified only if
//!     it matches that record. Fetching another data set into the directory removes the record.
//! * A file is only ever created under its final name by renaming a fully written, verified
//!   temporary file (`.<name>.part-<pid>`, same directory); so are `classes.txt` and the record.
//!   Temporaries are deleted on every error path; one left behind by a killed process is hidden,
//!   never has a data file's name, and is removed at the start of the next run (so concurrent
//!   runs into one directory are not supported).
//! * Files already present and verified are not fetched again.
//! * A present file that is a valid IDX file (it parses as IDX images or labels with `mnist-idx`,
//!   raw or gzip) but not the requested data set's verified file (e.g. Fashion-MNIST when fetching
//!   MNIST, or MNIST when fetching Fashion-MNIST) is never replaced without `--force`: the run
//!   stops before fetching or changing anything. When every such file is recognised as one other
//!   known data set (MNIST by its pins, Fashion-MNIST by its record), the error is one line naming
//!   the directory, that data set and the fix; otherwise it names every such file. Files that are
//!   not valid IDX (corrupt, truncated, a stale partial copy) are replaced as before, and so is
//!   the data set's own file stored gzip-compressed.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest as _, Sha256};

use crate::mnist_files::{CLASSES_FILE, DATA_SETS, DataSet, IdxFile, Pinned, Shape};

/// Where the files come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Mirror base URLs, tried in order; `<name>.gz` is appended to each.
    Mirrors(Vec<String>),
    /// A local directory holding each file as `<name>` or `<name>.gz`.
    LocalDir(PathBuf),
}

/// Makes sure all files of `ds` are present and verified in `out` (created if missing), fetching
/// the missing or invalid ones from `source`, and writes `out/classes.txt`.
///
/// Fails before fetching anything if `out` holds a valid IDX file that is not `ds`'s under one
/// of its names, unless `force` (then it is replaced). Fails on the first file that no source
/// could provide; files completed before that stay (they are verified), no partial file is left.
pub fn run(ds: &DataSet, out: &Path, source: &Source, force: bool) -> Result<()> {
    run_with(ds, out, source, force, &new_agent(true))
}

fn run_with(
    ds: &DataSet,
    out: &Path,
    source: &Source,
    force: bool,
    agent: &ureq::Agent,
) -> Result<()> {
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
    let mut record = Record::load(out, ds);
    let found: Vec<Present> = ds
        .files
        .iter()
        .map(|file| inspect(ds, &record, out, file))
        .collect();
    if !force {
        refuse_foreign(ds, out, &found)?;
    }
    remove_stale_parts(out)?;

    let (mut fetched, mut present, mut unpinned) = (0, 0, 0);
    for (file, found) in ds.files.iter().zip(found) {
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
            Present::Foreign { what, known } => {
                let what = match known {
                    Some(other) => format!("{other}'s file"),
                    None => format!("another IDX data set ({what})"),
                };
                eprintln!(
                    "{}: present, {what}; --force: replacing it with {}",
                    file.name, ds.name
                );
            }
        }
        let staged = match source {
            Source::Mirrors(mirrors) => fetch_from_mirrors(agent, mirrors, ds, file, out)?,
            Source::LocalDir(dir) => copy_from_dir(dir, ds, file, out)?,
        };
        // Recorded before it is in place: a run killed in between leaves a recorded file
        // missing (fetched again), never an unrecorded one (refused as another data set).
        if ds.pinned == Pinned::Gz {
            record.set(ds, file.name, &staged.digest.sha256);
            record.save(out, ds)?;
        }
        staged.part.persist(&out.join(file.name))?;
        fetched += 1;
        if !staged.pinned {
            unpinned += 1;
        }
    }
    write_classes(out, ds)?;
    remove_other_records(out, ds)?;
    let unpinned = if unpinned > 0 {
        format!(
            "; {unpinned} from raw files, checked only as valid IDX files of the right shape \
             ({} pins the .gz files)",
            ds.name
        )
    } else {
        String::new()
    };
    println!(
        "fetch-mnist: all {} {} files verified in {} ({fetched} fetched, {present} already \
         present{unpinned}); class names in {CLASSES_FILE}",
        ds.files.len(),
        ds.name,
        out.display()
    );
    Ok(())
}

/// What is at an output path before fetching.
#[derive(Debug)]
enum Present {
    Missing,
    /// The data set's verified file.
    Verified,
    /// Not the data set's file and not a valid IDX file (corrupt, truncated, unreadable), or the
    /// data set's file gzip-compressed: replaced.
    Invalid(anyhow::Error),
    /// A valid IDX file that is not the data set's, described (`60000 images of 28x28`), and the
    /// name of the known data set it belongs to, if recognised: replaced only with `--force`.
    Foreign {
        what: String,
        known: Option<&'static str>,
    },
}

/// Classifies what is at `out/<file.name>` when fetching `ds`.
fn inspect(ds: &DataSet, record: &Record, out: &Path, file: &IdxFile) -> Present {
    let path = out.join(file.name);
    if !path.exists() {
        return Present::Missing;
    }
    let err = match verify_present(ds, record, &path, file) {
        Ok(()) => return Present::Verified,
        Err(err) => err,
    };
    match describe_idx(&path, file.shape) {
        Ok(what) if !is_gzipped_own(ds, &path, file) => Present::Foreign {
            what,
            known: identify(ds, out, &path, file.name),
        },
        // A gz-pinned data set has no digest for a raw file it did not record; what makes
        // such a file invalid is that it is not valid IDX.
        Err(idx_err) if ds.pinned == Pinned::Gz && record.sha(file.name).is_none() => {
            Present::Invalid(idx_err)
        }
        _ => Present::Invalid(err),
    }
}

/// `Ok` iff the uncompressed file at `path` is `ds`'s `file`: its pinned size and SHA-256
/// ([`Pinned::Raw`]), or the SHA-256 in `record` ([`Pinned::Gz`]).
fn verify_present(ds: &DataSet, record: &Record, path: &Path, file: &IdxFile) -> Result<()> {
    match ds.pinned {
        Pinned::Raw => verify_file(path, file),
        Pinned::Gz => {
            let Some(recorded) = record.sha(file.name) else {
                bail!("no SHA-256 recorded for it in {}", ds.manifest_name());
            };
            // The record is this command's own, so its SHA-256 alone identifies the file.
            let digest = hash_file(path, file.shape.raw_size() + 1)?;
            check_digest(
                &digest,
                Pin {
                    size: digest.size,
                    sha256: recorded,
                },
            )
        }
    }
}

/// `"60000 images of 28x28"` or `"60000 labels"` if `path` is a valid IDX image or label file
/// (raw or gzip), whatever its name says it should hold; else the error of reading it as what
/// `expected` says it should be.
fn describe_idx(path: &Path, expected: Shape) -> Result<String> {
    let images = mnist_idx::read_images(path)
        .map(|images| format!("{} images of {}x{}", images.count, images.rows, images.cols));
    let labels = || mnist_idx::read_labels(path).map(|labels| format!("{} labels", labels.len()));
    match (images, expected) {
        (Ok(what), _) => Ok(what),
        (Err(err), Shape::Images { .. }) => labels().map_err(|_| err.into()),
        (Err(_), Shape::Labels { .. }) => labels().map_err(Into::into),
    }
}

/// Whether `path` is `file` itself, gzip-compressed (e.g. a mirror's `.gz` saved without its
/// suffix): that is `ds`, not another data set, so it may be replaced by the uncompressed file.
fn is_gzipped_own(ds: &DataSet, path: &Path, file: &IdxFile) -> bool {
    if ds.pinned == Pinned::Gz {
        return verify_file(path, file).is_ok();
    }
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 2];
    if f.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] || f.rewind().is_err() {
        return false;
    }
    let decoded = MultiGzDecoder::new(BufReader::new(f));
    copy_and_hash(decoded, io::sink(), Path::new("nowhere"), file.size + 1)
        .is_ok_and(|digest| check_digest(&digest, file.into()).is_ok())
}

/// The name of the known data set other than `ds` whose file `name` is at `path` (in `out`):
/// by its pins for [`Pinned::Raw`] sets, by its record in `out` for [`Pinned::Gz`] sets.
fn identify(ds: &DataSet, out: &Path, path: &Path, name: &str) -> Option<&'static str> {
    DATA_SETS
        .iter()
        .filter(|other| other.id != ds.id)
        .find(|other| {
            let Some(file) = other.files.iter().find(|f| f.name == name) else {
                return false;
            };
            match other.pinned {
                Pinned::Raw => verify_file(path, file).is_ok(),
                Pinned::Gz => verify_present(other, &Record::load(out, other), path, file).is_ok(),
            }
        })
        .map(|other| other.name)
}

/// Without `--force`: the error naming the valid IDX files in `out` that are not `ds`'s. One
/// line when they all belong to one other known data set; otherwise one line per file.
fn refuse_foreign(ds: &DataSet, out: &Path, found: &[Present]) -> Result<()> {
    let foreign: Vec<(&IdxFile, &str, Option<&str>)> = ds
        .files
        .iter()
        .zip(found)
        .filter_map(|(file, found)| match found {
            Present::Foreign { what, known } => Some((file, what.as_str(), *known)),
            _ => None,
        })
        .collect();
    let Some(&(_, _, first)) = foreign.first() else {
        return Ok(());
    };
    let (them, files) = if foreign.len() == 1 {
        ("it", "a file")
    } else {
        ("them", "files")
    };
    let elsewhere = if out == Path::new(ds.default_out) {
        String::new()
    } else {
        format!(" (the default for {} is {})", ds.name, ds.default_out)
    };
    if let Some(other) = first.filter(|_| foreign.iter().all(|f| f.2 == first)) {
        let (holds, what) = match foreign.len() {
            1 => (format!("{other}'s {}", foreign[0].0.name), "it"),
            n if n == ds.files.len() => (other.to_string(), "its files"),
            n => (format!("{n} of {other}'s files"), "them"),
        };
        bail!(
            "{} holds {holds}, not {}: refusing to replace {what} (nothing was fetched or \
             changed); pass --force to replace {them} with {}, or choose another --out \
             directory{elsewhere}",
            out.display(),
            ds.name,
            ds.name
        );
    }
    let lines: Vec<String> = foreign
        .iter()
        .map(|(file, what, known)| {
            let path = out.join(file.name);
            match (known, ds.pinned) {
                (Some(other), _) => format!(
                    "  - {} holds {other}'s {}, not {}'s",
                    path.display(),
                    file.name,
                    ds.name
                ),
                (None, Pinned::Raw) => format!(
                    "  - {} holds another IDX data set ({what}), not {}'s {}",
                    path.display(),
                    ds.name,
                    file.name
                ),
                (None, Pinned::Gz) => format!(
                    "  - {} holds an IDX file ({what}) not verified as {}'s {} (no matching \
                     SHA-256 in {})",
                    path.display(),
                    ds.name,
                    file.name,
                    ds.manifest_name()
                ),
            }
        })
        .collect();
    bail!(
        "refusing to replace {files} of another IDX data set in {} (nothing was fetched or \
         changed):\n{}\nPass --force to replace {them} with {}, or choose another --out \
         directory{elsewhere}.",
        out.display(),
        lines.join("\n"),
        ds.name
    )
}

/// The URL of `name.gz` under mirror base URL `base` (with or without trailing `/`).
pub fn mirror_url(base: &str, name: &str) -> String {
    format!("{}/{name}.gz", base.trim_end_matches('/'))
}

/// A pinned size and SHA-256 (lowercase hex).
#[derive(Debug, Clone, Copy)]
pub struct Pin<'a> {
    pub size: u64,
    pub sha256: &'a str,
}

impl From<&IdxFile> for Pin<'static> {
    fn from(file: &IdxFile) -> Self {
        Pin {
            size: file.size,
            sha256: file.sha256,
        }
    }
}

/// Checks that the file at `path` has exactly the size and SHA-256 pinned for `file` (the
/// uncompressed file for [`Pinned::Raw`] data sets, the `.gz` for [`Pinned::Gz`] ones).
pub fn verify_file(path: &Path, file: &IdxFile) -> Result<()> {
    let digest = hash_file(path, file.size + 1)?;
    check_digest(&digest, file.into())
}

/// Size and SHA-256 of the first `limit` bytes of the file at `path`.
fn hash_file(path: &Path, limit: u64) -> Result<Digest> {
    let reader = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    copy_and_hash(
        BufReader::new(reader),
        io::sink(),
        Path::new("nowhere"),
        limit,
    )
    .with_context(|| format!("{}", path.display()))
}

/// Size and SHA-256 (lowercase hex) of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub size: u64,
    pub sha256: String,
}

/// `Ok` iff `digest` matches `pin`; the error reads `SHA-256 mismatch (got …, expected …)`,
/// plus the sizes if they differ.
pub fn check_digest(digest: &Digest, pin: Pin) -> Result<()> {
    if digest.sha256 == pin.sha256 && digest.size == pin.size {
        return Ok(());
    }
    let mut msg = format!(
        "SHA-256 mismatch (got {}, expected {})",
        digest.sha256, pin.sha256
    );
    if digest.size != pin.size {
        let more = if digest.size > pin.size {
            " or more"
        } else {
            ""
        };
        msg += &format!("; size {}{more} bytes, expected {}", digest.size, pin.size);
    }
    Err(anyhow!(msg))
}

/// Streams at most `limit` bytes of `reader` into `writer` (described as `dest` in errors),
/// hashing what passes through. With `limit` one more than the expected size, an oversized
/// stream is detected without consuming it all (its digest then fails [`check_digest`]).
fn copy_and_hash(
    reader: impl Read,
    mut writer: impl Write,
    dest: &Path,
    limit: u64,
) -> Result<Digest> {
    let mut reader = reader.take(limit);
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

/// A reader that hashes and counts every byte read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Decompresses the `.gz` stream `reader` into `writer`, checking the compressed bytes against
/// `file`'s pin (read entirely, at most one byte past the pinned size) and the decompressed
/// size against its shape; returns the digest of the decompressed bytes. A digest mismatch is
/// reported in preference to a decompression error (bytes that are not the pinned ones need not
/// be gzip at all).
fn gunzip_pinned(
    reader: impl Read,
    writer: impl Write,
    dest: &Path,
    file: &IdxFile,
) -> Result<Digest> {
    let hashing = HashingReader {
        inner: reader.take(file.size + 1),
        hasher: Sha256::new(),
        size: 0,
    };
    let mut decoder = MultiGzDecoder::new(hashing);
    let raw_size = file.shape.raw_size();
    let raw = copy_and_hash(&mut decoder, writer, dest, raw_size + 1);
    let mut hashing = decoder.into_inner();
    io::copy(&mut hashing, &mut io::sink()).context("reading")?;
    let gz = Digest {
        size: hashing.size,
        sha256: format!("{:x}", hashing.hasher.finalize()),
    };
    check_digest(&gz, file.into())?;
    let raw = raw?;
    if raw.size != raw_size {
        bail!(
            "the pinned .gz decompresses to {} bytes, but {} take {raw_size}",
            raw.size,
            file.shape
        );
    }
    Ok(raw)
}

/// How a source stream is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Raw,
    Gz,
}

/// A verified file, still under its temporary name: [`PartFile::persist`] puts it in place
/// (after its SHA-256 is recorded, for [`Pinned::Gz`] data sets); dropped, it is deleted.
struct Staged {
    part: PartFile,
    /// Size and SHA-256 of the uncompressed file.
    digest: Digest,
    /// Whether it was checked against a pin (else only as a valid IDX file of the right shape).
    pinned: bool,
}

/// Writes the uncompressed content of `reader` (encoded as `encoding`) to a temporary file in
/// `out` and verifies it as `ds`'s `file` (see the module docs). On any error the temporary is
/// removed; `out/<name>` is untouched either way.
fn install(
    reader: impl Read,
    encoding: Encoding,
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged> {
    let part = PartFile::create(out, file.name)?;
    let writer = BufWriter::new(part.file());
    let raw_limit = match ds.pinned {
        Pinned::Raw => file.size,
        Pinned::Gz => file.shape.raw_size(),
    } + 1;
    let (digest, pinned) = match (ds.pinned, encoding) {
        (Pinned::Raw, Encoding::Raw) => {
            let digest = copy_and_hash(reader, writer, &part.path, raw_limit)?;
            check_digest(&digest, file.into())?;
            (digest, true)
        }
        (Pinned::Raw, Encoding::Gz) => {
            let digest = copy_and_hash(MultiGzDecoder::new(reader), writer, &part.path, raw_limit)?;
            check_digest(&digest, file.into())?;
            (digest, true)
        }
        (Pinned::Gz, Encoding::Gz) => (gunzip_pinned(reader, writer, &part.path, file)?, true),
        (Pinned::Gz, Encoding::Raw) => {
            let digest = copy_and_hash(reader, writer, &part.path, raw_limit)?;
            check_unpinned(&part.path, &digest, ds, file)?;
            (digest, false)
        }
    };
    Ok(Staged {
        part,
        digest,
        pinned,
    })
}

/// The check of an uncompressed file of a [`Pinned::Gz`] data set (written to `path`, with
/// `digest`): a valid IDX file of `file`'s shape (labels below the number of classes) and not a
/// pinned file of another data set.
fn check_unpinned(path: &Path, digest: &Digest, ds: &DataSet, file: &IdxFile) -> Result<()> {
    let expected = file.shape.raw_size();
    if digest.size != expected {
        let more = if digest.size > expected {
            " or more"
        } else {
            ""
        };
        bail!(
            "size {}{more} bytes, but {} take {expected} (a raw IDX file is needed here)",
            digest.size,
            file.shape
        );
    }
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let found = match file.shape {
        Shape::Images { .. } => {
            let images = mnist_idx::read_images_from(file.name, BufReader::new(f))?;
            Shape::Images {
                count: images.count as u64,
                rows: images.rows as u64,
                cols: images.cols as u64,
            }
        }
        Shape::Labels { .. } => {
            let labels = mnist_idx::read_labels_from(file.name, BufReader::new(f))?;
            if let Some(&max) = labels.iter().max()
                && usize::from(max) >= ds.classes.len()
            {
                bail!(
                    "label {max} is not a class of {} (it has {})",
                    ds.name,
                    ds.classes.len()
                );
            }
            Shape::Labels {
                count: labels.len() as u64,
            }
        }
    };
    if found != file.shape {
        bail!(
            "holds {found}, but {}'s {} holds {}",
            ds.name,
            file.name,
            file.shape
        );
    }
    for other in DATA_SETS.iter().filter(|other| other.id != ds.id) {
        let pinned = other.files.iter().any(|f| {
            other.pinned == Pinned::Raw
                && f.name == file.name
                && check_digest(digest, f.into()).is_ok()
        });
        if pinned {
            bail!("this is {}'s {}, not {}'s", other.name, file.name, ds.name);
        }
    }
    Ok(())
}

/// Tries each mirror in turn until one yields a verified `file`.
fn fetch_from_mirrors(
    agent: &ureq::Agent,
    mirrors: &[String],
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged> {
    let mut failures = Vec::new();
    for (i, base) in mirrors.iter().enumerate() {
        let url = mirror_url(base, file.name);
        match download(agent, &url, ds, file, out) {
            Ok(staged) => {
                eprintln!("{}: fetched from {url}, verified", file.name);
                return Ok(staged);
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
    let dataset = if ds.id == "mnist" {
        String::new()
    } else {
        format!(" --dataset {}", ds.id)
    };
    bail!(
        "could not fetch {} from any of {} mirror(s):\n{}\n\
         If you have the {} files locally (as <name> or <name>.gz), use:\n  \
         cargo xtask fetch-mnist{dataset} --from <dir-with-the-files>",
        file.name,
        mirrors.len(),
        failures.join("\n"),
        ds.name
    )
}

/// Downloads `url` (a gzip stream) and installs its decompressed content.
fn download(
    agent: &ureq::Agent,
    url: &str,
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged> {
    let response = agent.get(url).call()?;
    let total = response.body().content_length();
    let progress = Progress::start(file.name, url, total);
    let body = progress.wrap(response.into_body().into_reader());
    let result = install(body, Encoding::Gz, ds, file, out);
    progress.finish();
    result
}

/// Installs `file` from `dir/<name>` or `dir/<name>.gz`: the raw file first for
/// [`Pinned::Raw`] data sets, the `.gz` first for [`Pinned::Gz`] ones (its pin is the stronger
/// check).
fn copy_from_dir(dir: &Path, ds: &DataSet, file: &IdxFile, out: &Path) -> Result<Staged> {
    let raw = (dir.join(file.name), Encoding::Raw);
    let gz = (dir.join(format!("{}.gz", file.name)), Encoding::Gz);
    if !raw.0.is_file() && !gz.0.is_file() {
        bail!(
            "{} not found in {} (looked for {} and {}.gz)",
            file.name,
            dir.display(),
            file.name,
            file.name
        );
    }
    let order = match ds.pinned {
        Pinned::Raw => [raw, gz],
        Pinned::Gz => [gz, raw],
    };
    let mut failures = Vec::new();
    for (path, encoding) in order {
        if !path.is_file() {
            continue;
        }
        let attempt = File::open(&path)
            .with_context(|| format!("opening {}", path.display()))
            .and_then(|f| install(BufReader::new(f), encoding, ds, file, out));
        match attempt {
            Ok(staged) => {
                if staged.pinned {
                    eprintln!("{}: copied from {}, verified", file.name, path.display());
                } else {
                    eprintln!(
                        "{}: copied from {}, checked only as a valid IDX file of {} ({} pins \
                         the .gz files: give {}.gz for a SHA-256 check)",
                        file.name,
                        path.display(),
                        file.shape,
                        ds.name,
                        file.name
                    );
                }
                return Ok(staged);
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

/// The SHA-256 of each uncompressed file of a [`Pinned::Gz`] data set written from a verified
/// source, kept in `out/.<id>.sha256` (`sha256sum` format, `<sha256>  <name>` per line). A
/// missing or unreadable record is empty.
#[derive(Debug, Default)]
struct Record {
    /// (name, SHA-256) pairs.
    entries: Vec<(String, String)>,
}

impl Record {
    fn load(out: &Path, ds: &DataSet) -> Self {
        if ds.pinned != Pinned::Gz {
            return Self::default();
        }
        let text = fs::read_to_string(out.join(ds.manifest_name())).unwrap_or_default();
        let entries = text
            .lines()
            .filter_map(|line| line.split_once("  "))
            .filter(|(sha, _)| sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|(sha, name)| (name.to_string(), sha.to_ascii_lowercase()))
            .collect();
        Self { entries }
    }

    fn sha(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, sha)| sha.as_str())
    }

    /// Records `sha256` for `name`; keeps only entries for `ds`'s files, in table order.
    fn set(&mut self, ds: &DataSet, name: &str, sha256: &str) {
        self.entries.retain(|(n, _)| n != name);
        self.entries.push((name.to_string(), sha256.to_string()));
        self.entries = ds
            .files
            .iter()
            .filter_map(|f| self.entries.iter().find(|(n, _)| n == f.name).cloned())
            .collect();
    }

    fn save(&self, out: &Path, ds: &DataSet) -> Result<()> {
        let text: String = self
            .entries
            .iter()
            .map(|(name, sha)| format!("{sha}  {name}\n"))
            .collect();
        write_atomic(out, &ds.manifest_name(), text.as_bytes())
    }
}

/// Removes the records of other data sets from `out` (its files are now `ds`'s).
fn remove_other_records(out: &Path, ds: &DataSet) -> Result<()> {
    for other in DATA_SETS.iter().filter(|other| other.id != ds.id) {
        let path = out.join(other.manifest_name());
        match fs::remove_file(&path) {
            Ok(()) => eprintln!("removed {} (its files were replaced)", path.display()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow!(e).context(format!("removing {}", path.display())));
            }
        }
    }
    Ok(())
}

/// Writes `out/classes.txt`: `ds`'s class names, one per line in label order (left alone when
/// it already holds exactly that).
fn write_classes(out: &Path, ds: &DataSet) -> Result<()> {
    let text: String = ds.classes.iter().map(|c| format!("{c}\n")).collect();
    if fs::read(out.join(CLASSES_FILE)).is_ok_and(|present| present == text.as_bytes()) {
        return Ok(());
    }
    write_atomic(out, CLASSES_FILE, text.as_bytes())
}

/// Writes `bytes` to `dir/name` through a temporary file renamed into place.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let part = PartFile::create(dir, name)?;
    part.file()
        .write_all(bytes)
        .with_context(|| format!("writing {}", part.path.display()))?;
    part.persist(&dir.join(name))
}

/// The HTTP agent: bounded connect and per-read timeouts (no whole-body timeout, so slow links
/// still finish), HTTP error statuses are errors; proxies from the environment if `env_proxy`.
fn new_agent(env_proxy: bool) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .user_agent(concat!("snn-xtask/", env!("CARGO_PKG_VERSION")));
    let config = if env_proxy {
        config
    } else {
        config.proxy(None)
    };
    config.build().new_agent()
}

const PART_INFIX: &str = ".part-";

/// Removes `.<name>.part-*` leftovers of interrupted runs from `out`, for every file this command
/// writes (any data set's IDX files, `classes.txt`, the records).
fn remove_stale_parts(out: &Path) -> Result<()> {
    let mut names: Vec<String> = DATA_SETS
        .iter()
        .flat_map(|ds| ds.files.iter().map(|f| f.name.to_string()))
        .collect();
    names.extend(DATA_SETS.iter().map(|ds| ds.manifest_name()));
    names.push(CLASSES_FILE.to_string());
    let entries = fs::read_dir(out).with_context(|| format!("listing {}", out.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", out.display()))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = names.iter().any(|f| {
            name.strip_prefix('.')
                .and_then(|n| n.strip_prefix(f.as_str()))
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
    use std::collections::HashMap;
    use std::io::BufRead as _;
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::thread;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;
    use crate::mnist_files::{FASHION_MNIST, MNIST, MNIST_FILES};

    const ABC: IdxFile = IdxFile {
        name: "abc",
        shape: Shape::Labels { count: 0 },
        size: 3,
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };

    /// A data set pinned by its uncompressed files, with the one file [`ABC`].
    fn abc_set() -> DataSet {
        DataSet {
            files: [ABC; 4],
            ..MNIST
        }
    }

    #[test]
    fn mirror_url_accepts_trailing_slash_or_not() {
        assert_eq!(mirror_url("http://h/a/", "f"), "http://h/a/f.gz");
        assert_eq!(mirror_url("http://h/a", "f"), "http://h/a/f.gz");
    }

    #[test]
    fn copy_and_hash_matches_known_vector() {
        let mut out = Vec::new();
        let digest = copy_and_hash(&b"abc"[..], &mut out, Path::new("out"), 4).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(
            digest,
            Digest {
                size: 3,
                sha256: ABC.sha256.into()
            }
        );
        check_digest(&digest, (&ABC).into()).unwrap();
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
        let ds = abc_set();
        assert!(install(&b"xyz"[..], Encoding::Raw, &ds, &ABC, dir.path()).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let staged = install(&b"abc"[..], Encoding::Raw, &ds, &ABC, dir.path()).unwrap();
        assert_eq!(entries(dir.path()).len(), 1);
        assert!(entries(dir.path())[0].starts_with(".abc.part-"));
        staged.part.persist(&dir.path().join("abc")).unwrap();
        assert_eq!(entries(dir.path()), ["abc"]);
    }

    #[test]
    fn stale_parts_are_removed_and_data_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = format!(".{}{PART_INFIX}12345", MNIST_FILES[0].name);
        let stale_classes = format!(".{CLASSES_FILE}{PART_INFIX}7");
        let stale_record = format!(".{}{PART_INFIX}8", FASHION_MNIST.manifest_name());
        for name in [
            stale.as_str(),
            &stale_classes,
            &stale_record,
            MNIST_FILES[1].name,
            ".unrelated.part-1",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_stale_parts(dir.path()).unwrap();
        assert_eq!(
            entries(dir.path()),
            [".unrelated.part-1", MNIST_FILES[1].name]
        );
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
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

    fn fetch(ds: &DataSet, out: &Path, source: Source, force: bool) -> Result<()> {
        run_with(ds, out, &source, force, &new_agent(false))
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

        fetch(&f.ds, &out, mirror(&server, "fashion"), false).unwrap();
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
        fetch(&f.ds, &out, mirror(&server, "fashion"), false).unwrap();
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

            let err = format!(
                "{:#}",
                fetch(&f.ds, &out, mirror(&server, "bad"), false).unwrap_err()
            );
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
        fetch(&f.ds, &one, Source::LocalDir(gz_dir.clone()), false).unwrap();
        assert_fashion(&one, &f);

        // The raw files just written: checked as IDX of the right shape, recorded.
        let raw_dir = tmp.path().join("raw");
        fs::create_dir_all(&raw_dir).unwrap();
        for (file, raw) in f.ds.files.iter().zip(&f.raw) {
            fs::write(raw_dir.join(file.name), raw).unwrap();
        }
        let two = tmp.path().join("two");
        fetch(&f.ds, &two, Source::LocalDir(raw_dir.clone()), false).unwrap();
        assert_fashion(&two, &f);

        // A mismatching .gz next to a good raw file: the raw file is used.
        fs::write(
            gz_dir.join("t10k-labels-idx1-ubyte.gz"),
            gzip(&idx_labels(2)[..9]),
        )
        .unwrap();
        fs::write(gz_dir.join("t10k-labels-idx1-ubyte"), &f.raw[3]).unwrap();
        let three = tmp.path().join("three");
        fetch(&f.ds, &three, Source::LocalDir(gz_dir.clone()), false).unwrap();
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
            let err = format!(
                "{:#}",
                fetch(&f.ds, &out, Source::LocalDir(raw_dir.clone()), false).unwrap_err()
            );
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
        fetch(&f.ds, &out, mirror(&server, "fashion"), false).unwrap();
        let before: Vec<(String, Vec<u8>)> = entries(&out)
            .into_iter()
            .map(|n| (n.clone(), fs::read(out.join(&n)).unwrap()))
            .collect();

        // MNIST into a Fashion-MNIST directory: one line naming the directory and the fix.
        let empty = tmp.path().join("empty");
        fs::create_dir_all(&empty).unwrap();
        let err = format!(
            "{:#}",
            fetch(&MNIST, &out, Source::LocalDir(empty.clone()), false).unwrap_err()
        );
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
        let err = format!(
            "{:#}",
            fetch(&MNIST, &part, Source::LocalDir(empty.clone()), false).unwrap_err()
        );
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
        let err = format!(
            "{:#}",
            fetch(&f.ds, &out, mirror(&server, "fashion"), false).unwrap_err()
        );
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
        fetch(&f.ds, &out, mirror(&server, "fashion"), true).unwrap();
        assert_eq!(server.requests().len(), 8);
        assert_fashion(&out, &f);
    }
}
