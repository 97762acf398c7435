//! Spike trains as events ([`SpikeEvents`]) and the event-driven spike matmul on host memory:
//! [`events_matmul`] (forward) and [`events_weight_grad`] (weight gradient).

use rayon::prelude::*;

use super::SharedOut;
use crate::ops::simd::simd_kernel;

/// Spike trains `x [T, B, K]` stored event by event: for every batch item `b` and input `i`, the
/// steps `t` at which `x[t, b, i] ≠ 0`, in increasing order (and their values when they are not
/// all exactly 1). Grouping by `(b, i)` lets the matmul kernels load each weight row once per
/// `(b, i)` and keep one batch item's rows in cache.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeEvents {
    pub steps: usize,
    pub batch: usize,
    pub k: usize,
    /// `(b, i)` owns `times[offsets[b·K + i]..offsets[b·K + i + 1]]`.
    pub offsets: Vec<usize>,
    pub times: Vec<u32>,
    /// The value of each event; empty when every value is 1 (spikes).
    pub values: Vec<f32>,
}

impl SpikeEvents {
    /// Scans a dense `x [T, B, K]` (batch items in parallel).
    pub fn scan(x: &[f32], [steps, batch, k]: [usize; 3]) -> Self {
        assert_eq!(x.len(), steps * batch * k, "x is not [T, B, K]");
        let binary = x.par_chunks(1 << 16).all(all_binary);
        let per_item: Vec<ItemEvents> = (0..batch)
            .into_par_iter()
            .map(|b| scan_item(x, [steps, batch, k], b, binary))
            .collect();
        Self::from_items(per_item, [steps, batch, k])
    }

    fn from_items(items: Vec<ItemEvents>, [steps, batch, k]: [usize; 3]) -> Self {
        let total: usize = items.iter().map(|e| e.times.len()).sum();
        let mut offsets = Vec::with_capacity(batch * k + 1);
        let mut times = Vec::with_capacity(total);
        let mut values = Vec::new();
        offsets.push(0);
        for item in items {
            let base = times.len();
            offsets.extend(item.ends.iter().map(|&e| base + e));
            times.extend(item.times);
            values.extend(item.values);
        }
        Self {
            steps,
            batch,
            k,
            offsets,
            times,
            values,
        }
    }

    /// The events as one flat `f32` buffer (bit patterns, not numbers) that a CPU tensor can
    /// hold: `[T, B, K, events, has values]`, the `B·K + 1` offsets and the steps as `u32` bits,
    /// then the values (when not all 1). Read back by [`SpikeEvents::unpack`].
    pub fn pack(&self) -> Vec<f32> {
        let bits =
            |v: usize| f32::from_bits(u32::try_from(v).expect("spike events fit the 32-bit index"));
        let mut out =
            Vec::with_capacity(5 + self.offsets.len() + self.times.len() + self.values.len());
        out.extend([self.steps, self.batch, self.k, self.times.len()].map(bits));
        out.push(bits(usize::from(!self.values.is_empty())));
        out.extend(self.offsets.iter().map(|&o| bits(o)));
        out.extend(self.times.iter().map(|&t| f32::from_bits(t)));
        out.extend_from_slice(&self.values);
        out
    }

    /// The events [`SpikeEvents::pack`] wrote into `packed`.
    pub fn unpack(packed: &[f32]) -> Self {
        let word = |i: usize| packed[i].to_bits() as usize;
        let (steps, batch, k, count, has_values) = (word(0), word(1), word(2), word(3), word(4));
        let offsets_end = 5 + batch * k + 1;
        let times_end = offsets_end + count;
        assert_eq!(
            packed.len(),
            times_end + if has_values == 1 { count } else { 0 },
            "not a packed SpikeEvents buffer"
        );
        Self {
            steps,
            batch,
            k,
            offsets: packed[5..offsets_end]
                .iter()
                .map(|v| v.to_bits() as usize)
                .collect(),
            times: packed[offsets_end..times_end]
                .iter()
                .map(|v| v.to_bits())
                .collect(),
            values: packed[times_end..].to_vec(),
        }
    }

    /// Number of events (non-zeros).
    pub fn count(&self) -> usize {
        self.times.len()
    }

    /// Fraction of non-zero entries.
    pub fn density(&self) -> f32 {
        let total = self.steps * self.batch * self.k;
        if total == 0 {
            0.0
        } else {
            self.count() as f32 / total as f32
        }
    }

    /// The events of `(b, i)`: their steps and their first index into `values`.
    #[inline(always)]
    fn of(&self, b: usize, i: usize) -> (&[u32], usize) {
        let (lo, hi) = (
            self.offsets[b * self.k + i],
            self.offsets[b * self.k + i + 1],
        );
        (&self.times[lo..hi], lo)
    }

    #[inline(always)]
    fn value(&self, index: usize) -> f32 {
        if self.values.is_empty() {
            1.0
        } else {
            self.values[index]
        }
    }
}

/// The events of one batch item: `ends[i]` is the end of input `i`'s run in `times`.
struct ItemEvents {
    ends: Vec<usize>,
    times: Vec<u32>,
    values: Vec<f32>,
}

simd_kernel! {
    fn all_binary(x: &[f32]) -> bool {
        x.iter().fold(0u32, |bad, &v| bad | (v != 0.0 && v != 1.0) as u32) == 0
    }
}

simd_kernel! {
    /// Counting sort of one batch item's non-zeros by input, then by step.
    fn scan_item(x: &[f32], dims: [usize; 3], b: usize, binary: bool) -> ItemEvents {
        let [steps, batch, k] = dims;
        let row = |t: usize| &x[(t * batch + b) * k..(t * batch + b + 1) * k];
        let mut counts = vec![0usize; k];
        for t in 0..steps {
            for (c, &v) in counts.iter_mut().zip(row(t)) {
                *c += (v != 0.0) as usize;
            }
        }
        let mut ends = Vec::with_capacity(k);
        let mut next = Vec::with_capacity(k);
        let mut total = 0;
        for &c in &counts {
            next.push(total);
            total += c;
            ends.push(total);
        }
        let mut times = vec![0u32; total];
        let mut values = if binary { Vec::new() } else { vec![0.0f32; total] };
        for t in 0..steps {
            for (c, chunk) in row(t).chunks(32).enumerate() {
                let mut mask = 0u32;
                for (q, &v) in chunk.iter().enumerate() {
                    mask |= ((v != 0.0) as u32) << q;
                }
                while mask != 0 {
                    let i = c * 32 + mask.trailing_zeros() as usize;
                    times[next[i]] = t as u32;
                    if !binary {
                        values[next[i]] = chunk[i - c * 32];
                    }
                    next[i] += 1;
                    mask &= mask - 1;
                }
            }
        }
        ItemEvents { ends, times, values }
    }
}

/// Output columns per block: the kernels keep 64 accumulators in registers.
const BLOCK: usize = 64;

/// `out[T, B, N] = x · w` for spikes `x [T, B, K]` given by their events and `w [K, N]`:
/// for every `(b, i)`, the weight row `w[i]` is added to `out[t, b]` at each of its steps.
/// Batch items run in parallel. Each item accumulates into a private buffer laid out block by
/// block (`[N/64][T][64]`, 25 KB per block for T = 100), which stays in L1 — the item's rows of
/// `out` are `B·N` floats apart, a power-of-two stride that would alias in the cache.
pub fn events_matmul(x: &SpikeEvents, w: &[f32], n: usize, out: &mut [f32]) {
    let (steps, batch, k) = (x.steps, x.batch, x.k);
    assert_eq!((w.len(), out.len()), (k * n, steps * batch * n), "shapes");
    let shared = SharedOut::new(out, &mut []);
    (0..batch).into_par_iter().for_each(|b| {
        let local = scatter_item(x, b, w, n);
        for t in 0..steps {
            // SAFETY: item `b` writes only its own rows (t, b), which no other task touches.
            let row = unsafe { shared.rows((t * batch + b) * n, n).0 };
            for (c, chunk) in row.chunks_mut(BLOCK).enumerate() {
                let start = (c * steps + t) * BLOCK;
                chunk.copy_from_slice(&local[start..start + chunk.len()]);
            }
        }
    });
}

simd_kernel! {
    /// One batch item's `out[·, b]`, block-major `[N/64][T][64]`.
    fn scatter_item(x: &SpikeEvents, b: usize, w: &[f32], n: usize) -> Vec<f32> {
        let steps = x.steps;
        let blocks = n.div_ceil(BLOCK);
        let mut local = vec![0.0f32; blocks * steps * BLOCK];
        for (c, block) in local.chunks_exact_mut(steps * BLOCK).enumerate() {
            let lo = c * BLOCK;
            let width = BLOCK.min(n - lo);
            for i in 0..x.k {
                let (times, first) = x.of(b, i);
                if times.is_empty() {
                    continue;
                }
                let mut wb = [0.0f32; BLOCK];
                wb[..width].copy_from_slice(&w[i * n + lo..i * n + lo + width]);
                if x.values.is_empty() {
                    for &t in times {
                        let t = t as usize;
                        let dst: &mut [f32; BLOCK] = (&mut block[t * BLOCK..(t + 1) * BLOCK])
                            .try_into()
                            .expect("block");
                        add_block(dst, &wb);
                    }
                } else {
                    for (j, &t) in times.iter().enumerate() {
                        let (t, v) = (t as usize, x.value(first + j));
                        for (d, w) in block[t * BLOCK..(t + 1) * BLOCK].iter_mut().zip(&wb) {
                            *d += v * *w;
                        }
                    }
                }
            }
        }
        local
    }
}

/// `dst += src` over one block (fixed length, so it compiles to straight vector code).
#[inline(always)]
fn add_block(dst: &mut [f32; BLOCK], src: &[f32; BLOCK]) {
    for q in 0..BLOCK {
        dst[q] += src[q];
    }
}

/// `dw[K, N] = Σ_{t,b} x[t, b, :]ᵀ · g[t, b, :]` for spikes `x` given by their events and
/// `g [T, B, N]`: for every `(b, i)`, the rows `g[t, b]` at its steps are summed in registers and
/// added to `dw[i]` once. Batch items are split among threads with private `dw` buffers; each
/// item's rows of `g` are first copied block-major (see [`events_matmul`]).
pub fn events_weight_grad(x: &SpikeEvents, g: &[f32], n: usize) -> Vec<f32> {
    let (steps, batch, k) = (x.steps, x.batch, x.k);
    assert_eq!(g.len(), steps * batch * n, "g is not [T, B, N]");
    let parts = rayon::current_num_threads().clamp(1, batch.max(1));
    let items_per_part = batch.div_ceil(parts).max(1);
    let partials: Vec<Vec<f32>> = (0..batch.div_ceil(items_per_part))
        .into_par_iter()
        .map(|p| {
            let mut dw = vec![0.0f32; k * n];
            let mut local = vec![0.0f32; n.div_ceil(BLOCK) * steps * BLOCK];
            for b in p * items_per_part..((p + 1) * items_per_part).min(batch) {
                for t in 0..steps {
                    let row = &g[(t * batch + b) * n..(t * batch + b + 1) * n];
                    for (c, chunk) in row.chunks(BLOCK).enumerate() {
                        let start = (c * steps + t) * BLOCK;
                        local[start..start + chunk.len()].copy_from_slice(chunk);
                    }
                }
                gather_item(x, b, &local, n, &mut dw);
            }
            dw
        })
        .collect();
    let mut parts = partials.into_iter();
    let mut total = parts.next().unwrap_or_else(|| vec![0.0; k * n]);
    for part in parts {
        for (t, p) in total.iter_mut().zip(&part) {
            *t += *p;
        }
    }
    total
}

simd_kernel! {
    /// Adds item `b`'s contribution to `dw`; `local` holds its `g` rows block-major.
    fn gather_item(x: &SpikeEvents, b: usize, local: &[f32], n: usize, dw: &mut [f32]) {
        let steps = x.steps;
        for (c, block) in local.chunks_exact(steps * BLOCK).enumerate() {
            let lo = c * BLOCK;
            let width = BLOCK.min(n - lo);
            for i in 0..x.k {
                let (times, first) = x.of(b, i);
                if times.is_empty() {
                    continue;
                }
                let mut acc = [0.0f32; BLOCK];
                if x.values.is_empty() {
                    for &t in times {
                        let t = t as usize;
                        let src: &[f32; BLOCK] =
                            block[t * BLOCK..(t + 1) * BLOCK].try_into().expect("block");
                        add_block(&mut acc, src);
                    }
                } else {
                    for (j, &t) in times.iter().enumerate() {
                        let (t, v) = (t as usize, x.value(first + j));
                        for (a, s) in acc.iter_mut().zip(&block[t * BLOCK..(t + 1) * BLOCK]) {
                            *a += v * *s;
                        }
                    }
                }
                for (d, a) in dw[i * n + lo..i * n + lo + width].iter_mut().zip(&acc) {
                    *d += *a;
                }
            }
        }
    }
}
