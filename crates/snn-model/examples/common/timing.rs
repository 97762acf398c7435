//! Timing helper shared by the examples.

use std::time::Instant;

/// Median wall time of `reps` calls of `f`, in milliseconds, after two untimed warm-up calls.
pub fn median_ms(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    f();
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}
