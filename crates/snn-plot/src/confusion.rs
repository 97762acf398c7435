//! Confusion matrix as a heat map with the counts written in the cells and the classes named
//! on both axes.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::LinearAxis;
use crate::render::{DrawResult, Figure, centred_text, render};
use crate::style::{
    self, AXIS_DESC_SIZE, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, TICK_LABEL_SIZE, TITLE_H,
    TITLE_SIZE, Y_LABEL_AREA,
};
use crate::{PlotError, font};

/// Room left of the matrix: at least this, else the widest row label plus the axis title.
/// The axis title and gaps within [`Y_LABEL_AREA`].
const AXIS_TITLE_ROOM: u32 = 62;
const X_LABEL_AREA: u32 = 60;
/// Darkest cell colour (a row fraction of 1).
const DARK: (u8, u8, u8) = (8, 48, 107);

fn cell_size(classes: usize) -> u32 {
    (560 / classes.max(1) as u32).clamp(4, 64)
}

/// Width in pixels of the widest label at the tick-label size (the bundled font's metrics;
/// 9 pixels a character where it cannot measure).
fn widest_label(labels: &[String]) -> u32 {
    let measurable = font::ensure_registered().is_ok();
    let style = style::text(TICK_LABEL_SIZE);
    labels
        .iter()
        .map(|l| {
            let measured = measurable.then(|| style.font.box_size(l).ok()).flatten();
            measured.map_or(9 * l.chars().count() as u32, |(w, _)| w)
        })
        .max()
        .unwrap_or(0)
}

/// Where things go: the cell size, the left label area and the labels. Names wider than a cell
/// do not fit under the matrix: there the columns are numbered and each row's name carries its
/// number (`Ankle boot (9)`).
struct Layout {
    cell: u32,
    y_label_area: u32,
    rows: Vec<String>,
    columns: Vec<String>,
    x_desc: &'static str,
}

impl Layout {
    fn of(labels: &[String]) -> Self {
        let cell = cell_size(labels.len());
        let numbers: Vec<String> = (0..labels.len()).map(|c| c.to_string()).collect();
        let named = labels != numbers.as_slice();
        let (rows, columns, x_desc) = if named && widest_label(labels) + 4 > cell {
            let rows = labels
                .iter()
                .enumerate()
                .map(|(c, l)| format!("{l} ({c})"))
                .collect();
            (rows, numbers, "predicted class (numbered as the rows)")
        } else {
            (labels.to_vec(), labels.to_vec(), "predicted class")
        };
        Layout {
            cell,
            y_label_area: Y_LABEL_AREA.max(widest_label(&rows) + AXIS_TITLE_ROOM),
            rows,
            columns,
            x_desc,
        }
    }

    fn size(&self) -> (u32, u32) {
        let side = self.cell * self.rows.len() as u32;
        (
            MARGIN_LEFT + self.y_label_area + side + MARGIN_RIGHT,
            TITLE_H + side + X_LABEL_AREA + MARGIN_BOTTOM,
        )
    }
}

/// Size in pixels (width, height) of a [`confusion_matrix`] with these class labels: cells of
/// `560 / classes` pixels (clamped to `[4, 64]`) plus margins; the left one grows with the
/// widest label; ten one-digit labels give 685 × 680.
pub fn confusion_matrix_size(labels: &[String]) -> (u32, u32) {
    Layout::of(labels).size()
}

/// Draws the confusion matrix `matrix[true][predicted]` to `stem.png` and `stem.svg`
/// ([`confusion_matrix_size`]): true classes top to bottom, predicted classes left to right,
/// both named by `labels` (one per class; names wider than a cell are written by the rows only,
/// with the column numbers). A cell's shade is its count as a fraction of its row (so the
/// diagonal reads as per-class recall), white = 0 to dark blue = 1 on a square-root scale; the
/// count is written in the cell when cells are at least 20 pixels. Errors unless the matrix is
/// square and non-empty with one label per class.
pub fn confusion_matrix(
    stem: &Path,
    title: &str,
    matrix: &[Vec<u64>],
    labels: &[String],
) -> Result<(), PlotError> {
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
    if labels.len() != n {
        return Err(invalid(format!(
            "confusion matrix has {n} classes but {} class labels",
            labels.len()
        )));
    }
    render(
        stem,
        &Confusion {
            title,
            matrix,
            layout: Layout::of(labels),
        },
    )
}

struct Confusion<'a> {
    title: &'a str,
    matrix: &'a [Vec<u64>],
    layout: Layout,
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
        self.layout.size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let n = self.matrix.len();
        let layout = &self.layout;
        let (width, _) = layout.size();
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
            .y_label_area_size(layout.y_label_area)
            .build_cartesian_2d(
                LinearAxis::new(0.0..n as f64).with_ticks(centres.clone()),
                LinearAxis::new(0.0..n as f64)
                    .with_ticks(centres)
                    .reversed(),
            )?;
        let label = |labels: &[String], v: f64| {
            let class = (v - 0.5).round().max(0.0) as usize;
            labels.get(class).cloned().unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n)
            .y_labels(n)
            .x_desc(layout.x_desc)
            .y_desc("true class")
            .x_label_formatter(&|v| label(&layout.columns, *v))
            .y_label_formatter(&|v| label(&layout.rows, *v))
            .label_style(style::text(TICK_LABEL_SIZE))
            .axis_desc_style(style::text(AXIS_DESC_SIZE))
            .draw()?;

        let (cells, labels) = self.cell_elements();
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

/// A matrix entry's shaded square, in chart coordinates.
type Cell = Rectangle<(f64, f64)>;
/// A matrix entry's count, centred in its square.
type CountLabel = Text<'static, (f64, f64), String>;

impl Confusion<'_> {
    /// The shaded cell of every matrix entry and, when cells are at least 20 pixels, its count
    /// written in the middle, in chart coordinates (one unit a class).
    fn cell_elements(&self) -> (Vec<Cell>, Vec<CountLabel>) {
        let n = self.matrix.len();
        let cell = self.layout.cell;
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
        (cells, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let digits: Vec<String> = (0..10).map(|c| c.to_string()).collect();
        assert_eq!(confusion_matrix_size(&digits), (685, 680));
        assert_eq!(cell_size(1000), 4);
        assert_eq!(cell_size(2), 64);
    }

    #[test]
    fn shades_run_from_white_to_dark() {
        assert_eq!(shade(0.0), RGBColor(255, 255, 255));
        assert_eq!(shade(1.0), RGBColor(DARK.0, DARK.1, DARK.2));
    }
}
