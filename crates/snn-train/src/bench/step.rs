//! `snn-train bench`: times full training steps (Poisson encoding, forward, backward, Adam) of a
//! config on real MNIST batches, then inference steps (encoding and forward without autodiff, as
//! `snn-train eval` runs them) of the trained model. Warm-up steps are excluded; each repetition
//! times `batches` consecutive steps; the reported figures are medians over repetitions. Batches
//! are assembled on the backend's [`DataPath`] (or the one asked for). After the timed
//! repetitions, one more repetition of each kind counts the kernels it launches
//! ([`crate::platform::launches`]; 0 on CPU backends). Prints one line `bench backend=<b> steps=<T>
//! batch=<B> images_per_s=<x> eval_images_per_s=<e> peak_rss_mb=<y> simd=<level>
//! launches_per_step=<l> launches_per_eval_step=<m> …` at the end.

use std::time::Instant;

use anyhow::{Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use snn_model::{LifImpl, Projection, Snn};

use burn::data::dataloader::batcher::Batcher;

use crate::config::RunConfig;
use crate::data::batcher::{DataPath, DigitBatcher};
use crate::data::{DigitBatch, DigitItem, Split, load_split};
use crate::platform::backend::Backend;
use crate::platform::launches::{self, Launches};
use crate::platform::memory::peak_rss_mb;

/// What to time.
#[derive(Debug, Clone)]
pub struct BenchRequest {
    pub config: RunConfig,
    pub backend: Backend,
    pub data_dir: std::path::PathBuf,
    pub warmup: usize,
    pub repeats: usize,
    /// Training steps per timed repetition.
    pub batches: usize,
    pub lif: Option<LifImpl>,
    pub projection: Option<Projection>,
    /// Where batches are assembled (default: [`DataPath::for_backend`]).
    pub data_path: Option<DataPath>,
}

/// Median throughput and memory of one backend.
#[derive(Debug, Clone)]
pub struct BenchResult {
    pub images_per_s: f64,
    /// Every repetition's images/s, sorted.
    pub samples: Vec<f64>,
    /// Median images/s of inference steps (no autodiff).
    pub eval_images_per_s: f64,
    pub peak_rss_mb: f64,
    /// Kernel launches of one training step (mean over a repetition).
    pub launches_per_step: f64,
    /// Kernel launches of one inference step.
    pub launches_per_eval_step: f64,
    /// The training repetition's launches, by kernel.
    pub train_launches: Launches,
}

pub fn run(req: &BenchRequest) -> Result<BenchResult> {
    if req.repeats == 0 || req.batches == 0 {
        bail!("--repeats and --batches must be ≥ 1");
    }
    let batches = Batches::load(req)?;
    let device = req.backend.device.clone();
    device.seed(req.config.train.seed);
    let (model, samples, train_launches) = time_training(req, &batches)?;
    let (eval_samples, eval_launches) = time_inference(req, &batches, &model.valid());
    let per_step = |l: &Launches| l.total as f64 / req.batches as f64;
    Ok(BenchResult {
        launches_per_step: per_step(&train_launches),
        launches_per_eval_step: per_step(&eval_launches),
        train_launches,
        images_per_s: median(&samples),
        samples,
        eval_images_per_s: median(&eval_samples),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// The benchmark's batches: real training images, assembled on the asked data path.
struct Batches {
    items: Vec<DigitItem>,
    batcher: DigitBatcher,
    size: usize,
}

impl Batches {
    fn load(req: &BenchRequest) -> Result<Self> {
        let size = req.config.train.batch_size;
        let needed = (req.warmup + req.repeats * req.batches) * size;
        let data = load_split(&req.data_dir, Split::Train, Some(needed))?;
        let items = (0..data.images().len())
            .map(|index| DigitItem {
                index,
                label: data.images().labels[index],
            })
            .collect();
        let path = (req.data_path).unwrap_or(DataPath::for_backend(req.backend.name));
        let batcher = DigitBatcher::new(data.shared()).on(path);
        Ok(Self {
            items,
            batcher,
            size,
        })
    }

    /// The batch of `size` items from `start` (wrapping around).
    fn at(&self, start: usize, device: &burn::tensor::Device) -> DigitBatch {
        let chosen = (start..start + self.size)
            .map(|i| self.items[i % self.items.len()])
            .collect();
        self.batcher.batch(chosen, device)
    }
}

/// Times training steps: images/s of each repetition (sorted), and the launches of one more.
fn time_training(req: &BenchRequest, batches: &Batches) -> Result<(Snn, Vec<f64>, Launches)> {
    let ad = req.backend.device.clone().autodiff();
    let mut model = req.config.model.init(&ad);
    if let Some(lif) = req.lif {
        model = model.with_lif_implementation(lif);
    }
    if let Some(projection) = req.projection {
        model = model.with_projection(projection);
    }
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);
    let lr = req.config.train.lr;
    let mut next = 0usize;
    let mut step = |model: Snn| {
        let b = batches.at(next, &ad);
        next += batches.size;
        let out = model.forward(b.images);
        let loss = loss_fn.forward(out.logits, b.targets);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        optim.step(lr, model, grads)
    };
    for _ in 0..req.warmup {
        model = step(model);
    }
    sync(&model);
    let mut samples = Vec::with_capacity(req.repeats);
    for _ in 0..req.repeats {
        let start = Instant::now();
        for _ in 0..req.batches {
            model = step(model);
        }
        sync(&model);
        samples.push((req.batches * batches.size) as f64 / start.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    let (model, launches) = launches::count(|| {
        let mut model = model;
        for _ in 0..req.batches {
            model = step(model);
        }
        sync(&model);
        model
    });
    Ok((model, samples, launches))
}

/// Times inference steps of `eval`: images/s of each repetition (sorted), and the launches of
/// one more.
fn time_inference(req: &BenchRequest, batches: &Batches, eval: &Snn) -> (Vec<f64>, Launches) {
    let device = req.backend.device.clone();
    let eval_step = |start: usize| {
        let b = batches.at(start, &device);
        let _ = eval.forward(b.images).logits.argmax(1).into_data();
    };
    for i in 0..req.warmup {
        eval_step(i * batches.size);
    }
    let mut samples = Vec::with_capacity(req.repeats);
    for r in 0..req.repeats {
        let start = Instant::now();
        for i in 0..req.batches {
            eval_step((r * req.batches + i) * batches.size);
        }
        samples.push((req.batches * batches.size) as f64 / start.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    let ((), launches) = launches::count(|| {
        for i in 0..req.batches {
            eval_step(i * batches.size);
        }
    });
    (samples, launches)
}

/// The median of sorted `samples`.
fn median(samples: &[f64]) -> f64 {
    samples[samples.len() / 2]
}

/// Waits for queued device work (GPU backends run asynchronously).
fn sync(model: &Snn) {
    let w = model.readout.linear().weight.val().sum();
    let _ = w.into_scalar::<f32>();
}

/// The machine-readable result line.
pub fn result_line(req: &BenchRequest, r: &BenchResult) -> String {
    format!(
        "bench backend={} steps={} batch={} images_per_s={:.1} eval_images_per_s={:.1} peak_rss_mb={:.0} simd={} lif={:?} projection={:?} data={:?} launches_per_step={:.1} launches_per_eval_step={:.1} repeats={} batches={}",
        req.backend.name,
        req.config.model.steps,
        req.config.train.batch_size,
        r.images_per_s,
        r.eval_images_per_s,
        r.peak_rss_mb,
        snn_model::ops::simd_level(),
        req.lif.unwrap_or(req.config.model.lif.implementation),
        req.projection.unwrap_or(req.config.model.projection),
        req.data_path.unwrap_or(DataPath::for_backend(req.backend.name)),
        r.launches_per_step,
        r.launches_per_eval_step,
        req.repeats,
        req.batches,
    )
    .to_lowercase()
}
