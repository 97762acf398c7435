//! The spike op's backward on host memory: `grad · σ'(x)` (the surrogate from
//! [`crate::ops::surrogate`]).

use rayon::prelude::*;

use crate::ops::simd::simd_kernel;
use crate::ops::surrogate::Surrogate;

/// Elements per parallel task.
const CHUNK: usize = 16 * 1024;

/// `out[i] = grad[i] · σ'(x[i])`.
pub fn surrogate_grad(x: &[f32], grad: &[f32], surrogate: Surrogate, out: &mut [f32]) {
    assert_eq!((x.len(), grad.len()), (out.len(), out.len()), "shapes");
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(grad.par_chunks(CHUNK)))
        .for_each(|(out, (x, grad))| surrogate_grad_chunk(x, grad, surrogate, out));
}

simd_kernel! {
    fn surrogate_grad_chunk(x: &[f32], grad: &[f32], surrogate: Surrogate, out: &mut [f32]) {
        surrogate.derivative_row(x, 0.0, out);
        for (o, &g) in out.iter_mut().zip(grad) {
            *o *= g;
        }
    }
}
