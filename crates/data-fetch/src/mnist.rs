//! The IDX data sets this crate knows (MNIST, Fashion-MNIST, KMNIST): one table each, with the
//! pinned files, the default mirrors and the class names; and [`fetch`], which makes one of them
//! present and verified in a directory (its contract is in the [crate docs](crate)).

use std::fmt;
use std::fs;
use std::path::Path;
use std::str::FromStr;

use crate::error::{FetchError, UnknownDataSet};
use crate::files::{self, Record};
use crate::present::{self, Present};
use crate::{Source, download, local};

/// What a data set's pinned sizes and SHA-256 digests cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// The uncompressed IDX file as written to disk (MNIST: its mirrors re-gzip the files, so
    /// only the uncompressed bytes are stable).
    Raw,
    /// The `.gz` file exactly as published (Fashion-MNIST). The uncompressed file is whatever the
    /// verified `.gz` decompresses to; [`fetch`] records its SHA-256 in
    /// `<out>/.<id>.sha256` (see [`DataSet::manifest_name`]) to recognise it later.
    Gz,
}

/// The shape an IDX file must have: `count` images of `rows`×`cols`, or `count` labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Images { count: u64, rows: u64, cols: u64 },
    Labels { count: u64 },
}

impl Shape {
    /// Size in bytes of the uncompressed IDX file (header and payload).
    pub const fn raw_size(self) -> u64 {
        match self {
            Self::Images { count, rows, cols } => 16 + count * rows * cols,
            Self::Labels { count } => 8 + count,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Images { count, rows, cols } => write!(f, "{count} images of {rows}x{cols}"),
            Self::Labels { count } => write!(f, "{count} labels"),
        }
    }
}

/// One IDX file of a data set: on disk it is always uncompressed, under exactly `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdxFile {
    /// File name on disk; mirrors serve it as `<name>.gz`.
    pub name: &'static str,
    /// What the file holds.
    pub shape: Shape,
    /// Size in bytes of what the pin covers: the uncompressed file ([`Pinned::Raw`]) or the
    /// `.gz` ([`Pinned::Gz`]).
    pub size: u64,
    /// SHA-256 (lowercase hex) of what the pin covers.
    pub sha256: &'static str,
}

/// A data set [`fetch`] can fetch: four IDX files, where to get them, what the labels mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSet {
    /// The `--dataset` value, also used in file names (`mnist`, `fashion-mnist`).
    pub id: &'static str,
    /// Its name in messages.
    pub name: &'static str,
    pub pinned: Pinned,
    /// The four files, in the order they are fetched: train images, train labels, test images,
    /// test labels.
    pub files: [IdxFile; 4],
    /// Default mirror base URLs, tried in this order; `<name>.gz` is appended to each.
    pub mirrors: &'static [&'static str],
    /// Class names in label order (label `i` is `classes[i]`), written to `classes.txt`.
    pub classes: &'static [&'static str],
    /// Default `--out` directory, relative to the current directory.
    pub default_out: &'static str,
}

impl DataSet {
    /// Hidden file in the output directory recording the SHA-256 of each uncompressed file
    /// written from a verified `.gz` (only for [`Pinned::Gz`]), in `sha256sum` format.
    pub fn manifest_name(&self) -> String {
        format!(".{}.sha256", self.id)
    }
}

/// Name of the class list written next to the IDX files: one name per line, in label order.
pub const CLASSES_FILE: &str = "classes.txt";

/// The known data sets by their `id` (`mnist`, `fashion-mnist`, `kmnist`), the `--dataset`
/// values: parsed from it ([`FromStr`]) and displayed as it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSetId {
    /// MNIST handwritten digits (classes 0-9).
    Mnist,
    /// Zalando's Fashion-MNIST (10 clothing classes, same format and sizes as MNIST).
    FashionMnist,
    /// Kuzushiji-MNIST (10 classes of cursive Japanese hiragana, same format and sizes as MNIST).
    Kmnist,
}

impl DataSetId {
    /// Every data set, in the order of [`DATA_SETS`].
    pub const ALL: [DataSetId; 3] = [Self::Mnist, Self::FashionMnist, Self::Kmnist];

    /// The data set's table.
    pub fn data_set(self) -> &'static DataSet {
        match self {
            Self::Mnist => &MNIST,
            Self::FashionMnist => &FASHION_MNIST,
            Self::Kmnist => &KMNIST,
        }
    }

    /// The data set's [`DataSet::id`] (`mnist`, `fashion-mnist`, `kmnist`).
    pub fn id(self) -> &'static str {
        self.data_set().id
    }
}

impl fmt::Display for DataSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for DataSetId {
    type Err = UnknownDataSet;

    /// The data set whose [`DataSet::id`] is exactly `s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|id| id.id() == s)
            .ok_or_else(|| UnknownDataSet {
                name: s.to_string(),
            })
    }
}

/// Every known data set (a present file of one is recognised when fetching another).
pub const DATA_SETS: [&DataSet; 3] = [&MNIST, &FASHION_MNIST, &KMNIST];

const TRAIN_IMAGES: Shape = Shape::Images {
    count: 60_000,
    rows: 28,
    cols: 28,
};
const TRAIN_LABELS: Shape = Shape::Labels { count: 60_000 };
const TEST_IMAGES: Shape = Shape::Images {
    count: 10_000,
    rows: 28,
    cols: 28,
};
const TEST_LABELS: Shape = Shape::Labels { count: 10_000 };

/// MNIST, pinned by its uncompressed files. Its class names are the digits themselves.
pub const MNIST: DataSet = DataSet {
    id: "mnist",
    name: "MNIST",
    pinned: Pinned::Raw,
    files: MNIST_FILES,
    mirrors: &[
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    classes: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    default_out: "data/mnist",
};

/// The four MNIST files (uncompressed sizes and SHA-256), in the order they are fetched.
pub const MNIST_FILES: [IdxFile; 4] = [
    IdxFile {
        name: "train-images-idx3-ubyte",
        shape: TRAIN_IMAGES,
        size: 47_040_016,
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    IdxFile {
        name: "train-labels-idx1-ubyte",
        shape: TRAIN_LABELS,
        size: 60_008,
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    IdxFile {
        name: "t10k-images-idx3-ubyte",
        shape: TEST_IMAGES,
        size: 7_840_016,
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    IdxFile {
        name: "t10k-labels-idx1-ubyte",
        shape: TEST_LABELS,
        size: 10_008,
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

/// Zalando's Fashion-MNIST, pinned by its `.gz` files as published
/// (<https://github.com/zalandoresearch/fashion-mnist>).
pub const FASHION_MNIST: DataSet = DataSet {
    id: "fashion-mnist",
    name: "Fashion-MNIST",
    pinned: Pinned::Gz,
    files: [
        IdxFile {
            name: "train-images-idx3-ubyte",
            shape: TRAIN_IMAGES,
            size: 26_421_880,
            sha256: "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        },
        IdxFile {
            name: "train-labels-idx1-ubyte",
            shape: TRAIN_LABELS,
            size: 29_515,
            sha256: "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        },
        IdxFile {
            name: "t10k-images-idx3-ubyte",
            shape: TEST_IMAGES,
            size: 4_422_102,
            sha256: "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        },
        IdxFile {
            name: "t10k-labels-idx1-ubyte",
            shape: TEST_LABELS,
            size: 5_148,
            sha256: "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        },
    ],
    mirrors: &[
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
    classes: &[
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    default_out: "data/fashion-mnist",
};

/// Kuzushiji-MNIST (ROIS-DS Center for Open Data in the Humanities, CC BY-SA 4.0), pinned by its
/// `.gz` files as published (SHA-256 as listed by several independent loaders, e.g. torch.rb's
/// torchvision and TensorFlow Datasets). Classes: the hiragana of `kmnist_classmap.csv`,
/// romanised.
pub const KMNIST: DataSet = DataSet {
    id: "kmnist",
    name: "Kuzushiji-MNIST",
    pinned: Pinned::Gz,
    files: [
        IdxFile {
            name: "train-images-idx3-ubyte",
            shape: TRAIN_IMAGES,
            size: 18_165_135,
            sha256: "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
        },
        IdxFile {
            name: "train-labels-idx1-ubyte",
            shape: TRAIN_LABELS,
            size: 29_497,
            sha256: "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
        },
        IdxFile {
            name: "t10k-images-idx3-ubyte",
            shape: TEST_IMAGES,
            size: 3_041_136,
            sha256: "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
        },
        IdxFile {
            name: "t10k-labels-idx1-ubyte",
            shape: TEST_LABELS,
            size: 5_120,
            sha256: "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
        },
    ],
    mirrors: &["https://codh.rois.ac.jp/kmnist/dataset/kmnist/"],
    classes: &["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
    default_out: "data/kmnist",
};

/// Makes sure all files of `ds` are present and verified in `out` (created if missing), fetching
/// the missing or invalid ones from `source`, and writes `out/classes.txt`. Downloads go through
/// the proxy the environment names (`http_proxy`, `https_proxy`, `all_proxy`), if any.
///
/// Fails before fetching anything if `out` holds a valid IDX file that is not `ds`'s under one
/// of its names, unless `force` (then it is replaced). Fails on the first file that no source
/// could provide; files completed before that stay (they are verified), no partial file is left.
pub fn fetch(ds: &DataSet, out: &Path, source: &Source, force: bool) -> Result<(), FetchError> {
    fetch_with(ds, out, source, force, &download::new_agent(true))
}

/// [`fetch`] through `agent` (the tests pass one that ignores proxies).
pub(crate) fn fetch_with(
    ds: &DataSet,
    out: &Path,
    source: &Source,
    force: bool,
    agent: &ureq::Agent,
) -> Result<(), FetchError> {
    check_source(source)?;
    fs::create_dir_all(out).map_err(|source| FetchError::CreateOutDir {
        path: out.to_path_buf(),
        source,
    })?;
    let mut record = Record::load(out, ds);
    let found: Vec<Present> = ds
        .files
        .iter()
        .map(|file| present::inspect(ds, &record, out, file))
        .collect();
    if !force {
        present::refuse_foreign(ds, out, &found)?;
    }
    files::remove_stale_parts(out)?;

    let job = Job {
        ds,
        out,
        source,
        agent,
    };
    let mut tally = Tally::default();
    for (file, found) in ds.files.iter().zip(&found) {
        tally.add(job.fetch_file(&mut record, file, found)?);
    }
    files::write_classes(out, ds)?;
    files::remove_other_records(out, ds)?;
    println!("{}", tally.summary(ds, out));
    Ok(())
}

/// Fails on a source that cannot provide anything: no mirror, or no such directory.
fn check_source(source: &Source) -> Result<(), FetchError> {
    match source {
        Source::Mirrors(mirrors) if mirrors.is_empty() => Err(FetchError::NoMirrors),
        Source::LocalDir(dir) if !dir.is_dir() => Err(FetchError::NoSourceDir { dir: dir.clone() }),
        _ => Ok(()),
    }
}

/// One [`fetch`]: the data set, where it goes and where it comes from.
struct Job<'a> {
    ds: &'a DataSet,
    out: &'a Path,
    source: &'a Source,
    agent: &'a ureq::Agent,
}

impl Job<'_> {
    /// Makes `file` present and verified in the output directory, given what was `found` there
    /// before the run; for [`Pinned::Gz`] data sets, records its SHA-256 in `record` first.
    fn fetch_file(
        &self,
        record: &mut Record,
        file: &IdxFile,
        found: &Present,
    ) -> Result<Outcome, FetchError> {
        let (ds, out) = (self.ds, self.out);
        if !announce(ds, file, found) {
            return Ok(Outcome::AlreadyPresent);
        }
        let staged = match self.source {
            Source::Mirrors(mirrors) => {
                download::fetch_from_mirrors(self.agent, mirrors, ds, file, out)?
            }
            Source::LocalDir(dir) => local::copy_from_dir(dir, ds, file, out)?,
        };
        // Recorded before it is in place: a run killed in between leaves a recorded file
        // missing (fetched again), never an unrecorded one (refused as another data set).
        if ds.pinned == Pinned::Gz {
            record.set(ds, file.name, &staged.digest.sha256);
            record.save(out, ds)?;
        }
        let pinned = staged.pinned;
        staged.part.persist(&out.join(file.name))?;
        Ok(Outcome::Fetched { pinned })
    }
}

/// Prints what was `found` at `file`'s place; `false` iff it is the verified file (nothing to
/// fetch).
fn announce(ds: &DataSet, file: &IdxFile, found: &Present) -> bool {
    match found {
        Present::Missing => {}
        Present::Verified => {
            eprintln!("{}: present, verified", file.name);
            return false;
        }
        Present::Invalid(err) => eprintln!(
            "{}: present but invalid ({err}); fetching it again",
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
    true
}

/// What became of one file.
enum Outcome {
    /// Present and verified before the run.
    AlreadyPresent,
    /// Fetched; `pinned` unless checked only as a valid IDX file of the right shape.
    Fetched { pinned: bool },
}

/// The counts for the summary line.
#[derive(Debug, Default)]
struct Tally {
    fetched: usize,
    present: usize,
    /// Fetched from raw files of a [`Pinned::Gz`] data set (no pin to check them against).
    unpinned: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::AlreadyPresent => self.present += 1,
            Outcome::Fetched { pinned } => {
                self.fetched += 1;
                if !pinned {
                    self.unpinned += 1;
                }
            }
        }
    }

    /// The line printed when all files of `ds` are verified in `out`.
    fn summary(&self, ds: &DataSet, out: &Path) -> String {
        let unpinned = if self.unpinned > 0 {
            format!(
                "; {} from raw files, checked only as valid IDX files of the right shape \
                 ({} pins the .gz files)",
                self.unpinned, ds.name
            )
        } else {
            String::new()
        };
        format!(
            "fetch-mnist: all {} {} files verified in {} ({} fetched, {} already \
             present{unpinned}); class names in {CLASSES_FILE}",
            ds.files.len(),
            ds.name,
            out.display(),
            self.fetched,
            self.present
        )
    }
}

#[cfg(test)]
mod tests;
