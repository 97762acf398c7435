//! `snn-train predict`: class probabilities for one image file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};

use crate::platform::memory::{Phase, check_memory};
use crate::run::Run;

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
