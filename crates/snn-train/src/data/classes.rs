//! A data directory's class names (`classes.txt`, one per line in label order, written by the
//! fetch), which go with a run and label its tables and figures.

use std::path::Path;

use anyhow::Result;

/// Class names of a data directory, one per line in label order (written by `cargo xtask
/// fetch-mnist`); optional.
pub const CLASSES_FILE: &str = "classes.txt";

/// The longest class name accepted (they label tables and figures).
pub const MAX_CLASS_NAME_CHARS: usize = 40;

/// The names in `dir`/[`CLASSES_FILE`], if the file exists; a name longer than
/// [`MAX_CLASS_NAME_CHARS`] is an error naming the file and line.
pub fn read_class_names(dir: &Path) -> Result<Option<Vec<String>>> {
    let path = dir.join(CLASSES_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut names = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let name = line.trim();
        let chars = name.chars().count();
        if chars > MAX_CLASS_NAME_CHARS {
            anyhow::bail!(
                "{} line {}: a class name of {chars} characters; names are at most \
                 {MAX_CLASS_NAME_CHARS}, one per line",
                path.display(),
                i + 1
            );
        }
        if !name.is_empty() {
            names.push(name.to_string());
        }
    }
    Ok(Some(names))
}
