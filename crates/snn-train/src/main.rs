//! The `snn-train` binary: parses the command line and runs the command (see
//! [`snn_train::commands`]); an error is one line on stderr and a non-zero exit.

use std::process::ExitCode;

use clap::Parser;
use snn_train::commands::{Cli, run};

/// mimalloc keeps freed pages for reuse: training allocates and frees many multi-megabyte
/// tensors per batch, which with the system allocator cost a page fault per 4 KiB each time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
