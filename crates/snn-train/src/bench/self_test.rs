//! `snn-train self-test`: does this machine's backend compute what the reference computes?
//!
//! Runs the conformance suites of [`snn_model::conformance`] on the chosen backend (the fused LIF
//! scan against the per-step loop: spikes exactly, gradients within 1e-4 of their scale; the
//! Poisson kernel against the host generator: spikes exactly), then, unless told not to, times
//! the LIF scan alone, fused against reference, at `[T, B, N] = [100, 64, 256]` (the seed
//! config's hidden layer). The report is printed a line per check and can be written as JSON;
//! the command fails when any check fails.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use snn_model::LifImpl;
use snn_model::conformance::{self, Comparison, GradWorst};

use crate::bench::layer::lif_scan_ms;
use crate::platform::backend::Backend;
use crate::run::write_atomic;

/// Shape of the timed LIF scan.
pub const TIMING_SHAPE: [usize; 3] = [100, 64, 256];

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub name: String,
    pub passed: bool,
    pub spike_mismatches: usize,
    pub spike_fraction: f32,
    pub grad_rel_err: Option<f32>,
    /// The gradient element where that error is reached.
    pub grad_worst: Option<GradWorst>,
    /// Why it failed (empty when it passed).
    pub failure: String,
}

impl From<&Comparison> for CheckLine {
    fn from(c: &Comparison) -> Self {
        let verdict = c.verdict();
        CheckLine {
            name: c.name.clone(),
            passed: verdict.is_ok(),
            spike_mismatches: c.spike_mismatches,
            spike_fraction: c.spike_fraction,
            grad_rel_err: c.grad_rel_err,
            grad_worst: c.grad_worst,
            failure: verdict.err().unwrap_or_default(),
        }
    }
}

/// Fused vs reference LIF scan time.
#[derive(Debug, Clone, Serialize)]
pub struct ScanTiming {
    pub shape: [usize; 3],
    pub fused_ms: f64,
    pub reference_ms: f64,
    pub speedup: f64,
}

/// Everything the self-test found.
#[derive(Debug, Clone, Serialize)]
pub struct SelfTestReport {
    pub backend: String,
    pub detail: String,
    pub checks: Vec<CheckLine>,
    pub lif_timing: Option<ScanTiming>,
}

impl SelfTestReport {
    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| !c.passed).count()
    }
}

/// A conformance suite run on one device.
type Suite = fn(&burn::tensor::Device) -> Vec<Comparison>;

/// Runs the suites (and the timing, with `timing`), printing each line as it completes.
pub fn run(backend: &Backend, timing: bool) -> Result<SelfTestReport> {
    let mut checks = Vec::new();
    let suites: [(&str, Suite); 2] = [
        ("lif", conformance::lif_suite),
        ("poisson", conformance::poisson_suite),
    ];
    for (suite, run_suite) in suites {
        eprintln!("self-test: {suite} suite on {}", backend.name);
        for comparison in run_suite(&backend.device) {
            let line = CheckLine::from(&comparison);
            match (line.passed, line.grad_rel_err) {
                (false, _) => println!("FAIL {}", line.failure),
                (true, Some(e)) => println!("ok   {} (gradient error {e:.1e})", line.name),
                (true, None) => println!("ok   {}", line.name),
            }
            checks.push(line);
        }
    }
    let lif_timing = if timing {
        let fused_ms = lif_scan_ms(&backend.device, LifImpl::Fused, TIMING_SHAPE, 10)?;
        let reference_ms = lif_scan_ms(&backend.device, LifImpl::Reference, TIMING_SHAPE, 10)?;
        let t = ScanTiming {
            shape: TIMING_SHAPE,
            fused_ms,
            reference_ms,
            speedup: reference_ms / fused_ms,
        };
        println!(
            "lif scan [T,B,N]={:?} forward+backward: fused {:.2} ms, reference {:.2} ms ({:.1}x)",
            t.shape, t.fused_ms, t.reference_ms, t.speedup
        );
        Some(t)
    } else {
        None
    };
    Ok(SelfTestReport {
        backend: backend.name.to_string(),
        detail: backend.detail.clone(),
        checks,
        lif_timing,
    })
}

/// Writes the report as JSON (atomically: a new file renamed into place).
pub fn write_json(report: &SelfTestReport, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    write_atomic(path, text.as_bytes()).with_context(|| format!("--json {}", path.display()))
}
