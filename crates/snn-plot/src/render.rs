//! Drawing one figure to both backends and writing the files atomically.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{PlotError, font};

/// What a figure's drawing code returns; plotters' errors are boxed because they are generic
/// over the backend.
pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Corners to give plotters for a filled rectangle covering exactly the half-open pixel span
/// `[x, x + w) × [y, y + h)`: both the bitmap backend (RGB fill) and the SVG backend
/// (`width = x1 - x0`) treat the bottom-right corner as exclusive.
pub(crate) fn pixel_rect(x: u32, y: u32, w: u32, h: u32) -> [(i32, i32); 2] {
    let (x, y, w, h) = (x as i32, y as i32, w as i32, h as i32);
    [(x, y), (x + w, y + h)]
}

/// A figure that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// Image size in pixels (width, height), the same for the PNG and the SVG.
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// The two files a figure function writes for `stem`: `(stem.png, stem.svg)`. A trailing `.png`
/// or `.svg` extension on `stem` is dropped first; any other dot in the name is kept.
pub fn figure_paths(stem: &Path) -> (PathBuf, PathBuf) {
    let stem = match stem.extension().and_then(|e| e.to_str()) {
        Some("png" | "svg") => stem.with_extension(""),
        _ => stem.to_path_buf(),
    };
    (with_suffix(&stem, ".png"), with_suffix(&stem, ".svg"))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A temporary file next to its destination, removed on drop unless renamed into place.
struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    fn beside(dest: &Path, ext: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The name must end in the real extension: plotters picks the encoder from it.
        let tmp = format!(".{name}.{}-{n}.tmp.{ext}", std::process::id());
        TempFile {
            path: Some(dest.with_file_name(tmp)),
        }
    }

    fn path(&self) -> &Path {
        self.path
            .as_deref()
            .expect("temporary file already committed")
    }

    fn commit(mut self, dest: &Path) -> Result<(), PlotError> {
        let tmp = self.path.take().expect("temporary file already committed");
        std::fs::rename(&tmp, dest).map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            PlotError::Io {
                file: dest.to_path_buf(),
                source,
            }
        })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn draw_error(file: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        file: file.to_path_buf(),
        message: e.to_string(),
    }
}

/// Draws `fig` to `stem.png` and `stem.svg` (see the crate docs for the file contract).
/// Both figures are drawn to temporary files first; they are renamed into place only when
/// both succeeded.
pub(crate) fn render(stem: &Path, fig: &impl Figure) -> Result<(), PlotError> {
    let (png, svg) = figure_paths(stem);
    font::ensure_registered().map_err(|message| PlotError::Font {
        file: png.clone(),
        message: message.to_string(),
    })?;
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| PlotError::CreateDir {
            file: dir.to_path_buf(),
            source,
        })?;
    }
    let size = fig.size();

    let png_tmp = TempFile::beside(&png, "png");
    {
        let root = BitMapBackend::new(png_tmp.path(), size).into_drawing_area();
        fig.draw(&root).map_err(|e| draw_error(&png, e))?;
        root.present().map_err(|e| draw_error(&png, e))?;
    }

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        fig.draw(&root).map_err(|e| draw_error(&svg, e))?;
        root.present().map_err(|e| draw_error(&svg, e))?;
    }
    let svg_tmp = TempFile::beside(&svg, "svg");
    std::fs::write(svg_tmp.path(), text).map_err(|source| PlotError::Io {
        file: svg.clone(),
        source,
    })?;

    png_tmp.commit(&png)?;
    svg_tmp.commit(&svg)
}

/// Draws `text` centred at `(x, y)` of `area`.
pub(crate) fn centred_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    (x, y): (i32, i32),
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let style = style.pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (x, y))?;
    Ok(())
}
