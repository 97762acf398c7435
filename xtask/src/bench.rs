//! `cargo xtask bench`: builds `snn-train` (release) and times full training steps of a config
//! on each backend, each in its own process (so peak RSS is per backend), then prints a table
//! and, last, one `bench backend=… images_per_s=… peak_rss_mb=…` line per run. With `--layer`,
//! also the Open Neuromorphic benchmark layer on each backend (`snn-train bench-layer`:
//! Linear(16384, 16384) → LIF, T = 500, batch 16, forward + backward), one
//! `bench_layer backend=… median_ms=…` line each.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// One `snn-train bench` invocation.
#[derive(Debug, Clone)]
pub struct Run {
    pub backend: String,
    /// Extra `snn-train bench` flags (e.g. `--lif reference --projection dense`).
    pub flags: Vec<String>,
}

impl Run {
    pub fn new(backend: &str, flags: &[&str]) -> Self {
        Self {
            backend: backend.to_string(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
        }
    }
}

/// What to time and how often.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cargo features of the snn-train build (e.g. `cuda`).
    pub features: Vec<String>,
    pub config: String,
    pub data: String,
    pub warmup: usize,
    pub repeats: usize,
    pub batches: usize,
    /// Also time the Open Neuromorphic benchmark layer, this many passes per backend (0: not).
    pub layer_repeats: usize,
    /// A Python with torch and snntorch: also time the peers' training step and print ratios.
    pub peers: Option<String>,
}

pub fn run(root: &Path, runs: &[Run], options: &Options) -> Result<()> {
    eprintln!("building snn-train (release)…");
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["build", "--release", "--quiet", "-p", "snn-train"])
        .args(if options.features.is_empty() {
            Vec::new()
        } else {
            vec!["--features".to_string(), options.features.join(",")]
        })
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building snn-train failed");
    }
    let binary = root.join("target/release/snn-train");
    let mut lines = Vec::new();
    for r in runs {
        eprintln!("timing {} {}…", r.backend, r.flags.join(" "));
        let output = Command::new(&binary)
            .current_dir(root)
            .args([
                "bench",
                "--backend",
                &r.backend,
                "--config",
                &options.config,
                "--data",
                &options.data,
            ])
            .args(["--warmup", &options.warmup.to_string()])
            .args(["--repeats", &options.repeats.to_string()])
            .args(["--batches", &options.batches.to_string()])
            .args(&r.flags)
            .output()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().rev().find(|l| l.starts_with("bench "));
        match (output.status.success(), line) {
            (true, Some(line)) => lines.push(line.to_string()),
            _ => {
                eprintln!("{}", String::from_utf8_lossy(&output.stderr));
                bail!("snn-train bench --backend {} failed", r.backend);
            }
        }
    }
    print_table(&lines);
    for line in &lines {
        println!("{line}");
    }
    if let Some(python) = &options.peers {
        peers(root, python, &lines, options)?;
    }
    if options.layer_repeats > 0 {
        let mut backends: Vec<&str> = runs.iter().map(|r| r.backend.as_str()).collect();
        backends.dedup();
        for backend in backends {
            eprintln!("timing the Open Neuromorphic layer on {backend}…");
            let output = Command::new(&binary)
                .current_dir(root)
                .args(["bench-layer", "--backend", backend])
                .args(["--repeats", &options.layer_repeats.to_string()])
                .output()
                .with_context(|| format!("cannot run {}", binary.display()))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            match stdout.lines().rev().find(|l| l.starts_with("bench_layer ")) {
                Some(line) if output.status.success() => println!("{line}"),
                _ => {
                    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
                    bail!("snn-train bench-layer --backend {backend} failed");
                }
            }
        }
    }
    Ok(())
}

/// Runs bench/peers/peer_step.py for plain PyTorch and snnTorch with the T and batch of our
/// first run, prints their `peer …` lines and our images/s over theirs.
fn peers(root: &Path, python: &str, ours: &[String], options: &Options) -> Result<()> {
    let first = ours.first().context("no run of ours to compare with")?;
    let f = fields(first);
    let (steps, batch) = (f.get("steps").copied(), f.get("batch").copied());
    let (Some(steps), Some(batch)) = (steps, batch) else {
        bail!("the bench line has no steps/batch: {first}");
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut theirs = Vec::new();
    for framework in ["torch", "snntorch"] {
        eprintln!("timing {framework} (bench/peers/peer_step.py)…");
        let output = Command::new(python)
            .current_dir(root)
            .arg("bench/peers/peer_step.py")
            .args(["--framework", framework, "--data", &options.data])
            .args(["--steps", steps, "--batch-size", batch])
            .args(["--threads", &threads.to_string()])
            .args(["--warmup", &options.warmup.to_string()])
            .args(["--repeats", &options.repeats.to_string()])
            .args(["--batches", &options.batches.to_string()])
            .output()
            .with_context(|| format!("cannot run {python}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        match stdout.lines().rev().find(|l| l.starts_with("peer ")) {
            Some(line) if output.status.success() => {
                println!("{line}");
                theirs.push(line.to_string());
            }
            _ => {
                eprintln!("{}", String::from_utf8_lossy(&output.stderr));
                bail!(
                    "bench/peers/peer_step.py --framework {framework} failed (does {python} \
                     have torch and snntorch?)"
                );
            }
        }
    }
    let rate = |line: &str| -> Option<f64> { fields(line).get("images_per_s")?.parse().ok() };
    for line in ours {
        let backend = fields(line).get("backend").copied().unwrap_or("?");
        for peer in &theirs {
            let framework = fields(peer).get("framework").copied().unwrap_or("?");
            if let (Some(a), Some(b)) = (rate(line), rate(peer)) {
                println!("ratio ours={backend} peer={framework} x={:.2}", a / b);
            }
        }
    }
    Ok(())
}

fn fields(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

fn print_table(lines: &[String]) {
    println!(
        "{:<8} {:<9} {:<10} {:>5} {:>5} {:>12} {:>12} {:>12}",
        "backend", "lif", "projection", "T", "batch", "images/s", "eval img/s", "peak RSS MB"
    );
    for line in lines {
        let f = fields(line);
        let get = |k: &str| f.get(k).copied().unwrap_or("?");
        println!(
            "{:<8} {:<9} {:<10} {:>5} {:>5} {:>12} {:>12} {:>12}",
            get("backend"),
            get("lif"),
            get("projection"),
            get("steps"),
            get("batch"),
            get("images_per_s"),
            get("eval_images_per_s"),
            get("peak_rss_mb")
        );
    }
}
