//! Shared colours and text styles.

use plotters::prelude::*;
use plotters::style::{FontDesc, FontFamily, FontStyle};

use crate::font::FAMILY;

/// Series colours (the "tab10" palette), cycled.
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

// Layout in pixels shared by the figures whose plot rectangle must be known exactly (spike grids,
// confusion matrices, histograms).
/// Room for the title above the plot.
pub(crate) const TITLE_H: u32 = 50;
pub(crate) const MARGIN_LEFT: u32 = 15;
/// Room left of the plot for tick labels and the axis title.
pub(crate) const Y_LABEL_AREA: u32 = 80;
pub(crate) const MARGIN_RIGHT: u32 = 30;
pub(crate) const MARGIN_BOTTOM: u32 = 10;

pub(crate) fn series_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Text in the bundled font at `size` pixels, black.
pub(crate) fn text(size: f64) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(
        FontFamily::Name(FAMILY),
        size,
        FontStyle::Normal,
    ))
    .color(&BLACK)
}

pub(crate) const TITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 18.0;
pub(crate) const TICK_LABEL_SIZE: f64 = 15.0;
