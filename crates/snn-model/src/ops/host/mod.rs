//! Host (CPU) kernels on plain slices, one file per role: [`lif_scan`] (the fused LIF scan,
//! forward and backward through time), [`events`] (spike trains as events and the event-driven
//! spike matmul), [`poisson`] (the counter-based Poisson encoder), [`spike`] (the spike's
//! surrogate gradient). [`super::host_ops`] runs them on tensors.
//!
//! Layout: time-major `[T, B, N]`, contiguous. Work is split across batch items with rayon; each
//! item runs its `T` steps sequentially with the `N` neurons as the (vectorisable) inner loop.
//! The arithmetic is written in the same order as the tensor reference in [`crate::lif`], so the
//! forward pass is bit-identical to it.

pub mod events;
pub mod lif_scan;
pub mod poisson;
pub mod spike;

pub use events::{SpikeEvents, events_matmul, events_weight_grad};
pub use lif_scan::{lif_backward, lif_forward};
pub use poisson::{poisson_events, poisson_spikes, uniform};
pub use spike::surrogate_grad;

/// Two output buffers that parallel tasks write in disjoint rows.
pub(crate) struct SharedOut {
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
    pub(crate) fn new(first: &mut [f32], second: &mut [f32]) -> Self {
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
    pub(crate) unsafe fn rows(&self, off: usize, len: usize) -> (&mut [f32], &mut [f32]) {
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
