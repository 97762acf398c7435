//! A trained run opened for use: `eval`, `predict`, `plot` and `report` (and training's own
//! figures) all go through [`Run::open`], which reads `config.toml`, checks it, loads
//! `model.bpk` into the network it describes and refuses with one message naming both files when
//! they do not match; [`Run::test_data`] loads the test split and checks it against the model
//! before any tensor work. The model and the data are loaded once per command.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;

use crate::classifier::Classifier;
use crate::config::RunConfig;
use crate::data::{ImageDataset, Split, load_split};
use crate::limits::{Phase, check_memory};
use crate::run_dir::{CONFIG_FILE, MODEL_FILE};

/// A run directory's configuration and trained network, on one device.
pub struct Run {
    pub dir: PathBuf,
    pub config: RunConfig,
    pub model: Classifier,
    pub device: Device,
}

impl Run {
    /// Opens the finished run in `dir` on `device`.
    pub fn open(dir: &Path, device: &Device) -> Result<Self> {
        if !dir.is_dir() {
            bail!("run directory {} does not exist", dir.display());
        }
        let config_file = dir.join(CONFIG_FILE);
        if !config_file.is_file() {
            bail!(
                "{} has no {CONFIG_FILE}: it is not a run directory",
                dir.display()
            );
        }
        let config = RunConfig::load(&config_file)?;
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("{}: {e}", config_file.display()))?;
        let model_file = dir.join(MODEL_FILE);
        if !model_file.is_file() {
            bail!(
                "{} has no {MODEL_FILE}: the run has not finished (resume it with \
                 `snn-train --resume {}`)",
                dir.display(),
                dir.display()
            );
        }
        check_memory(
            &config.model,
            config.train.batch_size,
            Phase::Inference,
            "train.batch_size",
        )?;
        let model = load_weights(&config, &config_file, &model_file, device)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            model,
            device: device.clone(),
        })
    }

    /// The test split in `data_dir` (its first `limit` examples), checked against the model.
    pub fn test_data(&self, data_dir: &Path, limit: Option<usize>) -> Result<ImageDataset> {
        let test = load_split(data_dir, Split::Test, limit)?;
        test.check_fits(
            &self.config.model,
            &self.dir.join(CONFIG_FILE).display().to_string(),
        )?;
        Ok(test)
    }
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
