//! The run directory and everything that writes or reads it: its files ([`dir`]), writes that
//! are whole or absent ([`atomic`]), the lock of the process writing it ([`lock`]), checkpoint
//! sets ([`checkpoint`]), `metrics.csv` ([`metrics_csv`]), `summary.json` ([`summary`]), the
//! weights ([`weights`]), and a finished run opened for use ([`finished`]).

pub mod atomic;
pub mod checkpoint;
pub mod dir;
pub mod finished;
pub mod lock;
pub mod metrics_csv;
pub mod summary;
pub mod weights;

pub use atomic::write_atomic;
pub use checkpoint::last_checkpoint;
pub use dir::{CHECKPOINT_DIR, CONFIG_FILE, METRICS_FILE, MODEL_FILE, SUMMARY_FILE};
pub use finished::Run;
pub use lock::RunLock;
pub use metrics_csv::{MetricsRow, read_metrics};
pub use summary::RunSummary;
pub use weights::{load_weights, save_weights};
