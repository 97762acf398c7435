//! Spike trains as a grid of cells: rows are neurons, columns are time steps.
//!
//! Both figures have an exact pixel geometry ([`GridGeometry`]): cell `(r, c)` of the PNG covers
//! `x ∈ [x0 + c·cell_w, x0 + (c+1)·cell_w)`, `y ∈ [y0 + r·cell_h, y0 + (r+1)·cell_h)` (row 0 at
//! the top), and its centre pixel [`GridGeometry::centre`] is [`SPIKE_RGB`] exactly when the
//! cell holds a spike. Every other pixel of the grid is a lighter colour.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::PlotError;
use crate::axis::LinearAxis;
use crate::render::{DrawResult, Figure, centred_text, pixel_rect, render};
use crate::style::{
    self, AXIS_DESC_SIZE, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, TICK_LABEL_SIZE, TITLE_H,
    TITLE_SIZE, Y_LABEL_AREA,
};

/// Colour of a spike (the centre pixel of every "on" cell), as RGB.
pub const SPIKE_RGB: (u8, u8, u8) = (20, 20, 20);
/// Background of a [`spike_map`] grid: "off" cells.
pub const SPIKE_MAP_OFF_RGB: (u8, u8, u8) = (236, 236, 240);
/// Background of a [`raster`] grid: "off" cells and the margin around each tick.
pub const RASTER_OFF_RGB: (u8, u8, u8) = (255, 255, 255);

// Layout in pixels, fixed so the plot rectangle and so the cell geometry are known exactly.
const X_LABEL_AREA: u32 = 55;
/// Preferred plot extent along each axis; cells are `TARGET / n` pixels, clamped.
const TARGET_EXTENT: u32 = 800;
const MAX_CELL: u32 = 40;
/// Smallest plot extent along an axis, so tiny grids still leave room for the labels.
const MIN_EXTENT: u32 = 240;

/// Which neuron fired at which time step: `on[row * cols + col]`, rows = neurons,
/// cols = time steps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpikeGrid {
    pub rows: usize,
    pub cols: usize,
    pub on: Vec<bool>,
}

impl SpikeGrid {
    /// An all-silent grid.
    pub fn new(rows: usize, cols: usize) -> Self {
        SpikeGrid {
            rows,
            cols,
            on: vec![false; rows * cols],
        }
    }

    /// Whether neuron `row` spiked at step `col`. Panics out of range.
    pub fn get(&self, row: usize, col: usize) -> bool {
        assert!(
            row < self.rows && col < self.cols,
            "cell ({row}, {col}) out of range"
        );
        self.on[row * self.cols + col]
    }

    /// Sets cell `(row, col)`. Panics out of range.
    pub fn set(&mut self, row: usize, col: usize, spike: bool) {
        assert!(
            row < self.rows && col < self.cols,
            "cell ({row}, {col}) out of range"
        );
        self.on[row * self.cols + col] = spike;
    }

    /// Number of spikes.
    pub fn count(&self) -> usize {
        self.on.iter().filter(|&&b| b).count()
    }
}

/// Pixel geometry of the grid in a [`spike_map`] or [`raster`] PNG (the SVG has the same
/// layout). Cell `(r, c)` covers `x ∈ [x0 + c·cell_w, x0 + (c+1)·cell_w)` and
/// `y ∈ [y0 + r·cell_h, y0 + (r+1)·cell_h)`; the image is `width × height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridGeometry {
    pub x0: u32,
    pub y0: u32,
    pub cell_w: u32,
    pub cell_h: u32,
    pub rows: usize,
    pub cols: usize,
    /// Width of the whole image in pixels.
    pub width: u32,
    /// Height of the whole image in pixels.
    pub height: u32,
}

impl GridGeometry {
    /// Centre pixel `(x, y)` of cell `(row, col)`: `x0 + col·cell_w + cell_w/2`,
    /// `y0 + row·cell_h + cell_h/2` (integer division).
    pub fn centre(&self, row: usize, col: usize) -> (u32, u32) {
        (
            self.x0 + col as u32 * self.cell_w + self.cell_w / 2,
            self.y0 + row as u32 * self.cell_h + self.cell_h / 2,
        )
    }

    /// Width and height of the cell area in pixels.
    pub fn grid_size(&self) -> (u32, u32) {
        (
            self.cols as u32 * self.cell_w,
            self.rows as u32 * self.cell_h,
        )
    }
}

fn cell_extent(n: usize) -> u32 {
    let n = n.max(1) as u32;
    (TARGET_EXTENT / n)
        .clamp(1, MAX_CELL)
        .max(MIN_EXTENT.div_ceil(n))
}

/// The geometry [`spike_map`] and [`raster`] use for a `rows × cols` grid, without drawing.
/// Cells are `800 / n` pixels along an axis of `n` cells, clamped to `[1, 40]` and raised so the
/// axis spans at least 240 pixels: 784 neurons × 100 steps gives 8 × 1 cells in a 925 × 899
/// image; 10 neurons × 7 steps gives 40 × 40 cells in a 405 × 515 image.
pub fn grid_geometry(rows: usize, cols: usize) -> GridGeometry {
    let cell_w = cell_extent(cols);
    let cell_h = cell_extent(rows);
    let x0 = MARGIN_LEFT + Y_LABEL_AREA;
    let y0 = TITLE_H;
    let width = x0 + cols as u32 * cell_w + MARGIN_RIGHT;
    let height = y0 + rows as u32 * cell_h + X_LABEL_AREA + MARGIN_BOTTOM;
    GridGeometry {
        x0,
        y0,
        cell_w,
        cell_h,
        rows,
        cols,
        width,
        height,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    /// Every spike fills its whole cell; off cells are light grey.
    Map,
    /// A spike is a vertical tick in the middle of its cell on white.
    Raster,
}

struct GridFigure<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    grid: &'a SpikeGrid,
    geometry: GridGeometry,
    look: Look,
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

/// The part of a cell a spike paints, relative to the cell: `(dx, dy, w, h)`. Always contains
/// the centre pixel `(cell_w/2, cell_h/2)`.
fn mark(look: Look, cell_w: u32, cell_h: u32) -> (u32, u32, u32, u32) {
    match look {
        Look::Map => (0, 0, cell_w, cell_h),
        Look::Raster => {
            let half = cell_w / 4;
            let dx = cell_w / 2 - half;
            let dy = if cell_h >= 6 { cell_h / 6 } else { 0 };
            (dx, dy, 2 * half + 1, cell_h - 2 * dy)
        }
    }
}

impl Figure for GridFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (self.geometry.width, self.geometry.height)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let g = self.geometry;
        let (grid_w, grid_h) = g.grid_size();
        root.fill(&WHITE)?;
        centred_text(
            root,
            self.title,
            &style::text(TITLE_SIZE),
            ((g.width / 2) as i32, (TITLE_H / 2) as i32),
        )?;
        self.draw_axes(root)?;

        // Cells are drawn on the root in pixel coordinates, after the axes, so nothing of the
        // axes can overwrite them.
        let off = match self.look {
            Look::Map => SPIKE_MAP_OFF_RGB,
            Look::Raster => RASTER_OFF_RGB,
        };
        root.draw(&filled_rect(g.x0, g.y0, grid_w, grid_h, rgb(off)))?;
        for m in &self.spike_marks() {
            root.draw(m)?;
        }
        // A frame just outside the cell area.
        root.draw(&Rectangle::new(
            [
                (g.x0 as i32 - 1, g.y0 as i32 - 1),
                ((g.x0 + grid_w) as i32, (g.y0 + grid_h) as i32),
            ],
            RGBColor(120, 120, 120),
        ))?;
        Ok(())
    }
}

/// A rectangle filled with `colour` covering exactly the pixels `[x, x + w) × [y, y + h)`.
fn filled_rect(x: u32, y: u32, w: u32, h: u32, colour: RGBColor) -> Rectangle<(i32, i32)> {
    Rectangle::new(pixel_rect(x, y, w, h), colour.filled())
}

impl GridFigure<'_> {
    /// Draws the axes with their ticks and titles, after checking that plotters placed the plot
    /// area exactly on the cell area of [`GridGeometry`].
    fn draw_axes<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let g = self.geometry;
        let (grid_w, grid_h) = g.grid_size();
        let (rows, cols) = (self.grid.rows as f64, self.grid.cols as f64);
        let mut chart = ChartBuilder::on(root)
            .margin_top(TITLE_H)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_bottom(MARGIN_BOTTOM)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(
                LinearAxis::new(0.0..cols),
                LinearAxis::new(0.0..rows).reversed(),
            )?;
        let (px, py) = chart.plotting_area().get_pixel_range();
        let expected = (
            g.x0 as i32..(g.x0 + grid_w) as i32,
            g.y0 as i32..(g.y0 + grid_h) as i32,
        );
        if (px.clone(), py.clone()) != expected {
            return Err(format!(
                "internal layout error: plot area {px:?} × {py:?}, expected {:?} × {:?}",
                expected.0, expected.1
            )
            .into());
        }
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(style::text(TICK_LABEL_SIZE))
            .axis_desc_style(style::text(AXIS_DESC_SIZE))
            .draw()?;
        Ok(())
    }

    /// The filled rectangles marking the spikes, in pixel coordinates, row by row; in a
    /// [`Look::Map`] each run of adjacent spikes in a row is one rectangle.
    fn spike_marks(&self) -> Vec<Rectangle<(i32, i32)>> {
        let g = self.geometry;
        let spike = rgb(SPIKE_RGB);
        let (dx, dy, mw, mh) = mark(self.look, g.cell_w, g.cell_h);
        let mut marks = Vec::new();
        for r in 0..self.grid.rows {
            let row = &self.grid.on[r * self.grid.cols..(r + 1) * self.grid.cols];
            let y = g.y0 + r as u32 * g.cell_h + dy;
            let mut c = 0;
            while c < row.len() {
                if !row[c] {
                    c += 1;
                    continue;
                }
                let x = g.x0 + c as u32 * g.cell_w + dx;
                if self.look == Look::Map {
                    // Merge a run of spikes into one rectangle (keeps the SVG small).
                    let start = c;
                    while c < row.len() && row[c] {
                        c += 1;
                    }
                    marks.push(filled_rect(x, y, (c - start) as u32 * g.cell_w, mh, spike));
                } else {
                    marks.push(filled_rect(x, y, mw, mh, spike));
                    c += 1;
                }
            }
        }
        marks
    }
}

fn draw_grid(
    stem: &Path,
    title: &str,
    grid: &SpikeGrid,
    x_label: &str,
    y_label: &str,
    look: Look,
) -> Result<GridGeometry, PlotError> {
    let invalid = |message: String| PlotError::InvalidInput {
        file: crate::figure_paths(stem).0,
        message,
    };
    if grid.rows == 0 || grid.cols == 0 {
        return Err(invalid(format!(
            "spike grid is empty ({} rows × {} columns)",
            grid.rows, grid.cols
        )));
    }
    if grid.on.len() != grid.rows * grid.cols {
        return Err(invalid(format!(
            "spike grid has {} cells, but {} rows × {} columns need {}",
            grid.on.len(),
            grid.rows,
            grid.cols,
            grid.rows * grid.cols
        )));
    }
    let geometry = grid_geometry(grid.rows, grid.cols);
    render(
        stem,
        &GridFigure {
            title,
            x_label,
            y_label,
            grid,
            geometry,
            look,
        },
    )?;
    Ok(geometry)
}

/// Draws `grid` as a spike map (e.g. "SpikeMap for Digit 4": x = time step, y = input neuron)
/// to `stem.png` and `stem.svg`: a spike fills its cell with [`SPIKE_RGB`], a silent cell is
/// [`SPIKE_MAP_OFF_RGB`]. Returns the PNG's cell geometry ([`grid_geometry`]).
///
/// Errors if the grid is empty or `on.len() != rows * cols`.
pub fn spike_map(
    stem: &Path,
    title: &str,
    grid: &SpikeGrid,
    x_label: &str,
    y_label: &str,
) -> Result<GridGeometry, PlotError> {
    draw_grid(stem, title, grid, x_label, y_label, Look::Map)
}

/// Draws `grid` as a spike raster of a hidden layer (x = time step, y = neuron) to `stem.png`
/// and `stem.svg`: a spike is a vertical tick of [`SPIKE_RGB`] through the middle of its cell
/// on white ([`RASTER_OFF_RGB`]). The centre pixel of a cell is [`SPIKE_RGB`] exactly when it
/// holds a spike. Returns the PNG's cell geometry ([`grid_geometry`]).
///
/// Errors if the grid is empty or `on.len() != rows * cols`.
pub fn raster(
    stem: &Path,
    title: &str,
    grid: &SpikeGrid,
    x_label: &str,
    y_label: &str,
) -> Result<GridGeometry, PlotError> {
    draw_grid(stem, title, grid, x_label, y_label, Look::Raster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_of_mnist_sized_grid() {
        let g = grid_geometry(784, 100);
        assert_eq!((g.cell_w, g.cell_h), (8, 1));
        assert_eq!(g.grid_size(), (800, 784));
        assert_eq!((g.width, g.height), (925, 899));
    }

    #[test]
    fn geometry_of_small_grid() {
        let g = grid_geometry(10, 7);
        assert_eq!((g.cell_w, g.cell_h), (40, 40));
        assert_eq!(g.grid_size(), (280, 400));
        let g = grid_geometry(2, 1);
        // Raised so the axis spans at least MIN_EXTENT pixels.
        assert_eq!((g.cell_w, g.cell_h), (240, 120));
    }

    #[test]
    fn raster_mark_contains_the_centre() {
        for w in 1..50 {
            for h in 1..50 {
                let (dx, dy, mw, mh) = mark(Look::Raster, w, h);
                assert!(dx + mw <= w && dy + mh <= h, "mark outside cell {w}×{h}");
                assert!(
                    dx <= w / 2 && w / 2 < dx + mw,
                    "centre x outside mark {w}×{h}"
                );
                assert!(
                    dy <= h / 2 && h / 2 < dy + mh,
                    "centre y outside mark {w}×{h}"
                );
            }
        }
    }
}
