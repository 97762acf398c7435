//! MNIST (or any IDX image/label pair) as Burn datasets and batches.
//!
//! Images stay `u8` in memory (47 MB for the MNIST training set), shared; a dataset item is an
//! index and a label, and [`batcher`] turns items into intensities `pixel / 255` on the device
//! (from which the network's encoder draws spikes per batch), shifted, turned and scaled for
//! training by [`augment`]. [`classes`] reads a data directory's class names; [`holdout`] splits
//! the training examples into those trained on and those held out for validation, which share
//! the store as [`ImageDataset::subset`]s.

pub mod augment;
pub mod batcher;
pub mod classes;
pub mod holdout;
pub mod splits;

pub use classes::{CLASSES_FILE, read_class_names};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
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
        subset: None,
        images_file,
        labels_file,
        class_names,
    })
}

/// One example: its position in the data set and its label. The pixels stay in the shared
/// store ([`ImageDataset::images`]); the batcher reads them from there, on the host or on the
/// device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitItem {
    pub index: usize,
    pub label: u8,
}

/// A shared, read-only image dataset (all its examples, or a subset of them) and the files it
/// came from.
#[derive(Debug, Clone)]
pub struct ImageDataset {
    data: Arc<LabeledImages>,
    /// The examples of `data` this set holds, in order; `None`: all of them.
    subset: Option<Arc<Vec<usize>>>,
    images_file: PathBuf,
    labels_file: PathBuf,
    /// From the directory's [`CLASSES_FILE`], if any (checked against the model by `check_fits`).
    class_names: Option<Vec<String>>,
}

impl ImageDataset {
    /// The whole store (index it with [`ImageDataset::indices`]).
    pub fn images(&self) -> &LabeledImages {
        &self.data
    }

    /// The examples `indices` of the store (indices into the store, as
    /// [`ImageDataset::indices`] gives them).
    pub fn subset(&self, indices: Vec<usize>) -> Self {
        Self {
            subset: Some(Arc::new(indices)),
            ..self.clone()
        }
    }

    /// The store indices of this set's examples, in order.
    pub fn indices(&self) -> Vec<usize> {
        match &self.subset {
            Some(indices) => indices.to_vec(),
            None => (0..self.data.len()).collect(),
        }
    }

    /// The label of each example of this set, in order.
    pub fn labels(&self) -> Vec<u8> {
        self.indices()
            .iter()
            .map(|&i| self.data.labels[i])
            .collect()
    }

    /// The images and labels, shared (what a [`crate::data::batcher::DigitBatcher`] reads).
    pub fn shared(&self) -> Arc<LabeledImages> {
        self.data.clone()
    }

    /// Pixels per image.
    pub fn image_len(&self) -> usize {
        self.data.images.image_len()
    }

    /// The class names: the data directory's, else the label numbers.
    pub fn class_names(&self, classes: usize) -> Vec<String> {
        self.class_names
            .clone()
            .unwrap_or_else(|| (0..classes).map(|c| c.to_string()).collect())
    }

    /// Checks the data against the network that will see it, before any tensor work: every
    /// image has `model.inputs` pixels and every label is a class of the model. Errors name the
    /// file, the example and `config` (where the model's numbers come from).
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
        let index = match &self.subset {
            Some(indices) => indices[index],
            None => index,
        };
        Ok(DigitItem {
            index,
            label: self.data.labels[index],
        })
    }

    fn len(&self) -> usize {
        self.subset.as_ref().map_or(self.data.len(), |s| s.len())
    }
}

/// A batch on the device: intensities `[B, pixels]` in [0, 1] and class targets `[B]`.
#[derive(Debug, Clone)]
pub struct DigitBatch {
    pub images: Tensor<2>,
    pub targets: Tensor<1, Int>,
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
