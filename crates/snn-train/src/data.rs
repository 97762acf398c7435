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
    Ok(ImageDataset {
        data: Arc::new(data),
        images_file,
        labels_file,
    })
}

/// One example: raw pixels and label.
#[derive(Debug, Clone)]
pub struct DigitItem {
    pub pixels: Vec<u8>,
    pub label: u8,
}

/// A shared, read-only image dataset and the files it came from.
#[derive(Debug, Clone)]
pub struct ImageDataset {
    data: Arc<LabeledImages>,
    images_file: PathBuf,
    labels_file: PathBuf,
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
    pub fn check_fits(&self, model: &SnnConfig, config: &str) -> Result<()> {
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

/// Turns items into a [`DigitBatch`].
#[derive(Debug, Clone, Default)]
pub struct DigitBatcher;

impl Batcher<DigitItem, DigitBatch> for DigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &Device) -> DigitBatch {
        let n = items.first().map_or(0, |i| i.pixels.len());
        let pixels: Vec<f32> = items
            .iter()
            .flat_map(|i| i.pixels.iter().map(|&p| p as f32 / 255.0))
            .collect();
        let labels: Vec<i64> = items.iter().map(|i| i.label as i64).collect();
        DigitBatch {
            images: Tensor::from_data(TensorData::new(pixels, [items.len(), n]), device),
            targets: Tensor::from_data(TensorData::new(labels, [items.len()]), device),
        }
    }
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
