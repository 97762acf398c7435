//! The errors of this crate: [`FetchError`], one variant per way a fetch can fail, with the
//! paths, URLs, digests, sizes and data sets involved as fields; and [`UnknownDataSet`], the
//! error of parsing a [`DataSetId`].
//!
//! Contract: every message is complete on its own. It keeps the wording of `cargo xtask
//! fetch-mnist` (flag names included: `--force`, `--out`, `--from`, `--mirror`), and where a
//! variant has a cause it ends with `": "` and the cause's message (with the cause's own causes,
//! as `anyhow`'s `{:#}` prints them), so printing the [`Display`](std::fmt::Display) of a
//! [`FetchError`] says everything. [`std::error::Error::source`] still returns the cause (an
//! [`io::Error`], a [`ureq::Error`], an [`IdxError`]) for callers that inspect it; they should
//! not print it again.

use std::error::Error;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use mnist_idx::IdxError;

use crate::mnist::{DataSetId, Pinned, Shape};

/// Why a fetch failed (see the [module docs](self) for what the messages hold).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// [`Source::Mirrors`](crate::Source::Mirrors) with no URL in it.
    #[error("no mirrors to try: --no-default-mirrors needs at least one --mirror URL")]
    NoMirrors,

    /// [`Source::LocalDir`](crate::Source::LocalDir) names no directory.
    #[error("--from directory {dir} does not exist or is not a directory")]
    NoSourceDir { dir: PathBuf },

    /// The output directory could not be created.
    #[error("creating output directory {path}: {}", chain(.source))]
    CreateOutDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Without `force`: every valid IDX file in `out` that is not the `requested` data set's is
    /// recognised as a file of the one other known data set `found`. Nothing was changed.
    #[error(
        "{out} holds {}, not {requested}: refusing to replace {} (nothing was fetched or \
         changed); pass --force to replace {} with {requested}, or choose another --out \
         directory{}",
        one_set_holds(.found, .files, *.of),
        one_set_what(.files.len(), *.of),
        them(.files.len()),
        elsewhere(.out, .requested, .default_out)
    )]
    ForeignDataSet {
        /// The output directory.
        out: PathBuf,
        /// The name of the data set the files belong to.
        found: &'static str,
        /// The files, in the requested data set's order.
        files: Vec<ForeignFile>,
        /// How many files the requested data set has.
        of: usize,
        /// The name of the requested data set.
        requested: &'static str,
        /// The requested data set's default output directory.
        default_out: &'static str,
    },

    /// Without `force`: valid IDX files in `out` that are not the `requested` data set's, not
    /// all recognised as one other known data set; the message has one line per file. Nothing
    /// was changed.
    #[error(
        "refusing to replace {} of another IDX data set in {out} (nothing was fetched or \
         changed):\n{}\nPass --force to replace {} with {requested}, or choose another --out \
         directory{}.",
        a_file_or_files(.files.len()),
        foreign_lines(.files, .requested, *.pinned, .manifest),
        them(.files.len()),
        elsewhere(.out, .requested, .default_out)
    )]
    ForeignFiles {
        /// The output directory.
        out: PathBuf,
        /// The files, in the requested data set's order.
        files: Vec<ForeignFile>,
        /// The name of the requested data set.
        requested: &'static str,
        /// What the requested data set's pins cover.
        pinned: Pinned,
        /// The requested data set's record file name ([`DataSet::manifest_name`]).
        ///
        /// [`DataSet::manifest_name`]: crate::DataSet::manifest_name
        manifest: String,
        /// The requested data set's default output directory.
        default_out: &'static str,
    },

    /// Listing the output directory (for stale temporary files) failed.
    #[error("listing {path}: {}", chain(.source))]
    ListDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A temporary file left by an interrupted run could not be removed.
    #[error("removing stale partial download {path}: {}", chain(.source))]
    RemoveStale {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Every mirror failed for `file`; `failures` has one entry per mirror, in the order tried.
    #[error(
        "could not fetch {file} from any of {} mirror(s):\n{}\nIf you have the {data_set} files \
         locally (as <name> or <name>.gz), use:\n  cargo xtask fetch-mnist{} --from \
         <dir-with-the-files>",
        .failures.len(),
        mirror_lines(.failures),
        dataset_flag(.data_set_id)
    )]
    AllMirrorsFailed {
        /// The file's name.
        file: &'static str,
        /// The data set's name.
        data_set: &'static str,
        /// The data set's id (the `--dataset` value).
        data_set_id: &'static str,
        failures: Vec<MirrorFailure>,
    },

    /// The request for `url` failed (connection, TLS, HTTP status, …). The message is the
    /// cause's alone: it is listed under its URL.
    #[error("{}", chain(.source))]
    Http {
        url: String,
        #[source]
        source: ureq::Error,
    },

    /// `--from`: neither `<file>` nor `<file>.gz` is in `dir`.
    #[error("{file} not found in {dir} (looked for {file} and {file}.gz)")]
    NotInDir { file: &'static str, dir: PathBuf },

    /// `--from`: no copy of `file` in `dir` verified; `failures` has one entry per copy tried.
    #[error("no valid copy of {file} in {dir}:\n{}", copy_lines(.failures))]
    NoValidCopy {
        file: &'static str,
        dir: PathBuf,
        failures: Vec<CopyFailure>,
    },

    /// A file could not be opened.
    #[error("opening {path}: {}", chain(.source))]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Reading (or decompressing) a stream failed; `path` is the file read, when it is one.
    #[error("{}reading or decompressing: {}", path_prefix(.path), chain(.source))]
    ReadOrDecompress {
        path: Option<PathBuf>,
        #[source]
        source: io::Error,
    },

    /// Reading the rest of a `.gz` stream (past what decompressed) failed.
    #[error("reading: {}", chain(.source))]
    Read {
        #[source]
        source: io::Error,
    },

    /// Writing a file failed.
    #[error("writing {path}: {}", chain(.source))]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Bytes whose size or SHA-256 (lowercase hex) is not the pinned one; `actual_size` is a
    /// lower bound when it exceeds `expected_size` (streams are read one byte past the pin).
    #[error(
        "SHA-256 mismatch (got {actual_sha256}, expected {expected_sha256}){}",
        size_note(*.actual_size, *.expected_size)
    )]
    Mismatch {
        actual_sha256: String,
        expected_sha256: String,
        actual_size: u64,
        expected_size: u64,
    },

    /// A present file of a data set pinned by its `.gz` files has no SHA-256 in the record
    /// `manifest` (so it is not known to be the data set's).
    #[error("no SHA-256 recorded for it in {manifest}")]
    NotRecorded {
        manifest: String,
        /// The file's name.
        file: &'static str,
    },

    /// A `.gz` that matched its pin decompressed to `actual` bytes, not the `expected` size of
    /// `shape`.
    #[error("the pinned .gz decompresses to {actual} bytes, but {shape} take {expected}")]
    GzSize {
        actual: u64,
        shape: Shape,
        expected: u64,
    },

    /// A raw file (no pin to check) is not the size of `shape` (`actual` is a lower bound when
    /// over it).
    #[error(
        "size {actual}{} bytes, but {shape} take {expected} (a raw IDX file is needed here)",
        or_more(*.actual, *.expected)
    )]
    RawSize {
        actual: u64,
        shape: Shape,
        expected: u64,
    },

    /// Not a valid IDX file (the message names the file).
    #[error("{0}")]
    Idx(#[from] IdxError),

    /// A raw label file holds a label that is not a class of the data set.
    #[error("label {label} is not a class of {data_set} (it has {classes})")]
    NotAClass {
        label: u8,
        data_set: &'static str,
        /// How many classes the data set has.
        classes: usize,
    },

    /// A raw IDX file (no pin to check) holds `found`, not the `expected` shape of `file`.
    #[error("holds {found}, but {data_set}'s {file} holds {expected}")]
    WrongShape {
        found: Shape,
        data_set: &'static str,
        file: &'static str,
        expected: Shape,
    },

    /// A raw file (no pin to check) given for `data_set` is the pinned `file` of `other`.
    #[error("this is {other}'s {file}, not {data_set}'s")]
    OtherDataSetsFile {
        other: &'static str,
        file: &'static str,
        data_set: &'static str,
    },

    /// A temporary file could not be created.
    #[error("creating temporary file {path}: {}", chain(.source))]
    CreateTemp {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A written temporary file could not be flushed to disk.
    #[error("syncing {path}: {}", chain(.source))]
    Sync {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A temporary file could not be renamed into place.
    #[error("renaming {from} to {to}: {}", chain(.source))]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A file (another data set's record) could not be removed.
    #[error("removing {path}: {}", chain(.source))]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A valid IDX file in the output directory that is not the requested data set's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignFile {
    /// Its path, `<out>/<name>`.
    pub path: PathBuf,
    /// Its name (one of the requested data set's file names).
    pub name: &'static str,
    /// What it holds, e.g. `60000 images of 28x28` or `60000 labels`.
    pub holds: String,
    /// The name of the known data set it was recognised as, if any.
    pub known: Option<&'static str>,
}

/// One mirror that did not provide a verified file.
#[derive(Debug)]
pub struct MirrorFailure {
    /// The file's URL on that mirror.
    pub url: String,
    pub error: FetchError,
}

/// One file of a `--from` directory that did not verify.
#[derive(Debug)]
pub struct CopyFailure {
    pub path: PathBuf,
    pub error: FetchError,
}

/// A name that is no known data set's id (the error of parsing a [`DataSetId`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data set {name:?} (known: {})", known_ids())]
pub struct UnknownDataSet {
    pub name: String,
}

/// `err` and its sources, joined by `": "` (what `anyhow`'s `{:#}` prints).
fn chain(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// `"<path>: "`, or nothing.
fn path_prefix(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|path| format!("{}: ", path.display()))
        .unwrap_or_default()
}

/// `" or more"` when a size read one byte past the expected one exceeds it.
fn or_more(actual: u64, expected: u64) -> &'static str {
    if actual > expected { " or more" } else { "" }
}

/// `"; size … bytes, expected …"` when the sizes differ.
fn size_note(actual: u64, expected: u64) -> String {
    if actual == expected {
        return String::new();
    }
    let more = or_more(actual, expected);
    format!("; size {actual}{more} bytes, expected {expected}")
}

/// `"it"` for one file, `"them"` for several.
fn them(count: usize) -> &'static str {
    if count == 1 { "it" } else { "them" }
}

/// `"a file"` for one file, `"files"` for several.
fn a_file_or_files(count: usize) -> &'static str {
    if count == 1 { "a file" } else { "files" }
}

/// What `out` holds when its `files` are all `found`'s, of the requested data set's `of` files.
fn one_set_holds(found: &str, files: &[ForeignFile], of: usize) -> String {
    match files {
        [file] => format!("{found}'s {}", file.name),
        _ if files.len() == of => found.to_string(),
        _ => format!("{} of {found}'s files", files.len()),
    }
}

/// What would be replaced: `"it"`, `"its files"` (all of them) or `"them"`.
fn one_set_what(count: usize, of: usize) -> &'static str {
    match count {
        1 => "it",
        n if n == of => "its files",
        _ => "them",
    }
}

/// `" (the default for … is …)"` unless `out` is the requested data set's default.
fn elsewhere(out: &Path, requested: &str, default_out: &str) -> String {
    if out == Path::new(default_out) {
        String::new()
    } else {
        format!(" (the default for {requested} is {default_out})")
    }
}

/// One `  - <path> holds …` line per file, for [`FetchError::ForeignFiles`].
fn foreign_lines(files: &[ForeignFile], requested: &str, pinned: Pinned, manifest: &str) -> String {
    let line = |file: &ForeignFile| {
        let (path, name, what) = (file.path.display(), file.name, &file.holds);
        match (file.known, pinned) {
            (Some(other), _) => format!("  - {path} holds {other}'s {name}, not {requested}'s"),
            (None, Pinned::Raw) => {
                format!("  - {path} holds another IDX data set ({what}), not {requested}'s {name}")
            }
            (None, Pinned::Gz) => format!(
                "  - {path} holds an IDX file ({what}) not verified as {requested}'s {name} (no \
                 matching SHA-256 in {manifest})"
            ),
        }
    };
    files.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// `"  - <url>: <error>"` per failed mirror.
fn mirror_lines(failures: &[MirrorFailure]) -> String {
    let lines: Vec<String> = failures
        .iter()
        .map(|f| format!("  - {}: {}", f.url, f.error))
        .collect();
    lines.join("\n")
}

/// `"  - <path>: <error>"` per failed copy.
fn copy_lines(failures: &[CopyFailure]) -> String {
    let lines: Vec<String> = failures
        .iter()
        .map(|f| format!("  - {}: {}", f.path.display(), f.error))
        .collect();
    lines.join("\n")
}

/// `" --dataset <id>"`, or nothing for MNIST (the default).
fn dataset_flag(id: &str) -> String {
    if id == "mnist" {
        String::new()
    } else {
        format!(" --dataset {id}")
    }
}

/// `"mnist, fashion-mnist, kmnist"`.
fn known_ids() -> String {
    DataSetId::ALL.map(|id| id.to_string()).join(", ")
}
