//! `snn-train sweep`: the accuracy–energy trade-off as a result.
//!
//! Trains variants of one config — time steps × input encoders × firing-rate penalty weights —
//! and the same layers as an ANN (`[model] ann = true`: ReLU, one step, direct input, trained
//! first with the same data, epochs and optimiser), within a time budget; measures each run with
//! `report` on the test images; and writes into the sweep directory
//! - one run directory per point (`ann`, `t10-poisson-s0`, …, each a normal run);
//! - `sweep.csv`: one row per run: steps, encoder, penalty weight, validation accuracy (of the
//!   run's kept epoch, what the runs are ranked on), test accuracy (measured once per run), SynOps
//!   and dense MACs per inference, estimated energy per inference (nJ), the ANN's, their ratio,
//!   seconds, and whether the run is on the Pareto front;
//! - `pareto.png` / `pareto.svg`: validation accuracy against estimated energy per inference,
//!   each SNN run a point, the Pareto front (runs that no other run beats on both accuracy and
//!   energy) a line, the ANN a point of its own.
//!
//! With a time budget, the first point always runs and a later one is not started when the time
//! spent plus the longest run so far would pass the budget; after Ctrl-C (which stops the run in
//! progress after its batch) no point is started. The points left out are listed at the end,
//! never silently dropped. A budget of zero, which would allow no run, is refused.
//!
//! A sweep bigger than one machine ([`distributed`]): `--plan FILE` writes the points' configs and
//! one `snn-train` command per point for any batch system to run, and `--collect` builds
//! `sweep.csv` and the figure from the finished run directories.

pub mod distributed;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use snn_model::{EncoderConfig, ReadoutConfig};
use snn_plot::Series;

use crate::analysis::energy::EnergyCosts;
use crate::analysis::report::report;
use crate::config::RunConfig;
use crate::config::sparsity::SparsityConfig;
use crate::platform::backend::Backend;
use crate::platform::memory::{Phase, check_memory};
use crate::run::write_atomic;
use crate::run::{Run, RunSummary};
use crate::train::{RunTarget, TrainRequest, train};

/// What to sweep.
pub struct SweepRequest {
    pub base: RunConfig,
    /// Where `base` came from, for messages.
    pub base_origin: String,
    pub backend: Backend,
    pub data_dir: PathBuf,
    /// New or empty directory for the sweep.
    pub out: PathBuf,
    pub steps: Vec<usize>,
    pub encoders: Vec<String>,
    pub sparsity_weights: Vec<f64>,
    /// No point starts that would likely end after it (`None`: every point runs).
    pub budget: Option<Duration>,
    /// Test images each run's energy is measured on.
    pub report_images: usize,
}

/// One trained and measured run.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    pub name: String,
    /// Time steps (1 for the ANN).
    pub steps: usize,
    pub encoder: String,
    pub sparsity_weight: f64,
    /// The kept epoch's validation accuracy (NaN when the run validated on the test set).
    pub valid_accuracy: f64,
    pub test_accuracy: f64,
    pub synops: f64,
    pub dense_macs: f64,
    pub energy_nj: f64,
    pub ann_energy_nj: f64,
    pub seconds: f64,
    pub ann: bool,
}

/// Indices of the points on the Pareto front of `(energy, accuracy)` (lower energy and higher
/// accuracy are better), ordered by energy: a point is on the front when no other point has at
/// most its energy and a higher accuracy, or less energy and the same accuracy.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[b].1.total_cmp(&points[a].1))
    });
    let mut front = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for i in order {
        if points[i].1 > best {
            best = points[i].1;
            front.push(i);
        }
    }
    front
}

/// The configs of the sweep, named: the ANN first, then steps × encoders × penalty weights.
pub fn plan(req: &SweepRequest) -> Result<Vec<(String, RunConfig)>> {
    if req.steps.is_empty() || req.encoders.is_empty() || req.sparsity_weights.is_empty() {
        bail!("--steps, --encoders and --sparsity each need at least one value");
    }
    if req.budget == Some(Duration::ZERO) {
        bail!(
            "--budget 0s allows no run; give a longer budget (e.g. 30m), or none to run every point"
        );
    }
    if let Some(w) = req
        .sparsity_weights
        .iter()
        .find(|w| !(w.is_finite() && **w >= 0.0))
    {
        bail!("--sparsity {w}: a penalty weight must be a finite number ≥ 0 (0: no penalty)");
    }
    let mut out = Vec::new();
    let mut ann = req.base.clone();
    ann.model.ann = true;
    ann.model.steps = 1;
    ann.model.encoder = EncoderConfig::Direct {};
    ann.model.readout = ReadoutConfig::Membrane { beta: None };
    ann.train.sparsity = None;
    out.push(("ann".to_string(), ann));
    let layers = req
        .base
        .train
        .sparsity
        .as_ref()
        .and_then(|s| s.layers.clone());
    for &steps in &req.steps {
        for encoder in &req.encoders {
            for &weight in &req.sparsity_weights {
                let mut config = req.base.clone();
                config.model.ann = false;
                config.model.steps = steps;
                config.model.encoder =
                    (encoder.parse()).map_err(|e| anyhow::anyhow!("--encoders: {e}"))?;
                config.train.sparsity = (weight > 0.0).then(|| SparsityConfig {
                    weight,
                    target: None,
                    layers: layers.clone(),
                });
                out.push((format!("t{steps}-{encoder}-s{weight}"), config));
            }
        }
    }
    if let Some(i) = (1..out.len()).find(|&i| out[..i].iter().any(|(n, _)| *n == out[i].0)) {
        bail!(
            "--steps, --encoders, --sparsity: the point {} comes twice; give each value once",
            out[i].0
        );
    }
    // Every point is checked before the first one trains, so a sweep never stops half-way on a
    // setting it could have refused at the start.
    for (name, config) in &out {
        let context = || format!("sweep point {name} (from {})", req.base_origin);
        config.validate().with_context(context)?;
        check_memory(
            &config.model,
            config.train.batch_size,
            Phase::Training,
            "train.batch_size",
        )
        .with_context(context)?;
    }
    Ok(out)
}

/// Runs the sweep; returns the measured points and the names of those left out by the budget.
pub fn run(req: &SweepRequest) -> Result<(Vec<SweepPoint>, Vec<String>)> {
    let planned = plan(req)?;
    if req.out.exists() && std::fs::read_dir(&req.out)?.next().is_some() {
        bail!(
            "--out {}: the directory is not empty; give a new or empty directory for the sweep",
            req.out.display()
        );
    }
    std::fs::create_dir_all(&req.out)
        .with_context(|| format!("cannot create {}", req.out.display()))?;
    let start = Instant::now();
    let mut longest = Duration::ZERO;
    let mut points = Vec::new();
    let mut left_out = Vec::new();
    let total = planned.len();
    for (i, (name, config)) in planned.into_iter().enumerate() {
        let over_budget = req
            .budget
            .is_some_and(|budget| i > 0 && start.elapsed() + longest > budget);
        if over_budget || crate::train::ctrl_c_pressed() {
            left_out.push(name);
            continue;
        }
        let spent = match req.budget {
            Some(budget) => format!(
                "{:.0} s of the {:.0} s budget spent",
                start.elapsed().as_secs_f64(),
                budget.as_secs_f64()
            ),
            None => format!("{:.0} s spent", start.elapsed().as_secs_f64()),
        };
        eprintln!("sweep: run {}/{total} {name} ({spent})", i + 1);
        let began = Instant::now();
        let point = train_and_measure(req, name, config)?;
        longest = longest.max(began.elapsed());
        points.push(point);
    }
    write_results(&req.out, &points)?;
    Ok((points, left_out))
}

fn train_and_measure(req: &SweepRequest, name: String, config: RunConfig) -> Result<SweepPoint> {
    let dir = req.out.join(&name);
    let began = Instant::now();
    let trained = train(TrainRequest {
        config,
        config_origin: format!("{} ({name})", req.base_origin),
        backend: req.backend.clone(),
        data_dir: req.data_dir.clone(),
        target: RunTarget::Out(dir.clone()),
        workers: 0,
        data_path: None,
        init_from: None,
        replicas: Vec::new(),
    })?;
    let run = Run::open(&dir, &req.backend.device)?;
    let mut point = measure(
        &run,
        name,
        &trained.summary,
        &req.data_dir,
        req.report_images,
    )?;
    drop(trained.lock);
    point.seconds = began.elapsed().as_secs_f64();
    Ok(point)
}

/// The point of a finished run: its settings, its kept epoch's validation accuracy and its test
/// accuracy (from `summary`), and its energy measured with `report` on `images` test images;
/// `seconds` is the run's training time.
pub fn measure(
    run: &Run,
    name: String,
    summary: &RunSummary,
    data_dir: &Path,
    images: usize,
) -> Result<SweepPoint> {
    let config = &run.config;
    let (steps, ann) = (config.model.steps, config.model.ann);
    let test = run.test_data(data_dir, config.train.test_limit)?;
    let measured = report(run, &test, images, EnergyCosts::default())?;
    let e = &measured.energy;
    Ok(SweepPoint {
        name,
        steps,
        encoder: match ann {
            true => "ann".into(),
            false => config.model.encoder.kind().to_string(),
        },
        sparsity_weight: config.train.sparsity.as_ref().map_or(0.0, |s| s.weight),
        valid_accuracy: summary.valid_accuracy.unwrap_or(f64::NAN),
        test_accuracy: summary.test_accuracy,
        synops: e.synops_per_inference,
        dense_macs: e.snn_dense_macs_per_inference,
        energy_nj: match ann {
            true => e.ann_energy_pj / 1e3,
            false => e.snn_energy_pj / 1e3,
        },
        ann_energy_nj: e.ann_energy_pj / 1e3,
        seconds: summary.wall_seconds,
        ann,
    })
}

/// Writes `sweep.csv` and the Pareto figure.
pub fn write_results(out: &Path, points: &[SweepPoint]) -> Result<()> {
    let snn: Vec<&SweepPoint> = points.iter().filter(|p| !p.ann).collect();
    let coords: Vec<(f64, f64)> = snn
        .iter()
        .map(|p| (p.energy_nj, p.valid_accuracy))
        .collect();
    let front = pareto_front(&coords);
    let mut csv = String::from(
        "name,steps,encoder,sparsity_weight,valid_accuracy,test_accuracy,synops_per_inference,\
         dense_macs_per_inference,energy_nj,ann_energy_nj,energy_ratio,seconds,pareto\n",
    );
    for p in points {
        let on_front = snn
            .iter()
            .position(|q| q.name == p.name)
            .is_some_and(|i| front.contains(&i));
        csv.push_str(&format!(
            "{},{},{},{},{:.2},{:.2},{:.0},{:.0},{:.2},{:.2},{:.4},{:.1},{}\n",
            p.name,
            p.steps,
            p.encoder,
            p.sparsity_weight,
            p.valid_accuracy,
            p.test_accuracy,
            p.synops,
            p.dense_macs,
            p.energy_nj,
            p.ann_energy_nj,
            p.energy_nj / p.ann_energy_nj,
            p.seconds,
            on_front
        ));
    }
    write_atomic(&out.join("sweep.csv"), csv.as_bytes())?;
    let mut series = vec![Series {
        name: "SNN runs".into(),
        points: coords.clone(),
        markers_only: true,
    }];
    series.push(Series {
        name: "Pareto front of the SNN runs".into(),
        points: front.iter().map(|&i| coords[i]).collect(),
        markers_only: false,
    });
    if let Some(ann) = points.iter().find(|p| p.ann) {
        series.push(Series {
            name: "ANN, same layers".into(),
            points: vec![(ann.energy_nj, ann.valid_accuracy)],
            markers_only: false,
        });
    }
    snn_plot::line_chart(
        &out.join("pareto"),
        "Validation accuracy vs estimated energy per inference",
        "energy per inference (nJ, 45 nm arithmetic)",
        "validation accuracy (%)",
        &series,
    )?;
    Ok(())
}
