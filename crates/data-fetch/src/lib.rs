//! Download (or copy) the four IDX files of MNIST, Fashion-MNIST or KMNIST and verify them against
//! the data set's pinned table in [`mnist`]: the library behind `cargo xtask fetch-mnist`, callable
//! from any binary without cargo. The entry point is [`fetch`].
//!
//! Contract:
//! * On success every file of the data set exists in the output directory, uncompressed, under
//!   its exact name, and `classes.txt` holds the data set's class names, one per line in label
//!   order (MNIST: the digits `0` to `9`; Fashion-MNIST: `T-shirt/top` to `Ankle boot`).
//! * What is verified depends on what the table pins ([`mnist::Pinned`]):
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
//!   MNIST, or MNIST when fetching Fashion-MNIST) is never replaced without `force` (`--force`):
//!   the run stops before fetching or changing anything. When every such file is recognised as one
//!   other known data set (MNIST by its pins, Fashion-MNIST by its record), the error is one line
//!   naming the directory, that data set and the fix; otherwise it names every such file. Files
//!   that are not valid IDX (corrupt, truncated, a stale partial copy) are replaced as before, and
//!   so is the data set's own file stored gzip-compressed.
//! * Progress goes to stderr, one line per file and event (a progress bar while downloading on a
//!   terminal); the final summary line (`fetch-mnist: all 4 MNIST files verified in …`) goes to
//!   stdout. Errors are [`FetchError`]s, whose messages are complete on their own and keep the
//!   wording (and the flag names) of `cargo xtask fetch-mnist`.
//!
//! Where the files come from is a [`Source`]: mirror base URLs (`<name>.gz` is appended to each)
//! or a local directory.

pub mod error;
pub mod mnist;
pub mod verify;

mod download;
mod files;
mod local;
mod present;
#[cfg(test)]
mod test_util;

use std::path::PathBuf;

pub use download::mirror_url;
pub use error::{CopyFailure, FetchError, ForeignFile, MirrorFailure, UnknownDataSet};
pub use mnist::{DataSet, DataSetId, fetch};

/// Where the files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Mirror base URLs, tried in order; `<name>.gz` is appended to each.
    Mirrors(Vec<String>),
    /// A local directory holding each file as `<name>` or `<name>.gz` (`--from`).
    LocalDir(PathBuf),
}

impl Source {
    /// `ds`'s default mirrors, in the order they are tried.
    pub fn default_mirrors(ds: &DataSet) -> Self {
        Self::Mirrors(ds.mirrors.iter().map(|m| m.to_string()).collect())
    }
}
