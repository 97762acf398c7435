//! `snn-train eval` and `snn-train predict`: load a trained run and use it.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};

use crate::data::ImageDataset;
use crate::limits::{Phase, check_memory};
use crate::run::Run;

/// Test-set accuracy, loss and confusion matrix of a trained run.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Percent.
    pub accuracy: f64,
    pub loss: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    /// Name of each class (the label number when the data has no `classes.txt`).
    pub class_names: Vec<String>,
}

impl Evaluation {
    /// Percent correct per true class (NaN for a class with no examples).
    pub fn per_class_accuracy(&self) -> Vec<f64> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(c, row)| 100.0 * row[c] as f64 / row.iter().sum::<u64>() as f64)
            .collect()
    }

    /// The report printed by `snn-train eval`.
    pub fn table(&self) -> String {
        let n = self.confusion.len();
        let mut out = format!(
            "test accuracy {:.2}%  loss {:.4}  ({} images)\n\nper-class accuracy:\n",
            self.accuracy,
            self.loss,
            self.confusion.iter().flatten().sum::<u64>()
        );
        // `3`, or `3 Dress` when the data names its classes.
        let labels: Vec<String> = (0..n)
            .map(|c| match self.class_names.get(c) {
                Some(name) if *name != c.to_string() => format!("{c} {name}"),
                _ => c.to_string(),
            })
            .collect();
        let width = labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(1)
            .max(3);
        for (label, acc) in labels.iter().zip(self.per_class_accuracy()) {
            out.push_str(&format!("  {label:>width$}: {acc:6.2}%\n"));
        }
        out.push_str("\nconfusion matrix (rows: true class, columns: predicted):\n      ");
        for p in 0..n {
            out.push_str(&format!("{p:>6}"));
        }
        out.push('\n');
        for (t, row) in self.confusion.iter().enumerate() {
            out.push_str(&format!("{t:>6}"));
            for v in row {
                out.push_str(&format!("{v:>6}"));
            }
            out.push('\n');
        }
        out
    }
}

/// Evaluates the run's model on `test` (checked against the model by [`Run::test_data`]).
pub fn evaluate(run: &Run, test: &ImageDataset) -> Result<Evaluation> {
    let (config, model, device) = (&run.config, &run.model, &run.device);
    device.seed(config.train.seed);
    let data = test.images();
    let classes = config.model.classes;
    let mut confusion = vec![vec![0u64; classes]; classes];
    let mut loss_sum = 0.0;
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(config.train.batch_size.max(1)) {
        let batch = crate::data::batch_of(data, chunk, device);
        let out = model.forward_batch(batch, false);
        loss_sum += out.loss.into_scalar::<f64>() * chunk.len() as f64;
        let preds: Vec<i64> = out.logits.argmax(1).into_data().iter::<i64>().collect();
        for (&i, &p) in chunk.iter().zip(&preds) {
            confusion[data.labels[i] as usize][p as usize] += 1;
        }
    }
    let total = data.len().max(1) as f64;
    let correct: u64 = (0..classes).map(|c| confusion[c][c]).sum();
    Ok(Evaluation {
        accuracy: 100.0 * correct as f64 / total,
        loss: loss_sum / total,
        confusion,
        class_names: test.class_names(classes),
    })
}

/// Class probabilities for one image file (PNG or any format `image` reads), averaged over
/// `samples` Poisson draws. Any size is resized to the model's input; a light background is
/// inverted to MNIST's light-on-dark.
pub fn predict(run: &Run, image: &Path, samples: usize) -> Result<Vec<f64>> {
    let (config, model, device) = (&run.config, &run.model, &run.device);
    if samples == 0 {
        bail!("--samples must be ≥ 1");
    }
    check_memory(&config.model, samples, Phase::Inference, "--samples")?;
    config
        .model
        .check_batch(samples, "--samples")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    device.seed(config.train.seed);
    let side = (config.model.inputs as f64).sqrt() as u32;
    if (side * side) as usize != config.model.inputs {
        bail!(
            "the model's {} inputs are not a square image",
            config.model.inputs
        );
    }
    let img = image::open(image)
        .with_context(|| format!("cannot read image {}", image.display()))?
        .into_luma8();
    let img = if img.dimensions() == (side, side) {
        img
    } else {
        image::imageops::resize(&img, side, side, image::imageops::FilterType::Triangle)
    };
    let mut pixels: Vec<f32> = img.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
    let border: Vec<f32> = (0..side as usize)
        .flat_map(|i| [pixels[i], pixels[(side as usize - 1) * side as usize + i]])
        .collect();
    if border.iter().sum::<f32>() / border.len() as f32 > 0.5 {
        pixels.iter_mut().for_each(|p| *p = 1.0 - *p);
    }
    let repeated: Vec<f32> = pixels
        .iter()
        .copied()
        .cycle()
        .take(pixels.len() * samples)
        .collect();
    let x = Tensor::<2>::from_data(TensorData::new(repeated, [samples, pixels.len()]), device);
    let probs = softmax(model.snn.forward(x).logits, 1).mean_dim(0);
    Ok(probs.into_data().iter::<f64>().collect())
}
