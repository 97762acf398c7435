//! A sweep run by other machines: planned here, trained anywhere, collected here.
//!
//! `--plan FILE` writes each point's config into `OUT/configs/<point>.toml`, their order into
//! `OUT/configs/points.txt`, and into FILE one line per point,
//! `snn-train --config OUT/configs/<point>.toml --data DATA --out OUT/<point>`: a plain list that
//! GNU parallel, a Slurm job array or any batch system runs (each machine picks its backend with
//! `--backend auto`, the default). `--collect` then reads `OUT/<point>` for every planned point,
//! refusing by name those not finished (no `summary.json`) and those trained with another config
//! than planned, and writes `sweep.csv` and the Pareto figure as an in-process sweep does.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{SweepPoint, SweepRequest, measure, plan, write_results};
use crate::config::RunConfig;
use crate::platform::backend::Backend;
use crate::run::{CONFIG_FILE, Run, RunSummary, write_atomic};

/// The directory of the planned configs inside the sweep directory.
pub const CONFIGS_DIR: &str = "configs";
/// The points in plan order, one name a line.
pub const POINTS_FILE: &str = "points.txt";

/// Writes the plan of `req` (see the module docs); returns the point names.
pub fn write_plan(req: &SweepRequest, file: &Path) -> Result<Vec<String>> {
    let planned = plan(req)?;
    let configs = req.out.join(CONFIGS_DIR);
    if req.out.exists() && std::fs::read_dir(&req.out)?.next().is_some() {
        bail!(
            "--out {}: the directory is not empty; give a new or empty directory for the sweep",
            req.out.display()
        );
    }
    let mut commands = String::new();
    for (name, _) in &planned {
        let words = [
            "--config".to_string(),
            quote(&configs.join(format!("{name}.toml"))),
            "--data".to_string(),
            quote(&req.data_dir),
            "--out".to_string(),
            quote(&req.out.join(name)),
        ];
        commands.push_str(&format!("snn-train {}\n", words.join(" ")));
    }
    // The plan file first: a FILE that cannot be written leaves no sweep directory behind.
    write_atomic(file, commands.as_bytes())
        .with_context(|| format!("--plan {}", file.display()))?;
    std::fs::create_dir_all(&configs)
        .with_context(|| format!("cannot create {}", configs.display()))?;
    for (name, config) in &planned {
        write_atomic(
            &configs.join(format!("{name}.toml")),
            config.to_toml().as_bytes(),
        )?;
    }
    let names: Vec<String> = planned.into_iter().map(|(n, _)| n).collect();
    write_atomic(
        &configs.join(POINTS_FILE),
        (names.join("\n") + "\n").as_bytes(),
    )?;
    Ok(names)
}

/// Builds `sweep.csv` and the Pareto figure in `out` from its finished points, measured on
/// `backend` with `images` test images of `data_dir`.
pub fn collect(
    out: &Path,
    backend: &Backend,
    data_dir: &Path,
    images: usize,
) -> Result<Vec<SweepPoint>> {
    let names = planned_points(out)?;
    let (mut unfinished, mut mismatched) = (Vec::new(), Vec::new());
    for name in &names {
        let dir = out.join(name);
        if !dir.join(crate::run::SUMMARY_FILE).is_file() {
            unfinished.push(name.as_str());
        } else if !same_config(out, name)? {
            mismatched.push(name.as_str());
        }
    }
    if !unfinished.is_empty() || !mismatched.is_empty() {
        let mut why = Vec::new();
        if !unfinished.is_empty() {
            why.push(format!(
                "not finished (no summary.json): {}",
                unfinished.join(", ")
            ));
        }
        if !mismatched.is_empty() {
            why.push(format!(
                "trained with another config than {}/<point>.toml: {}",
                out.join(CONFIGS_DIR).display(),
                mismatched.join(", ")
            ));
        }
        bail!("--collect {}: {}", out.display(), why.join("; "));
    }
    let mut points = Vec::new();
    for name in names {
        let dir = out.join(&name);
        let run = Run::open(&dir, &backend.device)?;
        let summary = RunSummary::load(&dir)?;
        points.push(measure(&run, name, &summary, data_dir, images)?);
    }
    write_results(out, &points)?;
    Ok(points)
}

/// The points of the plan in `out`, in order.
fn planned_points(out: &Path) -> Result<Vec<String>> {
    let file = out.join(CONFIGS_DIR).join(POINTS_FILE);
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "--collect {}: no {} there; is it a directory written by `sweep --plan`?",
            out.display(),
            file.display()
        )
    })?;
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// Whether point `name` was trained with the config planned for it.
fn same_config(out: &Path, name: &str) -> Result<bool> {
    let planned = RunConfig::load(&out.join(CONFIGS_DIR).join(format!("{name}.toml")))?;
    let trained = RunConfig::load(&out.join(name).join(CONFIG_FILE))?;
    Ok(planned == trained)
}

/// `path` as one shell word: as it is when it needs no quoting, else in single quotes.
fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
