//! `snn-train plot`: the figures of a run, PNG + SVG in `RUN_DIR/figures/`: `accuracy`, `loss`
//! (per epoch, from `metrics.csv`), `spikemap-digit-<d>` (input spikes of one test digit, input
//! neuron × step; spike-coded input only), `raster-hidden` and `raster-hidden<i>` (each neuron
//! layer's spikes for one digit, its first [`RASTER_NEURONS`] neurons), `firing-rates`
//! (per-neuron rate histogram per spiking layer), `confusion` (test set). The spike maps also go
//! to TensorBoard as images (`RUN_DIR/figures/events.out.tfevents.*`).

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::Tensor;
use snn_plot::{Series, SpikeGrid};

use super::eval::evaluate;
use crate::data::{ImageDataset, intensities};
use crate::run::{Run, read_metrics};

/// Digits whose input spike maps are drawn.
pub const SPIKE_MAP_DIGITS: [u8; 3] = [0, 4, 7];
/// Neurons a raster shows at most (a conv layer has tens of thousands).
pub const RASTER_NEURONS: usize = 1024;
/// Test images the firing-rate statistics are measured on.
pub const STATISTICS_IMAGES: usize = 256;

/// Writes every figure of the run into `RUN_DIR/figures`; `test` is the run's checked test split.
pub fn plot(run: &Run, test: &ImageDataset) -> Result<()> {
    let figures = run.dir.join("figures");
    std::fs::create_dir_all(&figures)
        .with_context(|| format!("cannot create {}", figures.display()))?;
    plot_curves(&run.dir, &figures)?;
    run.device.seed(run.config.train.seed);
    plot_spikes(run, test, &figures)?;
    plot_rates(run, test, &figures)?;
    let eval = evaluate(run, test)?;
    let title = format!("Test confusion matrix ({:.2}% correct)", eval.accuracy);
    let (confusion, names) = (&eval.confusion, &eval.class_names);
    snn_plot::confusion_matrix(&figures.join("confusion"), &title, confusion, names)?;
    Ok(())
}

/// The input spike maps of [`SPIKE_MAP_DIGITS`] (also to TensorBoard) and the rasters of every
/// neuron layer for the first of them.
fn plot_spikes(run: &Run, test: &ImageDataset, figures: &Path) -> Result<()> {
    let (snn, data) = (&run.model.snn, test.images());
    let mut events = tfevents::EventWriter::create(figures)?;
    let names = snn.spiking_layer_names();
    let input_layer = names.iter().position(|n| n == "input");
    for digit in SPIKE_MAP_DIGITS {
        let Some(index) = data.labels.iter().position(|&l| l == digit) else {
            continue;
        };
        let trace = snn.trace(intensities(data, &[index], &run.device));
        if let Some(i) = input_layer {
            let input = grid(&trace.layers[i], 0);
            let stem = figures.join(format!("spikemap-digit-{digit}"));
            let title = format!("SpikeMap for Digit {digit} ({} spikes)", input.count());
            snn_plot::spike_map(&stem, &title, &input, "time step", "input neuron")?;
            let png = std::fs::read(stem.with_extension("png"))?;
            let (w, h) = png_size(&png)?;
            events.add_image_png(&format!("spikemap/digit-{digit}"), 0, w, h, 3, &png)?;
        }
        if digit == SPIKE_MAP_DIGITS[0] {
            for (name, layer) in names.iter().zip(&trace.layers) {
                if name.starts_with("hidden") {
                    plot_raster(figures, name, layer, digit)?;
                }
            }
        }
    }
    events.flush()?;
    Ok(())
}

/// The raster of neuron layer `name` (its first [`RASTER_NEURONS`] neurons) for `digit`.
fn plot_raster(figures: &Path, name: &str, layer: &Tensor<3>, digit: u8) -> Result<()> {
    let [_, _, n] = layer.dims();
    let shown = n.min(RASTER_NEURONS);
    let spikes = grid(&layer.clone().narrow(2, 0, shown), 0);
    let which = match shown < n {
        true => format!("first {shown} of {n} neurons"),
        false => format!("{n} neurons"),
    };
    let title = format!(
        "Layer {name} spikes, digit {digit} ({} spikes, {which})",
        spikes.count()
    );
    let stem = match name {
        "hidden0" => "raster-hidden".to_string(),
        other => format!("raster-{other}"),
    };
    snn_plot::raster(&figures.join(stem), &title, &spikes, "time step", "neuron")?;
    Ok(())
}

/// The per-neuron firing-rate histogram of every spiking layer on the first
/// [`STATISTICS_IMAGES`] test images.
fn plot_rates(run: &Run, test: &ImageDataset, figures: &Path) -> Result<()> {
    let (snn, data) = (&run.model.snn, test.images());
    let sample: Vec<usize> = (0..data.len().min(STATISTICS_IMAGES)).collect();
    let names = snn.spiking_layer_names();
    let mut rates: Vec<(String, Vec<f64>)> = Vec::new();
    for chunk in sample.chunks(run.config.train.batch_size.max(1)) {
        let trace = snn.trace(intensities(data, chunk, &run.device));
        for (i, layer) in trace.layers.iter().enumerate() {
            let r = per_neuron_rates(layer);
            if rates.len() <= i {
                rates.push((names[i].clone(), vec![0.0; r.len()]));
            }
            for (acc, v) in rates[i].1.iter_mut().zip(r) {
                *acc += v * chunk.len() as f64 / sample.len() as f64;
            }
        }
    }
    let stem = figures.join("firing-rates");
    snn_plot::firing_rate_histogram(&stem, "Per-neuron firing rates", &rates, 40)?;
    Ok(())
}

fn plot_curves(run_dir: &Path, figures: &Path) -> Result<()> {
    let rows = read_metrics(run_dir)?;
    for (metric, label) in [("accuracy", "accuracy (%)"), ("loss", "cross-entropy loss")] {
        // A run that held examples out has one test point (its kept weights); one that did not
        // has a test row per epoch.
        let held_out = rows.iter().any(|r| r.split == "valid");
        let series: Vec<Series> = [
            ("train", "train"),
            ("valid", "validation"),
            ("test", "test"),
        ]
        .iter()
        .map(|(split, name)| Series {
            name: name.to_string(),
            points: rows
                .iter()
                .filter(|r| r.split == *split)
                .filter_map(|r| Some((r.epoch as f64, r.get(metric)?)))
                .collect(),
            markers_only: held_out && *split == "test",
        })
        .filter(|s| !s.points.is_empty())
        .collect();
        let title = format!(
            "{} per epoch",
            if metric == "loss" { "Loss" } else { "Accuracy" }
        );
        snn_plot::line_chart(&figures.join(metric), &title, "epoch", label, &series)?;
    }
    Ok(())
}

/// Item `b` of spikes `[T, B, N]` as a neuron × step grid.
pub fn grid(layer: &Tensor<3>, b: usize) -> SpikeGrid {
    let [steps, batch, n] = layer.dims();
    let values: Vec<f32> = layer.clone().into_data().iter::<f32>().collect();
    let mut grid = SpikeGrid::new(n, steps);
    for t in 0..steps {
        for i in 0..n {
            grid.set(i, t, values[(t * batch + b) * n + i] != 0.0);
        }
    }
    grid
}

/// Per-neuron firing rate (spikes per step, averaged over the batch) of spikes `[T, B, N]`.
pub fn per_neuron_rates(layer: &Tensor<3>) -> Vec<f64> {
    let [steps, batch, _] = layer.dims();
    let counts = layer.clone().sum_dim(0).sum_dim(1).flatten::<1>(0, 2);
    counts
        .into_data()
        .iter::<f32>()
        .map(|c| c as f64 / (steps * batch) as f64)
        .collect()
}

fn png_size(png: &[u8]) -> Result<(u32, u32)> {
    // IHDR: width and height are the big-endian u32s at bytes 16..24.
    anyhow::ensure!(png.len() >= 24 && &png[1..4] == b"PNG", "not a PNG image");
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    Ok((be(16), be(20)))
}
