use std::path::PathBuf;

/// Everything that can go wrong while drawing a figure. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The data cannot be drawn (empty, inconsistent shapes, zero bins, ...).
    #[error("{}: invalid input: {message}", file.display())]
    InvalidInput { file: PathBuf, message: String },
    /// The output directory could not be created.
    #[error("{}: cannot create directory: {source}", file.display())]
    CreateDir {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing, renaming or removing a file failed.
    #[error("{}: cannot write: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// plotters failed while drawing or encoding the figure.
    #[error("{}: cannot draw: {message}", file.display())]
    Draw { file: PathBuf, message: String },
    /// The bundled font could not be registered with plotters.
    #[error("{}: cannot load font: {message}", file.display())]
    Font { file: PathBuf, message: String },
}
