//! The counter-based Poisson encoder on host memory ([`poisson_spikes`], [`poisson_events`]).

use rayon::prelude::*;

/// The seed layout, shared with the CubeCL kernel ([`crate::ops::cube`]): a seed is made of two
/// uniform draws in [0, 1) from the device's RNG, `DRAW_BITS` bits each (see [`seed_from_draws`]).
pub const DRAW_BITS: u32 = 24;
/// `2^DRAW_BITS` as a float: a draw's bits are `⌊draw · DRAW_SCALE⌋`; a uniform `u` is
/// `(h >> 8) / DRAW_SCALE` for a 32-bit hash `h`.
pub const DRAW_SCALE: f32 = (1u32 << DRAW_BITS) as f32;
/// The multipliers of Wellons' `lowbias32` hash ([`mix32`], and the CubeCL kernel's copy).
pub const MIX32_M1: u32 = 0x7feb_352d;
pub const MIX32_M2: u32 = 0x846c_a68b;

/// `clamp(gain·x, 0, 1)`.
pub fn probabilities(x: &[f32], gain: f32) -> Vec<f32> {
    x.iter().map(|&v| (gain * v).clamp(0.0, 1.0)).collect()
}

/// A 48-bit seed from two uniform draws in [0, 1) ([`DRAW_BITS`] each).
pub fn seed_from_draws(draws: &[f32]) -> u64 {
    let mask = (1u64 << DRAW_BITS) - 1;
    draws.iter().take(2).fold(0u64, |acc, &d| {
        (acc << DRAW_BITS) | ((d * DRAW_SCALE) as u64 & mask)
    })
}

use super::events::SpikeEvents;
use crate::ops::simd::simd_kernel;

/// [`poisson_spikes`] that also returns the spikes as events. Drawing step-major and scanning
/// afterwards is faster than drawing input by input (which writes `out` with a large stride).
pub fn poisson_events(
    p: &[f32],
    seed: u64,
    out: &mut [f32],
    steps: usize,
    batch: usize,
) -> SpikeEvents {
    let k = p.len() / batch.max(1);
    assert_eq!(
        (p.len(), out.len()),
        (batch * k, steps * batch * k),
        "shapes"
    );
    poisson_spikes(p, seed, out);
    SpikeEvents::scan(out, [steps, batch, k])
}

/// Poisson spikes `out[t, b, n] = 1[u(seed, t, b, n) < p[b, n]]` for `p` already clamped to
/// [0, 1] (`[B, N]`) and `out` `[T, B, N]`. `u` is a counter-based uniform draw in [0, 1) with
/// 24 random bits (two rounds of a 32-bit integer hash of the element index and the seed), so the
/// result depends only on `seed`, not on thread scheduling. `p = 0` never fires, `p = 1` always.
pub fn poisson_spikes(p: &[f32], seed: u64, out: &mut [f32]) {
    let row = p.len();
    assert!(
        row > 0 && out.len().is_multiple_of(row),
        "out is not [T, B, N]"
    );
    assert!(
        out.len() <= crate::ops::MAX_SPIKE_SLOTS,
        "poisson_spikes: {} spikes exceed the 32-bit counter (SnnConfig::check_batch refuses \
         such batches)",
        out.len()
    );
    let (s0, s1) = (seed as u32, (seed >> 32) as u32);
    out.par_chunks_mut(row)
        .enumerate()
        .for_each(|(t, out_row)| {
            poisson_row(p, s0, s1, (t * row) as u32, out_row);
        });
}

simd_kernel! {
    fn poisson_row(p: &[f32], s0: u32, s1: u32, base: u32, out: &mut [f32]) {
        for (i, (o, &pi)) in out.iter_mut().zip(p).enumerate() {
            let u = uniform(s0, s1, base.wrapping_add(i as u32));
            *o = if u < pi { 1.0 } else { 0.0 };
        }
    }
}

/// A uniform draw in [0, 1) with 24 random bits from a 64-bit seed and a counter.
#[inline(always)]
pub fn uniform(s0: u32, s1: u32, counter: u32) -> f32 {
    let h = mix32(mix32(counter ^ s0).wrapping_add(s1));
    (h >> 8) as f32 * (1.0 / DRAW_SCALE)
}

/// A 32-bit integer hash with good avalanche (Wellons' `lowbias32`).
#[inline(always)]
fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(MIX32_M1);
    x ^= x >> 15;
    x = x.wrapping_mul(MIX32_M2);
    x ^ (x >> 16)
}
