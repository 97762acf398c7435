//! Histograms of per-neuron firing rates, one panel per layer.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::PlotError;
use crate::render::{DrawResult, Figure, centred_text, render};
use crate::style::{self, AXIS_DESC_SIZE, TICK_LABEL_SIZE, TITLE_H, TITLE_SIZE, series_colour};

const WIDTH: u32 = 900;
const PANEL_H: u32 = 300;

/// Size in pixels (width, height) of a [`firing_rate_histogram`] with `layers` panels:
/// 900 × (50 + 300 · layers).
pub fn firing_rate_histogram_size(layers: usize) -> (u32, u32) {
    (WIDTH, TITLE_H + PANEL_H * layers as u32)
}

/// Draws a histogram of per-neuron firing rates for each layer, one panel per layer stacked
/// top to bottom in the order given, to `stem.png` and `stem.svg`
/// ([`firing_rate_histogram_size`]).
///
/// `layers` holds `(layer name, firing rate of each neuron)`; rates are spikes per neuron per
/// time step, in `[0, 1]`. `bins` equal-width bins span `[0, 1]`; a rate of exactly 1 falls in
/// the last bin, rates outside `[0, 1]` are clamped into it and non-finite rates are left out
/// (the panel's caption says how many). Each panel's caption names the layer with its neuron
/// count and mean rate. Errors if `layers` is empty or `bins == 0`.
pub fn firing_rate_histogram(
    stem: &Path,
    title: &str,
    layers: &[(String, Vec<f64>)],
    bins: usize,
) -> Result<(), PlotError> {
    let invalid = |message: &str| PlotError::InvalidInput {
        file: crate::figure_paths(stem).0,
        message: message.to_string(),
    };
    if layers.is_empty() {
        return Err(invalid("no layers to draw a firing-rate histogram of"));
    }
    if bins == 0 {
        return Err(invalid("a histogram needs at least one bin"));
    }
    let panels = layers
        .iter()
        .map(|(name, rates)| Panel::new(name, rates, bins))
        .collect();
    render(stem, &Histogram { title, panels })
}

struct Panel<'a> {
    name: &'a str,
    counts: Vec<u64>,
    neurons: usize,
    skipped: usize,
    mean: f64,
}

impl<'a> Panel<'a> {
    fn new(name: &'a str, rates: &[f64], bins: usize) -> Self {
        let mut counts = vec![0u64; bins];
        let (mut skipped, mut sum) = (0, 0.0);
        for &r in rates {
            if !r.is_finite() {
                skipped += 1;
                continue;
            }
            let r = r.clamp(0.0, 1.0);
            sum += r;
            counts[bin_of(r, bins)] += 1;
        }
        let used = rates.len() - skipped;
        Panel {
            name,
            counts,
            neurons: rates.len(),
            skipped,
            mean: if used == 0 { 0.0 } else { sum / used as f64 },
        }
    }

    fn caption(&self) -> String {
        let mut s = format!(
            "{}: {} neurons, mean rate {:.4}",
            self.name, self.neurons, self.mean
        );
        if self.skipped > 0 {
            s.push_str(&format!(" ({} non-finite left out)", self.skipped));
        }
        s
    }
}

/// Bin of a rate already clamped to `[0, 1]`.
fn bin_of(rate: f64, bins: usize) -> usize {
    ((rate * bins as f64).floor() as usize).min(bins - 1)
}

struct Histogram<'a> {
    title: &'a str,
    panels: Vec<Panel<'a>>,
}

impl Figure for Histogram<'_> {
    fn size(&self) -> (u32, u32) {
        firing_rate_histogram_size(self.panels.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (width, _) = self.size();
        centred_text(
            root,
            self.title,
            &style::text(TITLE_SIZE),
            ((width / 2) as i32, (TITLE_H / 2) as i32),
        )?;
        let body = root.margin(TITLE_H, 0, 0, 0);
        let areas = body.split_evenly((self.panels.len(), 1));
        for (i, (panel, area)) in self.panels.iter().zip(&areas).enumerate() {
            let bins = panel.counts.len();
            let top = panel.counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.08;
            let mut chart = ChartBuilder::on(area)
                .caption(panel.caption(), style::text(AXIS_DESC_SIZE))
                .margin_left(15)
                .margin_right(30)
                .margin_bottom(10)
                .x_label_area_size(50)
                .y_label_area_size(80)
                .build_cartesian_2d(0f64..1f64, 0f64..top)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_desc("firing rate (spikes per neuron per time step)")
                .y_desc("neurons")
                .x_label_formatter(&|v| crate::curves::tick_label(*v, &(0.0..1.0)))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style(style::text(TICK_LABEL_SIZE))
                .axis_desc_style(style::text(TICK_LABEL_SIZE))
                .bold_line_style(RGBColor(225, 225, 225))
                .light_line_style(RGBColor(245, 245, 245))
                .draw()?;
            let colour = series_colour(i);
            let width = 1.0 / bins as f64;
            // Each non-empty bin is a filled bar with an outline of the same colour.
            let bars = |style: ShapeStyle| {
                (panel.counts.iter().enumerate())
                    .filter(|(_, c)| **c > 0)
                    .map(move |(b, &c)| {
                        let (left, right) = (b as f64 * width, (b + 1) as f64 * width);
                        Rectangle::new([(left, 0.0), (right, c as f64)], style)
                    })
            };
            chart.draw_series(bars(colour.mix(0.8).filled()))?;
            chart.draw_series(bars(colour.stroke_width(1)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_counts_every_finite_rate_once() {
        let rates = [0.0, 0.05, 0.1, 0.5, 0.99, 1.0, 1.5, -0.2, f64::NAN];
        let p = Panel::new("l", &rates, 10);
        assert_eq!(p.counts, vec![3, 1, 0, 0, 0, 1, 0, 0, 0, 3]);
        assert_eq!(p.skipped, 1);
        assert_eq!(p.neurons, 9);
        let expected_mean = (0.0 + 0.05 + 0.1 + 0.5 + 0.99 + 1.0 + 1.0 + 0.0) / 8.0;
        assert!((p.mean - expected_mean).abs() < 1e-12);
    }
}
