//! A trained network's weights as safetensors with PyTorch's layouts and names
//! (`snn-train export --format safetensors`), for `safetensors.torch.load_file` /
//! `load_state_dict` into the matching `nn.Sequential`-style model.
//!
//! Names: `layers.<i>.<tensor>` for `[[model.layers]]` entry `i` (the `hidden` shorthand counts
//! as `linear, lif` pairs), `readout.<tensor>` for the readout.
//!
//! ```text
//! linear      weight (out, in)  bias (out)          nn.Linear (Burn's [in, out] transposed)
//! conv2d      weight (C_out, C_in, k, k)  bias      nn.Conv2d
//! batch-norm  weight, bias, running_mean, running_var (C), num_batches_tracked ()   nn.BatchNorm2d/1d
//! lif         beta (N, or () when shared), threshold ()                            snnTorch Leaky
//! readout     weight, bias; beta () (membrane readout) or the output LIF's beta, threshold
//! ```
//!
//! The header's `__metadata__` holds `format = pt`, each layer's kind (`layers.<i> = conv2d`,
//! …) and the config's `[model]` as TOML (`snn_train_model`).

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use safetensors::{Dtype, View};
use snn_model::layer::Layer;
use snn_model::readout::Readout;
use snn_model::{Lif, Snn};

use crate::interop::weights::{floats, weight_out_in};

/// One tensor: little-endian bytes, dtype, shape.
struct Entry {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Entry {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn f32s(shape: Vec<usize>, values: &[f32]) -> Entry {
    Entry {
        dtype: Dtype::F32,
        shape,
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn linear(out: &mut Vec<(String, Entry)>, prefix: &str, linear: &burn::nn::Linear) {
    let (weight, [outputs, inputs]) = weight_out_in(linear);
    out.push((
        format!("{prefix}.weight"),
        f32s(vec![outputs, inputs], &weight),
    ));
    if let Some(b) = &linear.bias {
        out.push((
            format!("{prefix}.bias"),
            f32s(vec![outputs], &floats(b.val())),
        ));
    }
}

fn lif(out: &mut Vec<(String, Entry)>, prefix: &str, lif: &Lif) {
    let beta = floats(lif.beta(&burn::tensor::Device::default()));
    let shared = lif.beta_logit.as_ref().is_none_or(|l| l.dims() == [1]);
    let beta = if shared {
        f32s(vec![], &beta[..1])
    } else {
        f32s(vec![beta.len()], &beta)
    };
    out.push((format!("{prefix}.beta"), beta));
    out.push((
        format!("{prefix}.threshold"),
        f32s(vec![], &[lif.params().threshold]),
    ));
}

/// The safetensors bytes of `snn`'s weights.
pub fn export(snn: &Snn) -> Result<Vec<u8>> {
    let mut tensors: Vec<(String, Entry)> = Vec::new();
    let mut metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    for (i, (layer, planned)) in snn.layers.iter().zip(snn.plan()).enumerate() {
        let prefix = format!("layers.{i}");
        let kind = planned.config.kind();
        metadata.insert(prefix.clone(), kind.to_string());
        match layer {
            Layer::Linear(l) => linear(&mut tensors, &prefix, l),
            Layer::Conv2d(c) => {
                let w = c.conv.weight.val();
                let dims = w.dims().to_vec();
                tensors.push((format!("{prefix}.weight"), f32s(dims, &floats(w))));
                if let Some(b) = &c.conv.bias {
                    let b = floats(b.val());
                    tensors.push((format!("{prefix}.bias"), f32s(vec![b.len()], &b)));
                }
            }
            Layer::BatchNorm(n) => {
                let n = &n.norm;
                for (name, values) in [
                    ("weight", floats(n.gamma.val())),
                    ("bias", floats(n.beta.val())),
                    ("running_mean", floats(n.running_mean.value())),
                    ("running_var", floats(n.running_var.value())),
                ] {
                    tensors.push((
                        format!("{prefix}.{name}"),
                        f32s(vec![values.len()], &values),
                    ));
                }
                tensors.push((
                    format!("{prefix}.num_batches_tracked"),
                    Entry {
                        dtype: Dtype::I64,
                        shape: vec![],
                        bytes: 0i64.to_le_bytes().to_vec(),
                    },
                ));
            }
            Layer::Lif(l) => lif(&mut tensors, &prefix, l),
            // Pooling, flatten, dropout (and any new kind without parameters) have no tensors.
            other if other.num_params() == 0 => {}
            other => bail!(
                "{prefix} ({kind}): safetensors export has no PyTorch names for this layer's \
                 {} parameters",
                other.num_params()
            ),
        }
    }
    match &snn.readout {
        Readout::Membrane(m) => {
            linear(&mut tensors, "readout", &m.linear);
            tensors.push(("readout.beta".into(), f32s(vec![], &[m.beta])));
            metadata.insert("readout".into(), "membrane".into());
        }
        Readout::SpikeCount(r) => {
            linear(&mut tensors, "readout", &r.linear);
            lif(&mut tensors, "readout", &r.lif);
            metadata.insert("readout".into(), "spike-count".into());
        }
    }
    metadata.insert(
        "snn_train_model".into(),
        toml::to_string(snn.config()).context("the model config as TOML")?,
    );
    safetensors::serialize(tensors.iter().map(|(n, e)| (n.as_str(), e)), Some(metadata))
        .context("cannot encode the weights as safetensors")
}
