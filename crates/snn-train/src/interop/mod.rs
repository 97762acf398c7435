//! Runs to and from other tools: `snn-train export` writes a trained run as a NIR graph
//! ([`nir_export`]) or as safetensors with PyTorch names ([`safetensors`]); `snn-train import`
//! builds a run directory from a NIR file ([`nir_import`]); [`weights`] holds the layouts they
//! share. Files are written whole through a temporary file and never replace an existing one; a
//! run directory is made only when the import succeeded.

pub mod nir_export;
pub mod nir_import;
pub mod safetensors;
pub mod weights;

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::interop::nir_import::ImportOptions;
use crate::platform::backend::BackendChoice;
use crate::run::Run;
use crate::run::dir::check_new_run_dir;
use crate::run::{CONFIG_FILE, MODEL_FILE, save_weights, write_atomic};

/// File formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// NIR graph (HDF5), read by snnTorch, Norse, SpikingJelly, Sinabs, Rockpool, Lava and
    /// neuromorphic hardware toolchains.
    Nir,
    /// Weights with PyTorch names and layouts.
    Safetensors,
}

fn refuse_existing(out: &Path) -> Result<()> {
    if out.exists() {
        bail!(
            "{} already exists: export never replaces a file; choose another name or delete it",
            out.display()
        );
    }
    Ok(())
}

/// Writes the run in `run_dir` to `out`; returns warnings (what the format cannot express).
pub fn export(run_dir: &Path, format: ExportFormat, dt: f64, out: &Path) -> Result<Vec<String>> {
    refuse_existing(out)?;
    let backend = BackendChoice::Flex.resolve()?;
    let run = Run::open(run_dir, &backend.device)?;
    let snn = &run.model.snn;
    let (bytes, warnings) = match format {
        ExportFormat::Nir => {
            let export = crate::interop::nir_export::export(snn, dt)
                .with_context(|| format!("cannot export {} to NIR", run_dir.display()))?;
            let bytes = snn_nir::to_bytes(&export.graph).context("cannot encode the NIR file")?;
            (bytes, export.warnings)
        }
        ExportFormat::Safetensors => (crate::interop::safetensors::export(snn)?, Vec::new()),
    };
    write_atomic(out, &bytes)?;
    Ok(warnings)
}

/// Builds the run directory `out` from the NIR file `input`.
pub fn import(input: &Path, out: &Path, options: &ImportOptions) -> Result<()> {
    check_new_run_dir(out)?;
    let graph = crate::interop::nir_import::read_graph(input)?;
    let backend = BackendChoice::Flex.resolve()?;
    let (config, model) = crate::interop::nir_import::import(&graph, options, &backend.device)
        .with_context(|| format!("cannot import {}", input.display()))?;
    let created = !out.exists();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let written = save_weights(&model, &out.join(MODEL_FILE))
        .and_then(|()| write_atomic(&out.join(CONFIG_FILE), config.to_toml().as_bytes()));
    if written.is_err() && created {
        // No half-made run directory: it was ours, and holds nothing else.
        let _ = std::fs::remove_dir_all(out);
    }
    written
}
