//! How logits are read from the last layer's spikes `[T, B, F]` (F flat features).
//!
//! - `membrane` (default): a non-spiking leaky integrator `v[t] = β_o·v[t-1] + W·s[t] + b`; the
//!   logits are its summed membrane normalised by the summed weights, `Σ_t v[t] / Σ_t c_t`
//!   with `c_t = Σ_{j=0}^{T-1-t} β_o^j`, i.e. `W·(Σ_t w_t·s[t]) + b` with `w_t = c_t / Σ c`.
//!   It cannot go silent: gradients reach every spike at every step.
//! - `spike-count`: a LIF output layer; logits are its spike counts over the `T` steps.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

use crate::layer::{Signal, project};
use crate::lif::Lif;

/// The readout of a network: a `Linear` from the last layer's features to the classes, then
/// either the membrane integrator or LIF neurons whose spikes are counted.
#[derive(Module, Debug)]
pub enum Readout {
    Membrane(MembraneReadout),
    SpikeCount(SpikeCountReadout),
}

#[derive(Module, Debug)]
pub struct MembraneReadout {
    pub linear: Linear,
    /// Decay `β_o` of the integrator.
    #[module(skip)]
    pub beta: f32,
}

#[derive(Module, Debug)]
pub struct SpikeCountReadout {
    pub linear: Linear,
    pub lif: Lif,
}

/// What the readout computed: logits `[B, classes]`, and the output spikes `[T, B, classes]` of
/// a spike-count readout.
pub struct ReadoutOutput {
    pub logits: Tensor<2>,
    pub spikes: Option<Tensor<3>>,
}

impl Readout {
    /// Logits of `x` `[T, B, F]`; `signal` and `max_density` as for [`project`].
    pub fn forward(&self, x: Tensor<3>, signal: Signal, max_density: Option<f32>) -> ReadoutOutput {
        match self {
            Readout::Membrane(m) => ReadoutOutput {
                logits: m.forward(x),
                spikes: None,
            },
            Readout::SpikeCount(r) => {
                let out = r.lif.forward(project(&r.linear, x, signal, max_density));
                ReadoutOutput {
                    logits: out.clone().sum_dim(0).squeeze_dim::<2>(0),
                    spikes: Some(out),
                }
            }
        }
    }

    /// The linear layer from the last features to the classes.
    pub fn linear(&self) -> &Linear {
        match self {
            Readout::Membrane(m) => &m.linear,
            Readout::SpikeCount(r) => &r.linear,
        }
    }

    /// The output LIF layer of a spike-count readout.
    pub fn lif(&self) -> Option<&Lif> {
        match self {
            Readout::Membrane(_) => None,
            Readout::SpikeCount(r) => Some(&r.lif),
        }
    }
}

impl MembraneReadout {
    /// The closed form `W·(Σ_t w_t·s[t]) + b` of `x` `[T, B, F]` (see the module docs).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [steps, batch, size] = x.dims();
        let weights = readout_weights(steps, self.beta, &x.device()).reshape([steps, 1, 1]);
        let pooled = (x * weights).sum_dim(0).reshape([batch, size]);
        self.linear.forward(pooled)
    }

    /// The same computed step by step, `Σ_t v[t] / Σ_t c_t` with `v[t] = β_o·v[t-1] + W·s[t] + b`
    /// (reference for tests of the closed form).
    pub fn reference(&self, x: Tensor<3>) -> Tensor<2> {
        let [steps, batch, size] = x.dims();
        let [_, classes] = self.linear.weight.dims();
        let device = x.device();
        let mut v = Tensor::<2>::zeros([batch, classes], &device);
        let mut sum = v.clone();
        let mut norm = 0.0f64;
        let mut c = 0.0f64;
        for t in 0..steps {
            let s_t = x.clone().slice(burn::tensor::s![t]).reshape([batch, size]);
            v = v * self.beta + self.linear.forward(s_t);
            sum = sum + v.clone();
            c = c * self.beta as f64 + 1.0;
            norm += c;
        }
        sum / norm as f32
    }
}

/// Readout weights `w_t = c_t / Σ_s c_s`, `c_t = Σ_{j=0}^{T-1-t} β^j` (shape `[T]`).
pub fn readout_weights(steps: usize, beta: f32, device: &Device) -> Tensor<1> {
    let beta = beta as f64;
    let mut c = vec![0.0f64; steps];
    let mut acc = 0.0f64;
    for t in (0..steps).rev() {
        acc = acc * beta + 1.0;
        c[t] = acc;
    }
    let total: f64 = c.iter().sum();
    let w: Vec<f32> = c.iter().map(|&x| (x / total) as f32).collect();
    Tensor::from_data(TensorData::new(w, [steps]), device)
}
