//! Items → batches, on the host or on the device.
//!
//! A batch is `x[b, p] = pixel_p(image_b shifted by (dx_b, dy_b)) / 255` with class targets
//! `y[b] = label_b`. The shift (training only, `[train] augment_shift = s`) moves image `b` by
//! `dx_b` columns right and `dy_b` rows down, each drawn in `[−s, s]` from a counter-based hash
//! of the seed and the item's position in the run (uncovered pixels are 0), so a run with
//! `--workers 0` is reproducible.
//!
//! Two paths compute the same batch, bit for bit:
//! - **host** ([`DataPath::Host`]): pixels gathered and shifted in memory, uploaded as `f32`
//!   (`4·B·P` bytes a batch);
//! - **device** ([`DataPath::Device`]): the whole data set is uploaded once per device (labels
//!   too), as `u8` where the device supports it (`Device::supports_dtype`; flex, ndarray) and
//!   as its default integer type otherwise (wgpu on lavapipe: `i32`, 188 MB for MNIST); a batch
//!   uploads only its `B` indices and `B` shift offsets, and is gathered, shifted (zero-pad by
//!   `s`, then one `gather` at `base + offset_b`) and scaled on the device. This keeps a fast
//!   GPU from waiting on the host data path.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::ops::PadMode;
use burn::tensor::{DType, Device, Int, Tensor, TensorData};
use mnist_idx::LabeledImages;

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
    shift: usize,
    seed: u64,
    /// Items drawn so far (the counter the shifts are hashed from).
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
            shift: 0,
            seed: 0,
            drawn: Arc::default(),
            path: DataPath::Host,
            uploads: Arc::default(),
        }
    }

    /// Shifts every image by up to `shift` pixels (0: none), drawn from `seed`.
    pub fn with_shift(mut self, shift: usize, seed: u64) -> Self {
        self.shift = shift;
        self.seed = seed;
        self
    }

    /// Assembles batches on `path`.
    pub fn on(mut self, path: DataPath) -> Self {
        self.path = path;
        self
    }

    /// `(dx, dy)` of the next `count` items.
    fn draw_shifts(&self, count: usize) -> Vec<(isize, isize)> {
        let first = self.drawn.fetch_add(count as u64, Ordering::Relaxed);
        let s = self.shift;
        (0..count as u64)
            .map(|k| {
                if s == 0 {
                    return (0, 0);
                }
                let h = splitmix(self.seed ^ splitmix(first + k));
                let span = 2 * s as u64 + 1;
                let dx = (h % span) as isize - s as isize;
                let dy = ((h >> 32) % span) as isize - s as isize;
                (dx, dy)
            })
            .collect()
    }

    fn host_batch(
        &self,
        items: &[DigitItem],
        shifts: &[(isize, isize)],
        device: &Device,
    ) -> DigitBatch {
        let images = &self.data.images;
        let (rows, cols) = (images.rows, images.cols);
        let pixels: Vec<f32> = items
            .iter()
            .zip(shifts)
            .flat_map(|(item, &(dx, dy))| {
                let image = images.image(item.index);
                // Unshifted images are read in place; only a shift makes a copy.
                let shifted: Cow<[u8]> = if (dx, dy) == (0, 0) {
                    Cow::Borrowed(image)
                } else {
                    Cow::Owned(shift_image(image, rows, cols, dx, dy))
                };
                (0..shifted.len()).map(move |p| shifted[p] as f32 / 255.0)
            })
            .collect();
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
        let (s, padded_cols) = (self.shift, images.cols + 2 * self.shift);
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
        shifts: &[(isize, isize)],
        device: &Device,
    ) -> DigitBatch {
        let upload = self.upload(device);
        let images = &self.data.images;
        let (b, rows, cols, s) = (items.len(), images.rows, images.cols, self.shift);
        let indices: Vec<i64> = items.iter().map(|i| i.index as i64).collect();
        let indices = Tensor::<1, Int>::from_data(TensorData::new(indices, [b]), device);
        let targets = upload.labels.select(0, indices.clone());
        let mut x = upload.pixels.select(0, indices).float();
        if s > 0 {
            let padded_cols = (cols + 2 * s) as i64;
            let offsets: Vec<i64> = shifts
                .iter()
                .map(|&(dx, dy)| -(dy as i64) * padded_cols - dx as i64)
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
        let shifts = self.draw_shifts(items.len());
        match self.path {
            DataPath::Host => self.host_batch(&items, &shifts, device),
            DataPath::Device => self.device_batch(&items, &shifts, device),
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
