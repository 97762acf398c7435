//! A trained run opened for use: `eval`, `predict`, `plot` and `report` (and training's own
//! figures) all go through [`Run::open`], which reads `config.toml`, checks it, loads
//! `model.bpk` into the network it describes and refuses with one message naming both files when
//! they do not match; [`Run::test_data`] loads the test split and checks it against the model
//! before any tensor work. The model and the data are loaded once per command.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use burn::tensor::Device;

use super::dir::{CONFIG_FILE, MODEL_FILE};
use super::weights::load_weights;
use crate::config::RunConfig;
use crate::data::splits::Splits;
use crate::data::{ImageDataset, Split, load_split};
use crate::model::Classifier;
use crate::platform::memory::{Phase, check_memory};

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

    /// The run's validation examples in `data_dir`: its training split divided as it was for
    /// training (the same limit, hold-out and seed).
    pub fn valid_data(&self, data_dir: &Path) -> Result<ImageDataset> {
        let config_file = self.dir.join(CONFIG_FILE);
        let origin = config_file.display().to_string();
        // A run trained before validation splits were recorded has no [data] section: its
        // default split would hold out examples it trained on.
        let text = std::fs::read_to_string(&config_file)?;
        if !text.lines().any(|l| l.trim() == "[data]") {
            bail!(
                "{origin} has no [data] section: the run was trained before validation examples \
                 were held out, so it has none (evaluate it on the test split)"
            );
        }
        let plan = self.config.split_plan();
        let splits = Splits::load(data_dir, &plan, &self.config.model, &origin)?;
        if splits.valid_label != "valid" {
            bail!("{origin}: data.validation = 0: the run held no validation examples out");
        }
        Ok(splits.valid)
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
