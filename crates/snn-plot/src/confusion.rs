//! Confusion matrix as a heat map with the counts written in the cells.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::PlotError;
use crate::axis::LinearAxis;
use crate::render::{DrawResult, Figure, centred_text, render};
use crate::style::{self, AXIS_DESC_SIZE, TICK_LABEL_SIZE, TITLE_SIZE};

const TITLE_H: u32 = 50;
const MARGIN_LEFT: u32 = 15;
const Y_LABEL_AREA: u32 = 80;
const MARGIN_RIGHT: u32 = 30;
const X_LABEL_AREA: u32 = 60;
const MARGIN_BOTTOM: u32 = 10;
/// Darkest cell colour (a row fraction of 1).
const DARK: (u8, u8, u8) = (8, 48, 107);

fn cell_size(classes: usize) -> u32 {
    (560 / classes.max(1) as u32).clamp(4, 64)
}

/// Size in pixels (width, height) of a [`confusion_matrix`] of `classes` classes: cells of
/// `560 / classes` pixels (clamped to `[4, 64]`) plus margins; 10 classes give 685 × 680.
pub fn confusion_matrix_size(classes: usize) -> (u32, u32) {
    let side = cell_size(classes) * classes as u32;
    (
        MARGIN_LEFT + Y_LABEL_AREA + side + MARGIN_RIGHT,
        TITLE_H + side + X_LABEL_AREA + MARGIN_BOTTOM,
    )
}

/// Draws the confusion matrix `matrix[true][predicted]` to `stem.png` and `stem.svg`
/// ([`confusion_matrix_size`]): true classes top to bottom, predicted classes left to right,
/// both labelled by class index. A cell's shade is its count as a fraction of its row (so the
/// diagonal reads as per-class recall), white = 0 to dark blue = 1 on a square-root scale; the
/// count is written in the cell when cells are at least 20 pixels. Errors unless the matrix is square and non-empty.
pub fn confusion_matrix(stem: &Path, title: &str, matrix: &[Vec<u64>]) -> Result<(), PlotError> {
    let n = matrix.len();
    let invalid = |message: String| PlotError::InvalidInput {
        file: crate::figure_paths(stem).0,
        message,
    };
    if n == 0 {
        return Err(invalid("confusion matrix has no classes".into()));
    }
    if let Some((i, row)) = matrix.iter().enumerate().find(|(_, r)| r.len() != n) {
        return Err(invalid(format!(
            "confusion matrix is not square: row {i} has {} entries, expected {n}",
            row.len()
        )));
    }
    render(stem, &Confusion { title, matrix })
}

struct Confusion<'a> {
    title: &'a str,
    matrix: &'a [Vec<u64>],
}

/// Shade for a row fraction in `[0, 1]`: white to [`DARK`], on a square-root scale so that
/// the few percent of a typical misclassification still show.
fn shade(fraction: f64) -> RGBColor {
    let f = fraction.clamp(0.0, 1.0).sqrt();
    let mix = |dark: u8| (255.0 - f * (255.0 - dark as f64)).round() as u8;
    RGBColor(mix(DARK.0), mix(DARK.1), mix(DARK.2))
}

impl Figure for Confusion<'_> {
    fn size(&self) -> (u32, u32) {
        confusion_matrix_size(self.matrix.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = self.matrix.len();
        let cell = cell_size(n);
        let (width, _) = self.size();
        root.fill(&WHITE)?;
        centred_text(
            root,
            self.title,
            &style::text(TITLE_SIZE),
            ((width / 2) as i32, (TITLE_H / 2) as i32),
        )?;

        let centres: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(root)
            .margin_top(TITLE_H)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_bottom(MARGIN_BOTTOM)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(
                LinearAxis::new(0.0..n as f64).with_ticks(centres.clone()),
                LinearAxis::new(0.0..n as f64)
                    .with_ticks(centres)
                    .reversed(),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n)
            .y_labels(n)
            .x_desc("predicted class")
            .y_desc("true class")
            .x_label_formatter(&|v| format!("{:.0}", v - 0.5))
            .y_label_formatter(&|v| format!("{:.0}", v - 0.5))
            .label_style(style::text(TICK_LABEL_SIZE))
            .axis_desc_style(style::text(AXIS_DESC_SIZE))
            .draw()?;

        let mut cells = Vec::with_capacity(n * n);
        let mut labels = Vec::new();
        let font = (cell as f64 * 0.36).min(16.0);
        for (t, row) in self.matrix.iter().enumerate() {
            let total: u64 = row.iter().sum();
            for (p, &count) in row.iter().enumerate() {
                let f = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                let (x, y) = (p as f64, t as f64);
                cells.push(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    shade(f).filled(),
                ));
                if cell >= 20 {
                    let colour: &'static RGBColor = if f.sqrt() > 0.55 { &WHITE } else { &BLACK };
                    let text = style::text(font)
                        .color(colour)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    labels.push(Text::new(count.to_string(), (x + 0.5, y + 0.5), text));
                }
            }
        }
        chart.draw_series(cells)?;
        chart.draw_series(labels)?;
        // Frame around the matrix.
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, 0.0), (n as f64, n as f64)],
            RGBColor(120, 120, 120),
        )))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(confusion_matrix_size(10), (685, 680));
        assert_eq!(cell_size(1000), 4);
        assert_eq!(cell_size(2), 64);
    }

    #[test]
    fn shades_run_from_white_to_dark() {
        assert_eq!(shade(0.0), RGBColor(255, 255, 255));
        assert_eq!(shade(1.0), RGBColor(DARK.0, DARK.1, DARK.2));
    }
}
