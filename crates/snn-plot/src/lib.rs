//! Figures for the spiking-network trainer, with no Burn dependency.
//!
//! Every figure function takes a path *stem* such as `runs/x/accuracy` and writes both
//! `accuracy.png` and `accuracy.svg` next to each other (a trailing `.png` or `.svg` on the stem
//! is dropped first). Parent directories are created. Each file is first written to a temporary
//! file in the same directory and then renamed into place, so an error never leaves a
//! half-written figure behind (an older figure of the same name stays as it was).
//!
//! Text is drawn with DejaVu Sans compiled into the binary (plotters' `ab_glyph` backend), so
//! nothing reads system fonts: the figures render on a machine with no fonts installed.
//!
//! - [`line_chart`]: learning curves (accuracy, loss per epoch).
//! - [`spike_map`], [`raster`]: spike trains as a neuron × time-step grid of cells, with an exact
//!   pixel geometry ([`GridGeometry`]) so a test can read the picture back.
//! - [`firing_rate_histogram`]: per-neuron firing rates, one panel per layer.
//! - [`confusion_matrix`]: heat map with counts.

mod axis;
mod confusion;
mod curves;
mod error;
mod font;
mod histogram;
mod render;
mod spikes;
mod style;

pub use confusion::{confusion_matrix, confusion_matrix_size};
pub use curves::{LINE_CHART_SIZE, Series, line_chart};
pub use error::PlotError;
pub use histogram::{firing_rate_histogram, firing_rate_histogram_size};
pub use render::figure_paths;
pub use spikes::{
    GridGeometry, RASTER_OFF_RGB, SPIKE_MAP_OFF_RGB, SPIKE_RGB, SpikeGrid, grid_geometry, raster,
    spike_map,
};
