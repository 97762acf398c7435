//! Command-line flags that replace values of a config file: for a new run any of them, for a
//! resumed run only those that leave its checkpoint and its logged epochs valid.

use std::path::Path;

use anyhow::{Result, bail};

use super::RunConfig;

/// Values given on the command line that replace those of the config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub epochs: Option<usize>,
    pub steps: Option<usize>,
    pub batch_size: Option<usize>,
    pub lr: Option<f64>,
    pub seed: Option<u64>,
    pub hidden: Option<Vec<usize>>,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    pub validation: Option<super::Validation>,
    pub select: Option<super::Select>,
}

impl Overrides {
    /// The flag that sets `key`, if it was given.
    fn flag_for(&self, key: &str) -> Option<&'static str> {
        let given = |set: bool, flag| set.then_some(flag);
        match key {
            "train.epochs" => given(self.epochs.is_some(), "--epochs"),
            "model.steps" => given(self.steps.is_some(), "--steps"),
            "train.batch_size" => given(self.batch_size.is_some(), "--batch-size"),
            "train.lr" => given(self.lr.is_some(), "--lr"),
            k if k.starts_with("model.hidden") => given(self.hidden.is_some(), "--hidden"),
            "train.train_limit" => given(self.train_limit.is_some(), "--train-limit"),
            "train.test_limit" => given(self.test_limit.is_some(), "--test-limit"),
            "data.validation" => given(self.validation.is_some(), "--validation"),
            "train.select" => given(self.select.is_some(), "--select"),
            _ => None,
        }
    }
}

impl RunConfig {
    /// Applies command-line overrides, then validates; errors name the key and, when a flag set
    /// it, the flag.
    pub fn with_overrides(mut self, o: &Overrides) -> Result<Self> {
        if let Some(v) = o.epochs {
            self.train.epochs = v;
        }
        if let Some(v) = o.steps {
            self.model.steps = v;
        }
        if let Some(v) = o.batch_size {
            self.train.batch_size = v;
        }
        if let Some(v) = o.lr {
            self.train.lr = v;
        }
        if let Some(v) = o.seed {
            self.train.seed = v;
        }
        if let Some(v) = &o.hidden {
            if !self.model.layers.is_empty() {
                bail!(
                    "--hidden is the shorthand for linear → lif layers, but this config lists \
                     [[model.layers]]; change the layers in the config file instead"
                );
            }
            self.model.hidden = Some(v.clone());
        }
        if o.train_limit.is_some() {
            self.train.train_limit = o.train_limit;
        }
        if o.test_limit.is_some() {
            self.train.test_limit = o.test_limit;
        }
        if let Some(v) = o.validation {
            self.data.validation = v;
        }
        if let Some(v) = o.select {
            self.train.select = v;
        }
        if let Err(e) = self.validate() {
            match o.flag_for(&e.key) {
                Some(flag) => bail!("invalid configuration: {e} (set by {flag})"),
                None => bail!("invalid configuration: {e}"),
            }
        }
        Ok(self)
    }

    /// The config of a resumed run: `self` is the run's saved `config.toml`. Overrides that would
    /// change what the checkpoint holds or how its epochs were counted are refused, naming the
    /// flag and the saved value: the layer sizes (the weights' shapes), the batch size and the
    /// data limits (the batches per epoch, and so the TensorBoard steps already written). The
    /// others (epochs, steps, lr, seed) apply as for a new run.
    pub fn for_resume(self, o: &Overrides, config_file: &Path) -> Result<Self> {
        let refuse = |flag: &str, given: String, key: &str, saved: String, why: &str| {
            anyhow::anyhow!(
                "--resume cannot take {flag} {given}: the run was trained with {key} = {saved} \
                 ({}) and {why}; leave {flag} out, or start a new run with --out",
                config_file.display()
            )
        };
        if let Some(h) = &o.hidden
            && self.model.hidden.as_ref() != Some(h)
        {
            let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            return Err(refuse(
                "--hidden",
                list(h),
                "model.hidden",
                match &self.model.hidden {
                    Some(hidden) => format!("{hidden:?}"),
                    None => format!("{} [[model.layers]]", self.model.layers.len()),
                },
                "its checkpoint holds weights of that shape",
            ));
        }
        let counted = "the epochs already logged were counted in its batches";
        if let Some(b) = o.batch_size
            && b != self.train.batch_size
        {
            let saved = self.train.batch_size.to_string();
            return Err(refuse(
                "--batch-size",
                b.to_string(),
                "train.batch_size",
                saved,
                counted,
            ));
        }
        for (flag, given, key, saved) in [
            (
                "--train-limit",
                o.train_limit,
                "train.train_limit",
                self.train.train_limit,
            ),
            (
                "--test-limit",
                o.test_limit,
                "train.test_limit",
                self.train.test_limit,
            ),
        ] {
            if let Some(n) = given
                && Some(n) != saved
            {
                let saved = saved.map_or("none".to_string(), |s| s.to_string());
                return Err(refuse(flag, n.to_string(), key, saved, counted));
            }
        }
        if let Some(v) = o.validation
            && v != self.data.validation
        {
            let saved = self.data.validation.to_string();
            let why = "its epochs were trained and validated on that split";
            return Err(refuse(
                "--validation",
                v.to_string(),
                "data.validation",
                saved,
                why,
            ));
        }
        self.with_overrides(o)
    }
}
