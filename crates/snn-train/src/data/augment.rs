//! Training-time image augmentation: a random shift, rotation and scaling per image.
//!
//! Item `n` of a run (counting every item drawn, in order) gets `h = splitmix(seed ^ splitmix(n))`
//! and from it a shift `(dx, dy)` in whole pixels, each in `[−s, s]` (`[train] augment_shift`),
//! an angle `θ` in `[−ρ, ρ]` degrees (`augment_rotate`) and a scale `k` in `[1 − z, 1 + z]`
//! (`augment_scale`), all uniform. The output pixel at row `r`, column `c` is read from the source
//! point
//!
//! ```text
//! (x, y) = centre + R(−θ) · ((c, r) − centre − (dx, dy)) / k,   centre = ((cols−1)/2, (rows−1)/2)
//! ```
//!
//! (the image is scaled by `k` and turned by `θ` about its centre, then moved `dx` columns right
//! and `dy` rows down); a shift alone copies whole pixels ([`shift_image`]), a rotation or scaling
//! interpolates bilinearly ([`warp_image`]). Points outside the image read 0.

/// How much to perturb each training image (all zero: leave images alone).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Augment {
    /// Largest shift in pixels, in x and in y.
    pub shift: usize,
    /// Largest rotation in degrees, either way.
    pub rotate: f64,
    /// Largest relative change of size (0.1: 90% to 110%).
    pub scale: f64,
}

/// One image's draw (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    pub dx: isize,
    pub dy: isize,
    /// Radians, counter-clockwise as the image is viewed (rows downward).
    pub angle: f64,
    pub scale: f64,
}

impl Transform {
    pub const IDENTITY: Self = Self {
        dx: 0,
        dy: 0,
        angle: 0.0,
        scale: 1.0,
    };

    /// Whether pixels must be interpolated (a rotation or scaling), not just moved.
    pub fn warps(&self) -> bool {
        self.angle != 0.0 || self.scale != 1.0
    }
}

impl Augment {
    /// Whether any image is rotated or scaled.
    pub fn warps(&self) -> bool {
        self.rotate > 0.0 || self.scale > 0.0
    }

    /// The transform of the run's item number `n`, drawn from `seed`.
    pub fn draw(&self, seed: u64, n: u64) -> Transform {
        let mut t = Transform::IDENTITY;
        let h = splitmix(seed ^ splitmix(n));
        if self.shift > 0 {
            let (s, span) = (self.shift as isize, 2 * self.shift as u64 + 1);
            t.dx = (h % span) as isize - s;
            t.dy = ((h >> 32) % span) as isize - s;
        }
        if self.warps() {
            let a = splitmix(h ^ 0xA0A0_A0A0_A0A0_A0A0);
            let k = splitmix(a);
            t.angle = self.rotate.to_radians() * symmetric_unit(a);
            t.scale = 1.0 + self.scale * symmetric_unit(k);
        }
        t
    }
}

/// A uniform number in `[−1, 1)` from the top 53 bits of `h`.
fn symmetric_unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// `image` (`rows × cols`) moved by `dx` columns right and `dy` rows down; uncovered pixels 0.
pub fn shift_image(image: &[u8], rows: usize, cols: usize, dx: isize, dy: isize) -> Vec<u8> {
    let mut out = vec![0u8; image.len()];
    for r in 0..rows as isize {
        for c in 0..cols as isize {
            let (sr, sc) = (r - dy, c - dx);
            if (0..rows as isize).contains(&sr) && (0..cols as isize).contains(&sc) {
                out[(r * cols as isize + c) as usize] = image[(sr * cols as isize + sc) as usize];
            }
        }
    }
    out
}

/// `image` (`rows × cols`, intensities 0–255) under transform `t`, sampled bilinearly: the
/// intensities of the output, still on the 0–255 scale.
pub fn warp_image(image: &[u8], rows: usize, cols: usize, t: &Transform) -> Vec<f32> {
    let (cx, cy) = ((cols as f64 - 1.0) / 2.0, (rows as f64 - 1.0) / 2.0);
    let (sin, cos) = (-t.angle).sin_cos();
    let pixel = |r: isize, c: isize| -> f64 {
        if (0..rows as isize).contains(&r) && (0..cols as isize).contains(&c) {
            image[r as usize * cols + c as usize] as f64
        } else {
            0.0
        }
    };
    let mut out = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            let u = (c as f64 - cx - t.dx as f64) / t.scale;
            let v = (r as f64 - cy - t.dy as f64) / t.scale;
            // Rows point down, so a counter-clockwise turn on screen is clockwise in (u, v).
            let x = cx + cos * u + sin * v;
            let y = cy - sin * u + cos * v;
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let top = pixel(y0, x0) * (1.0 - fx) + pixel(y0, x0 + 1) * fx;
            let bottom = pixel(y0 + 1, x0) * (1.0 - fx) + pixel(y0 + 1, x0 + 1) * fx;
            out.push((top * (1.0 - fy) + bottom * fy) as f32);
        }
    }
    out
}

/// SplitMix64's output function.
pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
