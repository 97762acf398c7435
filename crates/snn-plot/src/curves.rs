//! Learning curves: one line (with a marker at every point) per series.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::PlotError;
use crate::render::{DrawResult, Figure, render};
use crate::style::{self, AXIS_DESC_SIZE, TICK_LABEL_SIZE, TITLE_SIZE, series_colour};

/// Size in pixels (width, height) of every [`line_chart`] PNG and SVG.
pub const LINE_CHART_SIZE: (u32, u32) = (960, 600);

/// One named curve, e.g. "train" accuracy per epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Legend entry; an empty name is left out of the legend.
    pub name: String,
    /// `(x, y)` points in drawing order. Points with a non-finite coordinate are skipped.
    pub points: Vec<(f64, f64)>,
    /// Draw the markers alone, not the line through them (a scatter of runs).
    pub markers_only: bool,
}

/// Draws `series` as lines with a round marker at every point (so a one-point series, as
/// from a one-epoch run, is still visible; `markers_only` series as markers alone) to `stem.png` and `stem.svg`, [`LINE_CHART_SIZE`].
///
/// Axis ranges cover all finite points with 5 % padding (a degenerate range, e.g. a single
/// point, is widened around its value). With no finite point at all the chart is drawn empty on
/// `[0, 1] × [0, 1]`. The legend goes to the corner holding the fewest points.
pub fn line_chart(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), PlotError> {
    render(
        stem,
        &LineChart {
            title,
            x_label,
            y_label,
            series,
        },
    )
}

struct LineChart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: &'a [Series],
}

fn finite_points(s: &Series) -> Vec<(f64, f64)> {
    s.points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// `[lo, hi]` padded by 5 %. A single value `v` becomes `v ± 10 %` (`± 1` for `v = 0`), or
/// `v ± 1` when `whole` and `v` is a whole number (one epoch).
fn padded(lo: f64, hi: f64, whole: bool) -> Range<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return 0.0..1.0;
    }
    let span = hi - lo;
    if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
        let pad = if lo == 0.0 || (whole && lo.fract() == 0.0) {
            1.0
        } else {
            lo.abs() * 0.1
        };
        return lo - pad..hi + pad;
    }
    let pad = span * 0.05;
    lo - pad..hi + pad
}

fn bounds(values: impl Iterator<Item = f64>, whole: bool) -> Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    padded(lo, hi, whole)
}

/// Tick label for an axis spanning `range`: enough decimals for the span, trailing zeros
/// dropped ("2" rather than "2.0", "0.95" rather than "0.950").
pub(crate) fn tick_label(v: f64, range: &Range<f64>) -> String {
    let span = (range.end - range.start).abs();
    let decimals = if span > 0.0 && span.is_finite() {
        (2.0 - span.log10().floor()).clamp(0.0, 12.0) as usize
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".to_string() } else { s }
}

/// The plot corner with the fewest points (in axis fractions, a corner is the outer 40 % box).
fn legend_corner(points: &[(f64, f64)], xr: &Range<f64>, yr: &Range<f64>) -> SeriesLabelPosition {
    let frac = |v: f64, r: &Range<f64>| (v - r.start) / (r.end - r.start);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let count = |right: bool, upper: bool| {
        points
            .iter()
            .filter(|&&(x, y)| {
                let (fx, fy) = (frac(x, xr), frac(y, yr));
                (if right { fx >= 0.6 } else { fx <= 0.4 })
                    && (if upper { fy >= 0.6 } else { fy <= 0.4 })
            })
            .count()
    };
    corners
        .into_iter()
        .min_by_key(|&(_, right, upper)| count(right, upper))
        .map(|(pos, _, _)| pos)
        .unwrap_or(SeriesLabelPosition::UpperRight)
}

impl Figure for LineChart<'_> {
    fn size(&self) -> (u32, u32) {
        LINE_CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let curves: Vec<(&Series, Vec<(f64, f64)>)> =
            self.series.iter().map(|s| (s, finite_points(s))).collect();
        let all: Vec<(f64, f64)> = curves.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        let xr = bounds(all.iter().map(|p| p.0), true);
        let yr = bounds(all.iter().map(|p| p.1), false);

        let mut chart = ChartBuilder::on(root)
            .caption(self.title, style::text(TITLE_SIZE))
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(xr.clone(), yr.clone())?;
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .x_label_formatter(&|v| tick_label(*v, &xr))
            .y_label_formatter(&|v| tick_label(*v, &yr))
            .label_style(style::text(TICK_LABEL_SIZE))
            .axis_desc_style(style::text(AXIS_DESC_SIZE))
            .bold_line_style(RGBColor(220, 220, 220))
            .light_line_style(RGBColor(242, 242, 242))
            .draw()?;

        for (i, (s, points)) in curves.iter().enumerate() {
            let colour = series_colour(i);
            let line = colour.stroke_width(2);
            if s.markers_only {
                let drawn = chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
                if !s.name.is_empty() {
                    drawn.label(s.name.as_str()).legend(move |(x, y)| {
                        EmptyElement::at((x + 12, y)) + Circle::new((0, 0), 4, colour.filled())
                    });
                }
                continue;
            }
            let drawn = chart.draw_series(LineSeries::new(points.iter().copied(), line))?;
            if !s.name.is_empty() {
                drawn.label(s.name.as_str()).legend(move |(x, y)| {
                    EmptyElement::at((x + 12, y))
                        + PathElement::new(vec![(-12, 0), (12, 0)], line)
                        + Circle::new((0, 0), 4, colour.filled())
                });
            }
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        }

        if self.series.iter().any(|s| !s.name.is_empty()) {
            chart
                .configure_series_labels()
                .position(legend_corner(&all, &xr, &yr))
                .margin(12)
                .legend_area_size(30)
                .label_font(style::text(TICK_LABEL_SIZE))
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(160, 160, 160))
                .draw()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_widens_degenerate_ranges() {
        assert_eq!(padded(1.0, 1.0, false), 0.9..1.1);
        assert_eq!(padded(1.0, 1.0, true), 0.0..2.0);
        let r = padded(0.5, 0.5, true);
        assert!((r.start - 0.45).abs() < 1e-12 && (r.end - 0.55).abs() < 1e-12);
        assert_eq!(padded(0.0, 0.0, false), -1.0..1.0);
        let r = padded(0.0, 10.0, true);
        assert!((r.start + 0.5).abs() < 1e-12 && (r.end - 10.5).abs() < 1e-12);
        assert_eq!(padded(f64::INFINITY, f64::NEG_INFINITY, false), 0.0..1.0);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(2.0, &(0.0..20.0)), "2");
        assert_eq!(tick_label(0.95, &(0.8..1.0)), "0.95");
        assert_eq!(tick_label(0.3 + 1e-15, &(0.0..1.0)), "0.3");
        assert_eq!(tick_label(-0.0001, &(-1.0..1.0)), "0");
        assert_eq!(tick_label(12345.0, &(0.0..20000.0)), "12345");
        assert_eq!(tick_label(2.5e-7, &(0.0..1e-6)), "0.00000025");
    }

    #[test]
    fn legend_avoids_the_crowded_corner() {
        // Rising curve: points in the lower-left and upper-right corners.
        let pts = [(0.0, 0.0), (0.1, 0.1), (0.9, 0.9), (1.0, 1.0)];
        let pos = legend_corner(&pts, &(0.0..1.0), &(0.0..1.0));
        assert!(matches!(
            pos,
            SeriesLabelPosition::LowerRight | SeriesLabelPosition::UpperLeft
        ));
    }
}
