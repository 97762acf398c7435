//! What the graph itself does not say about running it, from the options or from the metadata
//! our exporter writes: the Euler time step, the steps per example, the input encoder, and
//! each neuron node's reset.

use anyhow::{Context, Result, bail};
use snn_model::{EncoderConfig, Reset};
use snn_nir::Graph;

use super::ImportOptions;

/// How the imported network runs.
pub struct Settings {
    /// Euler time step in seconds.
    pub dt: f64,
    pub steps: usize,
    pub encoder: EncoderConfig,
}

impl Settings {
    /// The options where given, else the graph's metadata; an error says which flag to pass.
    pub fn of(graph: &Graph, options: &ImportOptions) -> Result<Self> {
        let dt: f64 = given_or_meta(options.dt, graph, "dt", "a number")?.ok_or_else(|| {
            anyhow::anyhow!(
                "the NIR file does not say which time step its time constants assume: pass --dt \
                 SECONDS (snnTorch exports with 1e-4, Norse with 1e-3)"
            )
        })?;
        if !(dt.is_finite() && dt > 0.0) {
            bail!(
                "the time step dt = {dt} (--dt, or the file's metadata) must be a number of \
                 seconds > 0"
            );
        }
        let steps = given_or_meta(options.steps, graph, "steps", "a count")?.ok_or_else(|| {
            anyhow::anyhow!(
                "the NIR file does not say for how many time steps the network runs: pass \
                 --steps N"
            )
        })?;
        let encoder = match (options.encoder, graph.meta("encoder")) {
            (Some(e), _) => e,
            (None, Some(text)) => toml::from_str(text)
                .with_context(|| format!("the NIR file's metadata encoder = {text:?}"))?,
            (None, None) => EncoderConfig::default(),
        };
        Ok(Self { dt, steps, encoder })
    }
}

/// The option where given, else the metadata value `key` parsed (`what` it must be), else
/// `None`.
fn given_or_meta<T: std::str::FromStr>(
    given: Option<T>,
    graph: &Graph,
    key: &str,
    what: &str,
) -> Result<Option<T>> {
    match (given, graph.meta(key)) {
        (Some(v), _) => Ok(Some(v)),
        (None, Some(text)) => (text.parse().ok().map(Some))
            .with_context(|| format!("the NIR file's metadata {key} = {text} is not {what}")),
        (None, None) => Ok(None),
    }
}

/// The reset of neuron node `node`: NIR's (to zero) unless the metadata says `subtract`, for
/// all nodes (`reset = subtract`) or per node (`reset = lif0:subtract,lif1:zero`).
pub fn reset_of(graph: &Graph, node: &str) -> Result<Reset> {
    let mode = match graph.meta("reset") {
        None => "zero",
        Some(all) if !all.contains(':') => all,
        Some(pairs) => pairs
            .split(',')
            .find_map(|p| p.strip_prefix(&format!("{node}:")))
            .unwrap_or("zero"),
    };
    match mode {
        "zero" => Ok(Reset::Zero),
        "subtract" => Ok(Reset::Subtract),
        other => bail!("the NIR file's metadata says reset = {other}; expected zero or subtract"),
    }
}
