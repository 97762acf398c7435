//! `cargo xtask gpu-bundle OUT`: everything a one-shot GPU check needs, in one directory that
//! runs on an x86-64 NVIDIA machine with only the driver (no Rust, no network):
//!
//! ```text
//! OUT/snn-train.xz     snn-train built with CUDA and wgpu, stripped, xz-compressed
//! OUT/gpu-check.sh     scripts/gpu-check.sh (self-test, bench, bench-layer, one epoch → results.json)
//! OUT/configs/*.toml   the workspace's configs
//! OUT/mnist/*.gz       MNIST, gzipped
//! ```
//!
//! The CUDA build goes through `scripts/setup-cuda.sh` (offline LLVM from PyPI). `--no-cuda`
//! bundles the default build (wgpu and CPU backends only); `--nvrtc` builds CUDA with CubeCL's
//! C++ code generation (the GPU machine then needs the CUDA toolkit's libnvrtc). The bundle must stay under
//! [`MAX_BUNDLE_BYTES`] (the device tool carries at most 64 MiB with the working tree).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use data_fetch::mnist::MNIST_FILES as FILES;

/// Largest bundle accepted.
pub const MAX_BUNDLE_BYTES: u64 = 60 * 1000 * 1000;

pub struct Options {
    pub out: PathBuf,
    pub data: PathBuf,
    pub cuda: bool,
    /// CUDA through NVRTC (`snn-train/cuda-nvrtc`) rather than LLVM → PTX.
    pub nvrtc: bool,
}

pub fn run(root: &Path, options: &Options) -> Result<()> {
    let root = &root.canonicalize()?;
    let out = &options.out;
    check_empty(out)?;
    let sources: Vec<PathBuf> = FILES
        .iter()
        .map(|f| find_data_file(&options.data, f.name))
        .collect::<Result<_>>()?;
    build(root, options)?;

    fs::create_dir_all(out.join("configs"))?;
    fs::create_dir_all(out.join("mnist"))?;
    let binary = root.join("target/release/snn-train");
    let stripped = out.join("snn-train");
    run_tool(
        Command::new("strip").arg("-o").arg(&stripped).arg(&binary),
        "strip",
    )?;
    run_tool(Command::new("xz").args(["-6", "-T0"]).arg(&stripped), "xz")?;
    for (src, file) in sources.iter().zip(FILES) {
        copy_gzipped(src, &out.join("mnist").join(format!("{}.gz", file.name)))?;
    }
    for entry in fs::read_dir(root.join("configs"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().unwrap_or_default();
            fs::copy(&path, out.join("configs").join(name))?;
        }
    }
    fs::copy(root.join("scripts/gpu-check.sh"), out.join("gpu-check.sh"))?;

    let size = dir_bytes(out)?;
    ensure!(
        size <= MAX_BUNDLE_BYTES,
        "{}: the bundle is {:.1} MB, over the {:.0} MB limit",
        out.display(),
        size as f64 / 1e6,
        MAX_BUNDLE_BYTES as f64 / 1e6
    );
    println!(
        "gpu-bundle: {} ({:.1} MB); on the GPU machine run {}/gpu-check.sh [RESULTS_DIR]",
        out.display(),
        size as f64 / 1e6,
        out.display()
    );
    Ok(())
}

/// Refuses an `out` that exists with something in it.
fn check_empty(out: &Path) -> Result<()> {
    let occupied = out.exists()
        && fs::read_dir(out)
            .with_context(|| format!("{}: not a directory one can read", out.display()))?
            .next()
            .is_some();
    if occupied {
        bail!(
            "{}: the directory is not empty; give a new or empty directory for the bundle",
            out.display()
        );
    }
    Ok(())
}

/// `cargo build --release --bin snn-train`, with CUDA (set up offline first) when asked.
fn build(root: &Path, options: &Options) -> Result<()> {
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(root)
        .args(["build", "--release", "--bin", "snn-train"]);
    if options.cuda {
        let status = Command::new(root.join("scripts/setup-cuda.sh"))
            .status()
            .context("running scripts/setup-cuda.sh")?;
        ensure!(status.success(), "scripts/setup-cuda.sh failed");
        let feature = if options.nvrtc {
            "snn-train/cuda-nvrtc"
        } else {
            "snn-train/cuda"
        };
        cargo.args(["--features", feature]);
        // cudarc reads the CUDA version from nvcc at build time; without nvcc, name one that
        // current drivers serve (a newer driver runs code built for an older CUDA).
        if std::env::var_os("CUDARC_CUDA_VERSION").is_none() && !on_path("nvcc") {
            cargo.env("CUDARC_CUDA_VERSION", "12080");
        }
    }
    eprintln!(
        "gpu-bundle: building snn-train{}",
        if options.cuda { " with CUDA" } else { "" }
    );
    ensure!(cargo.status()?.success(), "building snn-train failed");
    Ok(())
}

/// `src` copied to `dest`, gzipped unless it already is.
fn copy_gzipped(src: &Path, dest: &Path) -> Result<()> {
    if src.extension().is_some_and(|e| e == "gz") {
        fs::copy(src, dest)?;
    } else {
        let mut encoder =
            flate2::write::GzEncoder::new(fs::File::create(dest)?, flate2::Compression::default());
        std::io::copy(&mut fs::File::open(src)?, &mut encoder)?;
        encoder.finish()?;
    }
    Ok(())
}

/// `DIR/name` or `DIR/name.gz`.
fn find_data_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        Ok(gz)
    } else if raw.is_file() {
        Ok(raw)
    } else {
        bail!(
            "--data {}: no {name} or {name}.gz; fetch MNIST with `cargo xtask fetch-mnist` or \
             point --data at a directory holding it",
            dir.display()
        )
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

fn run_tool(cmd: &mut Command, name: &str) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("running `{name}` (is it installed?)"))?;
    ensure!(status.success(), "`{name}` failed");
    Ok(())
}

fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
