//! The pinned MNIST file table and the default download mirrors.

/// One MNIST IDX file as it must exist on disk once fetched: uncompressed, under
/// exactly `name`, `size` bytes long, with SHA-256 `sha256` (lowercase hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// File name on disk; mirrors serve it as `<name>.gz`.
    pub name: &'static str,
    /// Size in bytes of the uncompressed file.
    pub size: u64,
    /// SHA-256 of the uncompressed file, lowercase hex.
    pub sha256: &'static str,
}

/// The four MNIST files, in the order they are fetched.
pub const MNIST_FILES: [MnistFile; 4] = [
    MnistFile {
        name: "train-images-idx3-ubyte",
        size: 47_040_016,
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    MnistFile {
        name: "train-labels-idx1-ubyte",
        size: 60_008,
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    MnistFile {
        name: "t10k-images-idx3-ubyte",
        size: 7_840_016,
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    MnistFile {
        name: "t10k-labels-idx1-ubyte",
        size: 10_008,
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
];

/// Default mirror base URLs, tried in this order; `<name>.gz` is appended to each.
pub const DEFAULT_MIRRORS: [&str; 3] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

/// Default output directory, relative to the current directory.
pub const DEFAULT_OUT_DIR: &str = "data/mnist";
