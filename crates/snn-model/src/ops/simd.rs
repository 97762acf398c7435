//! Kernels compiled twice: for AVX2 + FMA (used when the CPU has them) and for the baseline
//! target. The workspace builds for baseline x86-64 (SSE2), which halves the vector width of the
//! kernels' loops; [`simd_kernel!`] gives a function an AVX2 copy chosen at run time. Rust never
//! contracts `a·b + c` into an FMA on its own, so both copies compute identical results.

/// Defines `fn $name(args) -> ret { body }` whose body runs compiled for AVX2 + FMA when the CPU
/// supports them, and compiled for the baseline target otherwise.
macro_rules! simd_kernel {
    ($(#[$meta:meta])* $vis:vis fn $name:ident$(<$lt:lifetime>)?($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name$(<$lt>)?($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body$(<$lt>)?($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2$(<$lt>)?($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::ops::simd::has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use simd_kernel;

/// Whether this CPU has AVX2 and FMA (cached by `std`).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}
