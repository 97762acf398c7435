//! The fused LIF scan on host memory: [`lif_forward`] and [`lif_backward`] (equations on each).

use rayon::prelude::*;

use super::SharedOut;
use crate::ops::scan_params::{LifScanParams, Reset};
use crate::ops::simd::simd_kernel;
use crate::ops::surrogate::Surrogate;

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
        surrogate.derivative_row(row.u, row.theta, sg);
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
