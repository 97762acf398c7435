//! The IDX data sets `fetch-mnist` knows (MNIST, Fashion-MNIST): one table each, with the pinned
//! files, the default mirrors and the class names.

use clap::ValueEnum;

/// What a data set's pinned sizes and SHA-256 digests cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// The uncompressed IDX file as written to disk (MNIST: its mirrors re-gzip the files, so
    /// only the uncompressed bytes are stable).
    Raw,
    /// The `.gz` file exactly as published (Fashion-MNIST). The uncompressed file is whatever the
    /// verified `.gz` decompresses to; `fetch-mnist` records its SHA-256 in
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

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// A data set `fetch-mnist` can fetch: four IDX files, where to get them, what the labels mean.
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

/// The `--dataset` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataSetId {
    /// MNIST handwritten digits (classes 0-9).
    Mnist,
    /// Zalando's Fashion-MNIST (10 clothing classes, same format and sizes as MNIST).
    FashionMnist,
    /// Kuzushiji-MNIST (10 classes of cursive Japanese hiragana, same format and sizes as MNIST).
    Kmnist,
}

impl DataSetId {
    pub fn data_set(self) -> &'static DataSet {
        match self {
            Self::Mnist => &MNIST,
            Self::FashionMnist => &FASHION_MNIST,
            Self::Kmnist => &KMNIST,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for ds in DATA_SETS {
            assert_eq!(DataSetId::from_str(ds.id, false).unwrap().data_set(), ds);
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
}
