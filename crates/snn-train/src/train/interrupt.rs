//! Ctrl-C: the first press asks Burn to stop the run in progress after its current batch (its
//! last checkpoint stays, so `--resume` continues it); a second press quits at once. One
//! process-wide handler serves every run of the process (a sweep trains many).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::train::Interrupter;

/// The interrupter of the run being trained, which Ctrl-C stops.
static CURRENT_RUN: Mutex<Option<Interrupter>> = Mutex::new(None);
/// Set by the first Ctrl-C; a second one quits at once.
static PRESSED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed in this process (a sweep then starts no further run).
pub fn ctrl_c_pressed() -> bool {
    PRESSED.load(Ordering::SeqCst)
}

/// Makes Ctrl-C stop `interrupter`'s run (installing the handler on first use).
pub fn stop_on_ctrl_c(interrupter: Interrupter) {
    *CURRENT_RUN.lock().unwrap_or_else(|p| p.into_inner()) = Some(interrupter);
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        if let Err(e) = ctrlc::set_handler(on_ctrl_c) {
            eprintln!("warning: cannot install the Ctrl-C handler: {e}");
        }
    });
}

fn on_ctrl_c() {
    if PRESSED.swap(true, Ordering::SeqCst) {
        std::process::exit(130);
    }
    eprintln!("\nCtrl-C: stopping after the current batch (press again to quit now)");
    if let Some(run) = CURRENT_RUN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        run.stop(Some("Ctrl-C"));
    }
}
