//! A linear `f64` axis that can run either way and can carry explicit tick positions.
//! plotters' own `f64` axis always maps its start to the left/bottom; cell grids want row 0 at
//! the top, and confusion matrices want one tick in the middle of each class.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

#[derive(Clone, Debug)]
pub(crate) struct LinearAxis {
    lo: f64,
    hi: f64,
    /// Map `lo` to the far end (top for a y axis, right for an x axis).
    reversed: bool,
    /// Explicit tick positions; `None` lets plotters choose round numbers.
    ticks: Option<Vec<f64>>,
}

impl LinearAxis {
    pub(crate) fn new(range: Range<f64>) -> Self {
        LinearAxis {
            lo: range.start,
            hi: range.end,
            reversed: false,
            ticks: None,
        }
    }

    pub(crate) fn reversed(mut self) -> Self {
        self.reversed = true;
        self
    }

    pub(crate) fn with_ticks(mut self, ticks: Vec<f64>) -> Self {
        self.ticks = Some(ticks);
        self
    }
}

impl Ranged for LinearAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (from, to) = if self.reversed {
            (limit.1, limit.0)
        } else {
            limit
        };
        let span = self.hi - self.lo;
        if span == 0.0 || !span.is_finite() {
            return from;
        }
        let t = (value - self.lo) / span;
        from + ((to - from) as f64 * t + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        match &self.ticks {
            None => RangedCoordf64::from(self.lo..self.hi).key_points(hint),
            Some(_) if hint.weight().allow_light_points() => Vec::new(),
            Some(ticks) => {
                let max = hint.max_num_points().max(1);
                let stride = ticks.len().div_ceil(max).max(1);
                ticks.iter().copied().step_by(stride).collect()
            }
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}
