//! A model's weights in a file (`model.bpk`, a checkpoint's `model.bpk`): loaded into the
//! network a config describes, refused with both files named when they do not fit; saved whole
//! through a partial file.

use std::path::Path;

use anyhow::{Context, Result};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;

use super::CONFIG_FILE;
use super::atomic::partial_path;
use crate::config::RunConfig;
use crate::model::Classifier;

/// Saves `model`'s weights as burnpack through a partial file (never a half-written `path`).
pub fn save_weights(model: &Classifier, path: &Path) -> Result<()> {
    let tmp = partial_path(path);
    (model.clone().into_record().save(&tmp))
        .with_context(|| format!("cannot save the model to {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move the model to {}", path.display()))
}

/// The network `config` describes with the weights of `weights_file` (a `model.bpk` or a model
/// checkpoint) on `device`. A file that cannot be read, or whose tensors do not fit the network
/// (another layer size, a per-neuron β where the config says per-layer, …), is an error naming
/// both files.
pub fn load_weights(
    config: &RunConfig,
    config_file: &Path,
    weights_file: &Path,
    device: &Device,
) -> Result<Classifier> {
    let record = ModuleRecord::load(weights_file).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the weights {}: {e}; the file is damaged or not a burnpack file",
            weights_file.display()
        )
    })?;
    let model = Classifier {
        snn: config.model.init(device),
        sparsity: None,
    };
    model.try_load_record(record).map_err(|e| {
        anyhow::anyhow!(
            "the weights {} do not fit the network of {} ({e}); was {CONFIG_FILE} edited after \
             training? Put back the model settings the run was trained with",
            weights_file.display(),
            config_file.display()
        )
    })
}
