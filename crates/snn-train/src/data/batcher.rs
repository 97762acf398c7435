//! Items → batches, on the host or on the device.
//!
//! A batch is `x[b, p] = pixel_p(transformed image_b) / 255` with class targets `y[b] = label_b`.
//! The transform (training only, `[train] augment_shift`, `augment_rotate`, `augment_scale`) is
//! drawn per item from a counter-based hash of the seed and the item's position in the run (see
//! [`crate::data::augment`]), so a run with `--workers 0` is reproducible.
//!
//! Two paths compute the same batch, bit for bit:
//! - **host** ([`DataPath::Host`]): pixels gathered and transformed in memory, uploaded as `f32`
//!   (`4·B·P` bytes a batch);
//! - **device** ([`DataPath::Device`]): the whole data set is uploaded once per device (labels
//!   too), as `u8` where the device supports it (`Device::supports_dtype`; flex, ndarray) and
//!   as its default integer type otherwise (wgpu on lavapipe: `i32`, 188 MB for MNIST); a batch
//!   uploads only its `B` indices and `B` shift offsets, and is gathered, shifted (zero-pad by
//!   `s`, then one `gather` at `base + offset_b`) and scaled on the device. This keeps a fast
//!   GPU from waiting on the host data path. Rotations and scalings are interpolated on the
//!   host, so with `augment_rotate` or `augment_scale` set, training batches take the host path
//!   whichever path was asked for (test batches, never transformed, stay on the device).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::ops::PadMode;
use burn::tensor::{DType, Device, Int, Tensor, TensorData};
use mnist_idx::LabeledImages;

use crate::data::augment::{Augment, Transform, shift_image, warp_image};
use crate::data::{DigitBatch, DigitItem};

/// Where a batch is assembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataPath {
    /// Gather, shift and convert on the CPU; upload `f32` intensities every batch.
    Host,
    /// Data set uploaded once (`u8` where supported); gather, shift and convert on the device.
    Device,
}

impl DataPath {
    /// The path a backend trains with: the device path on GPU backends (wgpu, CUDA), where an
    /// upload per batch costs a transfer; the host path on CPU backends, where host memory is
    /// the device's.
    pub fn for_backend(backend: &str) -> Self {
        match backend {
            "wgpu" | "cuda" => DataPath::Device,
            _ => DataPath::Host,
        }
    }
}

/// Turns [`DigitItem`]s into [`DigitBatch`]es of one data set (see the module docs).
#[derive(Debug, Clone)]
pub struct DigitBatcher {
    data: Arc<LabeledImages>,
    augment: Augment,
    seed: u64,
    /// Items drawn so far (the counter the transforms are hashed from).
    drawn: Arc<AtomicU64>,
    path: DataPath,
    /// The data set as uploaded to each device the device path has seen.
    uploads: Arc<Mutex<Vec<(Device, Upload)>>>,
}

/// One device's copy of the data set.
#[derive(Debug, Clone)]
struct Upload {
    /// `[N, P]` pixels (`u8` where the device supports it, else its default integer type).
    pixels: Tensor<2, Int>,
    labels: Tensor<1, Int>,
    /// `[1, P]`: index of pixel `(r, c)` in an image zero-padded by `shift`:
    /// `(r + s)·(cols + 2s) + (c + s)`.
    base: Tensor<2, Int>,
}

impl DigitBatcher {
    /// A batcher over `data` that leaves images where they are, on the host path.
    pub fn new(data: Arc<LabeledImages>) -> Self {
        Self {
            data,
            augment: Augment::default(),
            seed: 0,
            drawn: Arc::default(),
            path: DataPath::Host,
            uploads: Arc::default(),
        }
    }

    /// Shifts every image by up to `shift` pixels (0: none), drawn from `seed`.
    pub fn with_shift(self, shift: usize, seed: u64) -> Self {
        self.with_augment(
            Augment {
                shift,
                ..Augment::default()
            },
            seed,
        )
    }

    /// Transforms every image as `augment` says, drawn from `seed`.
    pub fn with_augment(mut self, augment: Augment, seed: u64) -> Self {
        self.augment = augment;
        self.seed = seed;
        self
    }

    /// Assembles batches on `path`.
    pub fn on(mut self, path: DataPath) -> Self {
        self.path = path;
        self
    }

    /// The transforms of the next `count` items.
    fn draw(&self, count: usize) -> Vec<Transform> {
        let first = self.drawn.fetch_add(count as u64, Ordering::Relaxed);
        (0..count as u64)
            .map(|k| self.augment.draw(self.seed, first + k))
            .collect()
    }

    fn host_batch(
        &self,
        items: &[DigitItem],
        transforms: &[Transform],
        device: &Device,
    ) -> DigitBatch {
        let images = &self.data.images;
        let (rows, cols) = (images.rows, images.cols);
        let mut pixels: Vec<f32> = Vec::with_capacity(items.len() * images.image_len());
        for (item, t) in items.iter().zip(transforms) {
            let image = images.image(item.index);
            if t.warps() {
                pixels.extend(warp_image(image, rows, cols, t).iter().map(|&v| v / 255.0));
                continue;
            }
            // Untransformed images are read in place; only a shift makes a copy.
            let shifted: Cow<[u8]> = if (t.dx, t.dy) == (0, 0) {
                Cow::Borrowed(image)
            } else {
                Cow::Owned(shift_image(image, rows, cols, t.dx, t.dy))
            };
            pixels.extend(shifted.iter().map(|&p| p as f32 / 255.0));
        }
        let labels: Vec<i64> = items.iter().map(|i| i.label as i64).collect();
        DigitBatch {
            images: Tensor::from_data(
                TensorData::new(pixels, [items.len(), images.image_len()]),
                device,
            ),
            targets: Tensor::from_data(TensorData::new(labels, [items.len()]), device),
        }
    }

    /// This device's copy of the data set, uploaded on first use.
    fn upload(&self, device: &Device) -> Upload {
        let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, upload)) = uploads.iter().find(|(d, _)| d == device) {
            return upload.clone();
        }
        let images = &self.data.images;
        let (n, p) = (images.count, images.image_len());
        let pixels = TensorData::new(images.pixels.clone(), [n, p]);
        let pixels = if device.supports_dtype(DType::U8) {
            Tensor::from_data(pixels, (device, DType::U8))
        } else {
            Tensor::from_data(pixels, device)
        };
        let labels = TensorData::new(self.data.labels.clone(), [n]);
        let (s, padded_cols) = (self.augment.shift, images.cols + 2 * self.augment.shift);
        let base: Vec<i64> = (0..images.rows)
            .flat_map(|r| (0..images.cols).map(move |c| ((r + s) * padded_cols + c + s) as i64))
            .collect();
        let upload = Upload {
            pixels,
            labels: Tensor::from_data(labels, device),
            base: Tensor::from_data(TensorData::new(base, [1, p]), device),
        };
        uploads.push((device.clone(), upload.clone()));
        upload
    }

    fn device_batch(
        &self,
        items: &[DigitItem],
        transforms: &[Transform],
        device: &Device,
    ) -> DigitBatch {
        let upload = self.upload(device);
        let images = &self.data.images;
        let (b, rows, cols, s) = (items.len(), images.rows, images.cols, self.augment.shift);
        let indices: Vec<i64> = items.iter().map(|i| i.index as i64).collect();
        let indices = Tensor::<1, Int>::from_data(TensorData::new(indices, [b]), device);
        let targets = upload.labels.select(0, indices.clone());
        let mut x = upload.pixels.select(0, indices).float();
        if s > 0 {
            let padded_cols = (cols + 2 * s) as i64;
            let offsets: Vec<i64> = transforms
                .iter()
                .map(|t| -(t.dy as i64) * padded_cols - t.dx as i64)
                .collect();
            let offsets = Tensor::<2, Int>::from_data(TensorData::new(offsets, [b, 1]), device);
            let at = upload.base.expand([b, rows * cols]) + offsets.expand([b, rows * cols]);
            x = x
                .reshape([b, rows, cols])
                .pad([(s, s), (s, s)], PadMode::Constant(0.0))
                .reshape([b, (rows + 2 * s) * (cols + 2 * s)])
                .gather(1, at);
        }
        DigitBatch {
            images: x / 255.0,
            targets,
        }
    }
}

impl Batcher<DigitItem, DigitBatch> for DigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &Device) -> DigitBatch {
        let transforms = self.draw(items.len());
        match self.path {
            DataPath::Device if !self.augment.warps() => {
                self.device_batch(&items, &transforms, device)
            }
            _ => self.host_batch(&items, &transforms, device),
        }
    }
}
