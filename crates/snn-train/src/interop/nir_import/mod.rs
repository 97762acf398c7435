//! A NIR graph as a network of ours (`snn-train import`): a run directory (`config.toml` +
//! `model.bpk`) that eval, report, plot and predict open like a trained run.
//!
//! The graph must be one chain `Input → … → Output` of `Affine`/`Linear`, `Conv2d` (square
//! kernel, no dilation or groups), `AvgPool2d`/`SumPool2d`, `Flatten`, `LIF` and, last, `LI`
//! (membrane readout) or `LIF` (spike-count readout). Each neuron node is discretised with Euler
//! steps of `dt`, the inverse of the mapping in [`crate::interop::nir_export`]: per neuron
//! `a = dt/τ`,
//!
//! ```text
//! β = 1 − a,   input gain g = a·r,   constant input a·v_leak,   θ = v_threshold
//! ```
//!
//! Our neurons take their input with gain 1 and no leak current, so `g` and `a·v_leak` are folded
//! into the weight layer right before the neuron (row `o` of an affine, or channel `c` of a conv
//! when uniform over the map): `W' = g·W`, `b' = g·b + a·v_leak`. Different thresholds within a
//! layer are folded the same way (`W'/θ`, `θ = 1`). A `SumPool2d` is an average pool whose `k²`
//! goes into the next weight layer. `v_reset` must be 0; the reset is NIR's (to zero) unless the
//! file's metadata says `reset = subtract` (our own exports). A gain within 1e-9 of 1 is taken
//! as 1, so an export → import round trip keeps every weight bit for bit.
//!
//! The steps: [`settings`] (time step, steps, encoder from the options or the metadata),
//! [`lower`] (the nodes as our layers, described in [`spec`], weights folded once), [`build`]
//! (the config, then the network with the weights).

mod build;
mod lower;
mod neuron;
mod settings;
mod spec;

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::Device;
use snn_model::{EncoderConfig, FeatureShape};
use snn_nir::{Graph, Node};

use crate::config::RunConfig;
use crate::model::Classifier;

/// Settings the graph may not carry (its metadata wins where our exporter wrote it).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Euler time step in seconds.
    pub dt: Option<f64>,
    /// Time steps per example.
    pub steps: Option<usize>,
    /// Input encoder (default: the file's, else Poisson).
    pub encoder: Option<EncoderConfig>,
}

/// The run config and network a NIR graph describes.
pub fn import(
    graph: &Graph,
    options: &ImportOptions,
    device: &Device,
) -> Result<(RunConfig, Classifier)> {
    let settings = settings::Settings::of(graph, options)?;
    let chain = graph.chain()?;
    let (input_name, Node::Input { shape }) = chain[0] else {
        unreachable!("chain starts at the Input")
    };
    let input = feature_shape(input_name, shape)?;
    let lowered = lower::lower(graph, &chain[1..chain.len() - 1], settings.dt)?;
    let (_, Node::Output { shape }) = chain[chain.len() - 1] else {
        unreachable!("chain ends at the Output")
    };
    let classes = build::classes(shape, &lowered.readout.weights)?;
    let config = build::config(&lowered, input, classes, &settings)?;
    let snn = build::network(&config, &lowered, device)?;
    let sparsity = None;
    Ok((config, Classifier { snn, sparsity }))
}

fn feature_shape(name: &str, shape: &[i64]) -> Result<FeatureShape> {
    let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    Ok(match dims[..] {
        [n] => FeatureShape::Flat(n),
        [h, w] => FeatureShape::Map {
            channels: 1,
            height: h,
            width: w,
        },
        [c, h, w] => FeatureShape::Map {
            channels: c,
            height: h,
            width: w,
        },
        _ => anyhow::bail!(
            "NIR node `{name}`: input shape {shape:?} is not [n], [h, w] or [c, h, w]"
        ),
    })
}

/// Reads the NIR file at `path`.
pub fn read_graph(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    snn_nir::from_bytes(bytes)
        .with_context(|| format!("{} is not a NIR file snn-train can read", path.display()))
}
