//! MNIST (or any IDX image/label pair) as Burn datasets and batches.
//!
//! Images stay `u8` in memory (47 MB for the MNIST training set); a batch becomes intensities
//! `pixel / 255` on the device, and the network's encoder draws spikes from them per batch.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};
use mnist_idx::{IdxError, LabeledImages};
use snn_model::SnnConfig;

/// Which half of MNIST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    /// File prefix of the split (`train`, `t10k`).
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

/// Loads a split from `dir`; a missing directory or file says how to get the data.
pub fn load_split(dir: &Path, split: Split, limit: Option<usize>) -> Result<ImageDataset> {
    if !dir.is_dir() {
        anyhow::bail!(
            "data directory {} does not exist: run `cargo xtask fetch-mnist --out {}` \
             (or `--from DIR` with the files), or pass --fetch",
            dir.display(),
            dir.display()
        );
    }
    let missing = |e: IdxError| match e {
        IdxError::NotFound { .. } => anyhow::anyhow!(
            "{e}: run `cargo xtask fetch-mnist --out {}`, or pass --fetch",
            dir.display()
        ),
        other => anyhow::Error::new(other),
    };
    let images_file = mnist_idx::locate(dir, &format!("{}-images-idx3-ubyte", split.prefix()))
        .map_err(missing)?;
    let labels_file = mnist_idx::locate(dir, &format!("{}-labels-idx1-ubyte", split.prefix()))
        .map_err(missing)?;
    let mut data = LabeledImages::load(&images_file, &labels_file)?;
    if let Some(n) = limit {
        data.truncate(n);
    }
    let class_names = read_class_names(dir)?;
    Ok(ImageDataset {
        data: Arc::new(data),
        images_file,
        labels_file,
        class_names,
    })
}

/// Class names of a data directory, one per line in label order (written by `cargo xtask
/// fetch-mnist`); optional.
pub const CLASSES_FILE: &str = "classes.txt";

/// The names in `dir`/[`CLASSES_FILE`], if the file exists.
pub fn read_class_names(dir: &Path) -> Result<Option<Vec<String>>> {
    let path = dir.join(CLASSES_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    ))
}

/// One example: raw pixels (`rows × cols`, row-major) and label.
#[derive(Debug, Clone)]
pub struct DigitItem {
    pub pixels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
    pub label: u8,
}

/// A shared, read-only image dataset and the files it came from.
#[derive(Debug, Clone)]
pub struct ImageDataset {
    data: Arc<LabeledImages>,
    images_file: PathBuf,
    labels_file: PathBuf,
    /// From the directory's [`CLASSES_FILE`], if any (checked against the model by `check_fits`).
    class_names: Option<Vec<String>>,
}

impl ImageDataset {
    pub fn images(&self) -> &LabeledImages {
        &self.data
    }

    /// Pixels per image.
    pub fn image_len(&self) -> usize {
        self.data.images.image_len()
    }

    /// Checks the data against the network that will see it, before any tensor work: every
    /// image has `model.inputs` pixels and every label is a class of the model. Errors name the
    /// file, the example and `config` (where the model's numbers come from).
    /// The class names: the data directory's, else the label numbers.
    pub fn class_names(&self, classes: usize) -> Vec<String> {
        self.class_names
            .clone()
            .unwrap_or_else(|| (0..classes).map(|c| c.to_string()).collect())
    }

    pub fn check_fits(&self, model: &SnnConfig, config: &str) -> Result<()> {
        if let Some(names) = &self.class_names
            && names.len() != model.classes
        {
            let dir = self.images_file.parent().unwrap_or(Path::new("."));
            anyhow::bail!(
                "{}: names {} classes but the model has {} (model.classes in {config}); fix or \
                 delete the file",
                dir.join(CLASSES_FILE).display(),
                names.len(),
                model.classes
            );
        }
        let images = &self.data.images;
        if images.image_len() != model.inputs {
            anyhow::bail!(
                "{}: images are {}x{} = {} pixels but the model takes {} inputs (model.inputs \
                 in {config}); use data of the size the model is built for",
                self.images_file.display(),
                images.rows,
                images.cols,
                images.image_len(),
                model.inputs
            );
        }
        if let Some((i, &label)) =
            (self.data.labels.iter().enumerate()).find(|(_, l)| **l as usize >= model.classes)
        {
            anyhow::bail!(
                "{}: label {label} of example {i} is not a class of the model, which has {} \
                 (labels 0 to {}; model.classes in {config})",
                self.labels_file.display(),
                model.classes,
                model.classes - 1
            );
        }
        Ok(())
    }
}

impl Dataset<DigitItem> for ImageDataset {
    /// Panics if `index >= len()` (the trait's contract).
    fn get(&self, index: usize) -> Result<DigitItem, DatasetError> {
        Ok(DigitItem {
            pixels: self.data.images.image(index).to_vec(),
            rows: self.data.images.rows,
            cols: self.data.images.cols,
            label: self.data.labels[index],
        })
    }

    fn len(&self) -> usize {
        self.data.len()
    }
}

/// A batch on the device: intensities `[B, pixels]` in [0, 1] and class targets `[B]`.
#[derive(Debug, Clone)]
pub struct DigitBatch {
    pub images: Tensor<2>,
    pub targets: Tensor<1, Int>,
}

/// Turns items into a [`DigitBatch`]; for training it can shift every image by a random
/// `(dx, dy)` in `[−shift, shift]²` pixels (filling with 0), drawn from a counter-based hash
/// of `seed` and the item's position in the run, so a run with `--workers 0` is reproducible.
#[derive(Debug, Clone, Default)]
pub struct DigitBatcher {
    shift: usize,
    seed: u64,
    drawn: Arc<std::sync::atomic::AtomicU64>,
}

impl DigitBatcher {
    /// A batcher that shifts images by up to `shift` pixels (0: none).
    pub fn with_shift(shift: usize, seed: u64) -> Self {
        Self {
            shift,
            seed,
            drawn: Arc::default(),
        }
    }
}

impl Batcher<DigitItem, DigitBatch> for DigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &Device) -> DigitBatch {
        let n = items.first().map_or(0, |i| i.pixels.len());
        let first =
            (self.drawn).fetch_add(items.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let pixels: Vec<f32> = items
            .iter()
            .enumerate()
            .flat_map(|(k, item)| {
                let shifted = match self.shift {
                    0 => item.pixels.clone(),
                    s => {
                        let h = splitmix(self.seed ^ splitmix(first + k as u64));
                        let span = 2 * s as u64 + 1;
                        let dx = (h % span) as isize - s as isize;
                        let dy = ((h >> 32) % span) as isize - s as isize;
                        shift_image(&item.pixels, item.rows, item.cols, dx, dy)
                    }
                };
                shifted.into_iter().map(|p| p as f32 / 255.0)
            })
            .collect();
        let labels: Vec<i64> = items.iter().map(|i| i.label as i64).collect();
        DigitBatch {
            images: Tensor::from_data(TensorData::new(pixels, [items.len(), n]), device),
            targets: Tensor::from_data(TensorData::new(labels, [items.len()]), device),
        }
    }
}

/// `image` (`rows × cols`) moved by `dx` columns right and `dy` rows down; uncovered pixels 0.
pub fn shift_image(image: &[u8], rows: usize, cols: usize, dx: isize, dy: isize) -> Vec<u8> {
    let mut out = vec![0u8; image.len()];
    for r in 0..rows as isize {
        for c in 0..cols as isize {
            let (sr, sc) = (r - dy, c - dx);
            if (0..rows as isize).contains(&sr) && (0..cols as isize).contains(&sc) {
                out[(r * cols as isize + c) as usize] = image[(sr * cols as isize + sc) as usize];
            }
        }
    }
    out
}

/// SplitMix64's output function.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Intensities of a slice of raw images, `[count, pixels]`, for analysis tools.
pub fn intensities(data: &LabeledImages, indices: &[usize], device: &Device) -> Tensor<2> {
    let n = data.images.image_len();
    let pixels: Vec<f32> = indices
        .iter()
        .flat_map(|&i| data.images.image(i).iter().map(|&p| p as f32 / 255.0))
        .collect();
    Tensor::from_data(TensorData::new(pixels, [indices.len(), n]), device)
}

/// The batch of examples `indices` of `data`.
pub fn batch_of(data: &LabeledImages, indices: &[usize], device: &Device) -> DigitBatch {
    let labels: Vec<i64> = indices.iter().map(|&i| data.labels[i] as i64).collect();
    DigitBatch {
        images: intensities(data, indices, device),
        targets: Tensor::from_data(TensorData::new(labels, [indices.len()]), device),
    }
}
