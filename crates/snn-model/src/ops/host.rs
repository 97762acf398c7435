//! Host (CPU) kernels on plain slices: the fused LIF scan, the event-driven (sparse) spike
//! matmul and the Poisson encoder. [`super::generic`] and [`super::flex`] run them on tensors.
//!
//! Layout: time-major `[T, B, N]`, contiguous. Work is split across batch items with rayon; each
//! item runs its `T` steps sequentially with the `N` neurons as the (vectorisable) inner loop.
//! The arithmetic is written in the same order as the tensor reference in [`crate::lif`], so the
//! forward pass is bit-identical to it.

use rayon::prelude::*;

use super::scan_params::{LifScanParams, Reset};
use crate::surrogate::Surrogate;

use super::simd::simd_kernel;

/// Forward LIF recurrence for every `(b, n)` over `t = 0..T`, from `u[-1] = 0`, `s[-1] = 0`:
///
/// - subtract: `u[t] = β·u[t-1] + I[t] − θ·s[t-1]`
/// - zero:     `u[t] = β·u[t-1]·(1 − s[t-1]) + I[t]`
/// - `s[t] = H(u[t] − θ)`
///
/// Writes `spikes[t]` and `membrane[t] = u[t]`.
pub fn lif_forward(
    current: &[f32],
    beta: &[f32],
    [t_len, batch, n]: [usize; 3],
    params: LifScanParams,
    spikes: &mut [f32],
    membrane: &mut [f32],
) {
    assert_eq!(current.len(), t_len * batch * n, "current is not [T, B, N]");
    assert_eq!(beta.len(), n, "beta must have one entry per neuron");
    let theta = params.threshold;
    let stride = batch * n;
    let out = SharedOut::new(spikes, membrane);
    (0..batch).into_par_iter().for_each(|b| {
        let mut u = vec![0.0f32; n];
        let mut s = vec![0.0f32; n];
        for t in 0..t_len {
            let off = t * stride + b * n;
            // SAFETY: every (t, b) row [off, off + n) is written by exactly one task.
            let (sp, mem) = unsafe { out.rows(off, n) };
            lif_forward_row(
                &current[off..off + n],
                beta,
                theta,
                params.reset,
                &mut u,
                &mut s,
            );
            mem.copy_from_slice(&u);
            sp.copy_from_slice(&s);
        }
    });
}

simd_kernel! {
    /// One step of [`lif_forward`] for one batch item: `u`, `s` hold step `t-1` on entry.
    fn lif_forward_row(input: &[f32], beta: &[f32], theta: f32, reset: Reset, u: &mut [f32], s: &mut [f32]) {
        let n = u.len();
        let (input, beta, s) = (&input[..n], &beta[..n], &mut s[..n]);
        match reset {
            Reset::Subtract => {
                for j in 0..n {
                    u[j] = beta[j] * u[j] + input[j] - theta * s[j];
                }
            }
            Reset::Zero => {
                for j in 0..n {
                    u[j] = beta[j] * u[j] * (1.0 - s[j]) + input[j];
                }
            }
        }
        for j in 0..n {
            s[j] = if u[j] - theta > 0.0 { 1.0 } else { 0.0 };
        }
    }
}

/// Backward pass through time of [`lif_forward`]. With `a[t] = dL/du[t]` (and `a[T] = 0`):
///
/// - subtract: `a[t] = (g[t] − θ·a[t+1]·[!detach])·σ'(u[t] − θ) + β·a[t+1]`
/// - zero:     `a[t] = (g[t] − β·u[t]·a[t+1]·[!detach])·σ'(u[t] − θ) + β·(1 − s[t])·a[t+1]`
///
/// `dL/dI[t] = a[t]` is written to `grad_current`; the return value is
/// `dL/dβ[n] = Σ_{t,b} a[t]·u[t-1]` (subtract) or `Σ a[t]·u[t-1]·(1 − s[t-1])` (zero).
pub fn lif_backward(
    grad_spikes: &[f32],
    membrane: &[f32],
    beta: &[f32],
    [t_len, batch, n]: [usize; 3],
    params: LifScanParams,
    grad_current: &mut [f32],
) -> Vec<f32> {
    assert_eq!(
        grad_spikes.len(),
        t_len * batch * n,
        "grad is not [T, B, N]"
    );
    assert_eq!(
        membrane.len(),
        grad_spikes.len(),
        "membrane is not [T, B, N]"
    );
    assert_eq!(beta.len(), n, "beta must have one entry per neuron");
    let theta = params.threshold;
    let surrogate = params.surrogate;
    let reset_grad = if params.detach_reset { 0.0 } else { 1.0 };
    let stride = batch * n;
    let out = SharedOut::new(grad_current, &mut []);
    let per_item: Vec<Vec<f32>> = (0..batch)
        .into_par_iter()
        .map(|b| {
            let mut a_next = vec![0.0f32; n];
            let mut grad_beta = vec![0.0f32; n];
            let mut sg = vec![0.0f32; n];
            for t in (0..t_len).rev() {
                let off = t * stride + b * n;
                // SAFETY: every (t, b) row is written by exactly one task.
                let (gi, _) = unsafe { out.rows(off, n) };
                let row = BackwardRow {
                    g: &grad_spikes[off..off + n],
                    u: &membrane[off..off + n],
                    prev: (t > 0).then(|| &membrane[off - stride..off - stride + n]),
                    beta,
                    theta,
                    reset_grad,
                };
                lif_backward_row(
                    &row,
                    surrogate,
                    params.reset,
                    &mut sg,
                    &mut a_next,
                    gi,
                    &mut grad_beta,
                );
            }
            grad_beta
        })
        .collect();
    let mut total = vec![0.0f32; n];
    for row in per_item {
        for (acc, v) in total.iter_mut().zip(row) {
            *acc += v;
        }
    }
    total
}

simd_kernel! {
    /// One step of [`lif_backward`] for one batch item.
    fn lif_backward_row<'a>(
        row: &BackwardRow<'a>,
        surrogate: Surrogate,
        reset: Reset,
        sg: &mut [f32],
        a_next: &mut [f32],
        gi: &mut [f32],
        grad_beta: &mut [f32],
    ) {
        surrogate_row(surrogate, row.u, row.theta, sg);
        row.step(reset, sg, a_next, gi, grad_beta);
    }
}

/// One `(t, b)` row of the backward pass.
struct BackwardRow<'a> {
    g: &'a [f32],
    u: &'a [f32],
    prev: Option<&'a [f32]>,
    beta: &'a [f32],
    theta: f32,
    reset_grad: f32,
}

impl BackwardRow<'_> {
    /// `a_next` holds `a[t+1]` on entry and `a[t]` on return; `a[t]` is also written to `gi`.
    #[inline(always)]
    fn step(
        &self,
        reset: Reset,
        sg: &[f32],
        a_next: &mut [f32],
        gi: &mut [f32],
        grad_beta: &mut [f32],
    ) {
        let (theta, rg) = (self.theta, self.reset_grad);
        let n = gi.len();
        let (g, u, beta) = (&self.g[..n], &self.u[..n], &self.beta[..n]);
        let (sg, a_next) = (&sg[..n], &mut a_next[..n]);
        match reset {
            Reset::Subtract => {
                for j in 0..n {
                    gi[j] = (g[j] - rg * theta * a_next[j]) * sg[j] + beta[j] * a_next[j];
                }
            }
            Reset::Zero => {
                for j in 0..n {
                    let s = if u[j] - theta > 0.0 { 1.0 } else { 0.0 };
                    gi[j] = (g[j] - rg * beta[j] * u[j] * a_next[j]) * sg[j]
                        + beta[j] * (1.0 - s) * a_next[j];
                }
            }
        }
        if let Some(prev) = self.prev {
            let (prev, grad_beta) = (&prev[..n], &mut grad_beta[..n]);
            match reset {
                Reset::Subtract => {
                    for j in 0..n {
                        grad_beta[j] += gi[j] * prev[j];
                    }
                }
                Reset::Zero => {
                    for j in 0..n {
                        let s_prev = if prev[j] - theta > 0.0 { 1.0 } else { 0.0 };
                        grad_beta[j] += gi[j] * (prev[j] * (1.0 - s_prev));
                    }
                }
            }
        }
        a_next.copy_from_slice(gi);
    }
}

/// `out[j] = σ'(u[j] − θ)` for one row, in a form the compiler vectorises (no libm calls).
#[inline(always)]
fn surrogate_row(surrogate: Surrogate, u: &[f32], theta: f32, out: &mut [f32]) {
    let u = &u[..out.len()];
    match surrogate {
        Surrogate::Sigmoid { slope } => {
            for (o, &u) in out.iter_mut().zip(u) {
                let e = exp_nonpositive(-slope * (u - theta).abs());
                let d = 1.0 + e;
                *o = slope * e / (d * d);
            }
        }
        Surrogate::FastSigmoid { slope } => {
            for (o, &u) in out.iter_mut().zip(u) {
                let d = 1.0 + slope * (u - theta).abs();
                *o = 1.0 / (d * d);
            }
        }
        Surrogate::Atan { alpha } => {
            let c = std::f32::consts::FRAC_PI_2 * alpha;
            for (o, &u) in out.iter_mut().zip(u) {
                let y = c * (u - theta);
                *o = (alpha / 2.0) / (1.0 + y * y);
            }
        }
    }
}

/// `exp(x)` for `x ≤ 0` to about 2 ulp without a libm call (Cephes' `expf` polynomial with
/// Cody–Waite range reduction), so loops over it vectorise. Inputs below −87 give `exp(−87)`.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    let x = x.clamp(-87.0, 0.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    y * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Two output buffers that parallel tasks write in disjoint rows.
struct SharedOut {
    first: *mut f32,
    second: *mut f32,
    first_len: usize,
    second_len: usize,
}

// SAFETY: tasks only write disjoint ranges (checked by `rows`' bounds assertions and the callers'
// row partition), and the borrow of the buffers outlives every task (rayon joins before return).
unsafe impl Sync for SharedOut {}
unsafe impl Send for SharedOut {}

impl SharedOut {
    fn new(first: &mut [f32], second: &mut [f32]) -> Self {
        Self {
            first: first.as_mut_ptr(),
            second: second.as_mut_ptr(),
            first_len: first.len(),
            second_len: second.len(),
        }
    }

    /// Row `[off, off + len)` of both buffers (an empty slice where a buffer is empty).
    ///
    /// # Safety
    /// No two live calls may overlap in range.
    #[allow(clippy::mut_from_ref)]
    unsafe fn rows(&self, off: usize, len: usize) -> (&mut [f32], &mut [f32]) {
        assert!(off + len <= self.first_len);
        let first = unsafe { std::slice::from_raw_parts_mut(self.first.add(off), len) };
        let second = if self.second_len == 0 {
            &mut []
        } else {
            assert!(off + len <= self.second_len);
            unsafe { std::slice::from_raw_parts_mut(self.second.add(off), len) }
        };
        (first, second)
    }
}

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
        out.len() <= super::MAX_SPIKE_SLOTS,
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
    (h >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// A 32-bit integer hash with good avalanche (Wellons' `lowbias32`).
#[inline(always)]
fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}
