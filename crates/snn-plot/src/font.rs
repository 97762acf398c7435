//! The bundled font. plotters is built without its `ttf` feature (which would use fontconfig and
//! the system's fonts); its `ab_glyph` text backend only knows the fonts registered here, so the
//! figures render identically on a fresh machine with no fonts installed.

use std::sync::OnceLock;

/// Family name every figure uses for its text (plotters' `FontFamily::SansSerif`).
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers DejaVu Sans (bytes compiled into the binary by the `dejavu` crate) as
/// [`FAMILY`]. Idempotent and thread-safe; the result of the first call is remembered.
pub(crate) fn ensure_registered() -> Result<(), &'static str> {
    static REGISTERED: OnceLock<Result<(), &'static str>> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        plotters::style::register_font(
            FAMILY,
            plotters::style::FontStyle::Normal,
            dejavu::sans::regular(),
        )
        .map_err(|_| "the bundled DejaVu Sans font could not be parsed")
    })
}
