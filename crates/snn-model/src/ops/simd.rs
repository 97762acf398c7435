//! Kernels compiled three times: for AVX-512 (F, VL) + AVX2 + FMA, for AVX2 + FMA, and for the
//! baseline target, the best one chosen at run time. The workspace builds for baseline x86-64
//! (SSE2), which would limit the kernels' loops to 128-bit vectors; [`simd_kernel!`] gives a
//! function wider copies. Rust never contracts `a·b + c` into an FMA on its own, so every copy
//! computes bit-identical results.
//!
//! `SNN_SIMD=avx2` (or `baseline`) caps the level, for benchmarks of one against the other; any
//! other value is ignored with a warning.

/// Defines `fn $name(args) -> ret { body }` whose body runs compiled for the widest vector
/// extension the CPU has (see the module docs).
macro_rules! simd_kernel {
    ($(#[$meta:meta])* $vis:vis fn $name:ident$(<$lt:lifetime>)?($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name$(<$lt>)?($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body$(<$lt>)?($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                unsafe fn avx512$(<$lt>)?($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2$(<$lt>)?($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                match $crate::ops::simd::level() {
                    // SAFETY: the CPU supports these extensions (checked by `level`).
                    $crate::ops::simd::Level::Avx512 => return unsafe { avx512($($arg),*) },
                    $crate::ops::simd::Level::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::ops::simd::Level::Baseline => {}
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use simd_kernel;

/// The vector extension the kernels run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Baseline,
    Avx2,
    Avx512,
}

/// The widest level this CPU supports, capped by `SNN_SIMD` (`baseline`, `avx2`); detected once.
pub fn level() -> Level {
    static LEVEL: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = match std::env::var("SNN_SIMD").as_deref() {
            Ok("baseline") => Level::Baseline,
            Ok("avx2") => Level::Avx2,
            Ok("avx512") | Err(_) => Level::Avx512,
            Ok(other) => {
                eprintln!(
                    "warning: SNN_SIMD={other:?} is not avx512, avx2 or baseline; ignored (the \
                     widest the CPU has is used)"
                );
                Level::Avx512
            }
        };
        detected().min(cap)
    })
}

#[cfg(target_arch = "x86_64")]
fn detected() -> Level {
    use std::arch::is_x86_feature_detected as has;
    if has!("avx512f") && has!("avx512vl") && has!("avx2") && has!("fma") {
        Level::Avx512
    } else if has!("avx2") && has!("fma") {
        Level::Avx2
    } else {
        Level::Baseline
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detected() -> Level {
    Level::Baseline
}
