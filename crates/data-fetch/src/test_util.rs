//! Helpers shared by the unit tests: a one-file data set pinned by its uncompressed bytes, and a
//! sorted directory listing.

use std::fs;
use std::path::Path;

use crate::mnist::{DataSet, IdxFile, MNIST, Shape};

/// The three bytes `abc`, pinned raw.
pub(crate) const ABC: IdxFile = IdxFile {
    name: "abc",
    shape: Shape::Labels { count: 0 },
    size: 3,
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
};

/// A data set pinned by its uncompressed files, with the one file [`ABC`].
pub(crate) fn abc_set() -> DataSet {
    DataSet {
        files: [ABC; 4],
        ..MNIST
    }
}

/// The names in `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}
