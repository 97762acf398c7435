//! Leaky integrate-and-fire (LIF) neurons.
//!
//! For each neuron, with input current `I[t]`, decay `β ∈ (0, 1)` and threshold `θ > 0`, starting
//! from `u[-1] = 0`, `s[-1] = 0`, each step computes, in this order:
//!
//! 1. reset from the previous step's spike, then leak and integrate:
//!    - `subtract`: `u[t] = β·u[t-1] + I[t] − θ·s[t-1]`
//!    - `zero`:     `u[t] = β·u[t-1]·(1 − s[t-1]) + I[t]`
//! 2. fire: `s[t] = H(u[t] − θ)` (the spike op: exact step forward, surrogate backward).
//!
//! With `detach_reset = true` (default, as in snnTorch) the reset term `s[t-1]` carries no
//! gradient. `β` is given directly or as a time constant `τ` (`β = exp(−1/τ)`); when learnable
//! it is stored as a logit, `β = sigmoid(logit)`, which keeps it in (0, 1), one per layer or one
//! per neuron.
//!
//! Two implementations of the multi-step pass compute the same function: the fused scan
//! ([`SnnOps::lif_scan`], one autodiff node for all `T` steps) and the reference loop of
//! single steps built from tensor ops (`T × k` autodiff nodes). Tests hold them equal.

use burn::backend::Dispatch;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, activation::sigmoid, s};
use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::ops::SnnOps;
pub use crate::ops::scan_params::{LifScanParams, Reset};
use crate::ops::surrogate::Surrogate;
use crate::spike::spike;

/// Whether and how `β` is learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearnBeta {
    /// `β` is a constant.
    #[default]
    None,
    /// One learnable `β` shared by the layer.
    Layer,
    /// One learnable `β` per neuron.
    Neuron,
}

/// Which implementation runs the multi-step pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifImpl {
    /// One custom op over all steps ([`SnnOps::lif_scan`]).
    #[default]
    Fused,
    /// A loop of single steps made of tensor ops (the reference).
    Reference,
}

/// Configuration of a LIF layer (TOML section `[lif]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifConfig {
    /// Membrane decay per step, in (0, 1). Give this or `tau`, not both; default 0.95.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f32>,
    /// Membrane time constant in steps (`β = exp(−1/τ)`), > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau: Option<f32>,
    #[serde(default)]
    pub learn_beta: LearnBeta,
    /// Firing threshold θ > 0.
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    #[serde(default)]
    pub reset: Reset,
    #[serde(default = "default_true")]
    pub detach_reset: bool,
    #[serde(default)]
    pub surrogate: Surrogate,
    #[serde(default)]
    pub implementation: LifImpl,
}

fn default_threshold() -> f32 {
    1.0
}

fn default_true() -> bool {
    true
}

/// `β` used when neither `beta` nor `tau` is given.
pub const DEFAULT_BETA: f32 = 0.95;

impl Default for LifConfig {
    fn default() -> Self {
        Self {
            beta: None,
            tau: None,
            learn_beta: LearnBeta::None,
            threshold: default_threshold(),
            reset: Reset::Subtract,
            detach_reset: true,
            surrogate: Surrogate::default(),
            implementation: LifImpl::Fused,
        }
    }
}

impl LifConfig {
    /// The decay factor β this config describes.
    pub fn resolved_beta(&self) -> f32 {
        match (self.beta, self.tau) {
            (Some(beta), _) => beta,
            (None, Some(tau)) => (-1.0 / tau).exp(),
            (None, None) => DEFAULT_BETA,
        }
    }

    /// Checks every value; the error names the key (prefixed by `section`).
    pub fn validate(&self, section: &str) -> Result<(), ConfigError> {
        let key = |k: &str| format!("{section}.{k}");
        if let (Some(_), Some(_)) = (self.beta, self.tau) {
            return Err(ConfigError::new(
                key("tau"),
                "both beta and tau",
                "give either beta or tau, not both",
            ));
        }
        if let Some(beta) = self.beta
            && !(beta > 0.0 && beta < 1.0)
        {
            return Err(ConfigError::new(key("beta"), beta, "must be in (0, 1)"));
        }
        if let Some(tau) = self.tau
            && !(tau.is_finite() && tau > 0.0)
        {
            return Err(ConfigError::new(
                key("tau"),
                tau,
                "must be a finite number > 0",
            ));
        }
        let beta = self.resolved_beta();
        if !(beta > 0.0 && beta < 1.0) {
            return Err(ConfigError::new(
                key("tau"),
                beta,
                "gives a beta outside (0, 1)",
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(ConfigError::new(
                key("threshold"),
                self.threshold,
                "must be a finite number > 0",
            ));
        }
        self.surrogate
            .validate()
            .map_err(|e| e.with_prefix(section))
    }

    /// The scan parameters of this config.
    pub fn scan_params(&self) -> LifScanParams {
        LifScanParams {
            threshold: self.threshold,
            reset: self.reset,
            detach_reset: self.detach_reset,
            surrogate: self.surrogate,
        }
    }

    /// A LIF layer of `size` neurons.
    pub fn init(&self, size: usize, device: &Device) -> Lif {
        let beta = self.resolved_beta();
        let logit = (beta / (1.0 - beta)).ln();
        let beta_logit = match self.learn_beta {
            LearnBeta::None => None,
            LearnBeta::Layer => Some(Tensor::<1>::full([1], logit, device)),
            LearnBeta::Neuron => Some(Tensor::<1>::full([size], logit, device)),
        }
        .map(Param::from_tensor);
        Lif {
            beta_logit,
            beta,
            size,
            params: self.scan_params(),
            implementation: self.implementation,
        }
    }
}

/// A layer of LIF neurons (no weights; it consumes currents).
#[derive(Module, Debug)]
pub struct Lif {
    /// Learnable `logit(β)`, `[1]` or `[N]`; `None` when β is constant.
    pub beta_logit: Option<Param<Tensor<1>>>,
    #[module(skip)]
    beta: f32,
    #[module(skip)]
    size: usize,
    #[module(skip)]
    params: LifScanParams,
    #[module(skip)]
    implementation: LifImpl,
}

/// Membrane and last spikes of a LIF layer between steps, each `[B, N]`.
#[derive(Debug, Clone)]
pub struct LifState {
    pub membrane: Tensor<2>,
    pub spikes: Tensor<2>,
}

impl LifState {
    /// The resting state `u = 0`, `s = 0`.
    pub fn zeros(batch: usize, size: usize, device: &Device) -> Self {
        Self {
            membrane: Tensor::zeros([batch, size], device),
            spikes: Tensor::zeros([batch, size], device),
        }
    }
}

impl Lif {
    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The scan parameters (threshold, reset, surrogate).
    pub fn params(&self) -> LifScanParams {
        self.params
    }

    /// Selects the multi-step implementation.
    pub fn with_implementation(mut self, implementation: LifImpl) -> Self {
        self.implementation = implementation;
        self
    }

    /// The per-neuron decay factors `β`, shape `[N]`.
    pub fn beta(&self, device: &Device) -> Tensor<1> {
        match &self.beta_logit {
            Some(logit) => sigmoid(logit.val()).expand([self.size]),
            None => Tensor::full([self.size], self.beta, device),
        }
    }

    /// One time step: `current` `[B, N]` and the previous state in, spikes `[B, N]` and the new
    /// state out.
    pub fn step(&self, current: Tensor<2>, state: LifState) -> (Tensor<2>, LifState) {
        let beta = self.beta(&current.device()).unsqueeze_dim::<2>(0);
        self.step_with_beta(current, state, &beta)
    }

    fn step_with_beta(
        &self,
        current: Tensor<2>,
        state: LifState,
        beta: &Tensor<2>,
    ) -> (Tensor<2>, LifState) {
        let LifScanParams {
            threshold,
            reset,
            detach_reset,
            surrogate,
        } = self.params;
        let last = if detach_reset {
            state.spikes.detach()
        } else {
            state.spikes
        };
        let membrane = match reset {
            Reset::Subtract => beta.clone() * state.membrane + current - last * threshold,
            Reset::Zero => beta.clone() * state.membrane * (last.neg() + 1.0) + current,
        };
        let spikes = spike(membrane.clone() - threshold, surrogate);
        (spikes.clone(), LifState { membrane, spikes })
    }

    /// All steps: `current` `[T, B, N]` → spikes `[T, B, N]`, starting from rest.
    pub fn forward(&self, current: Tensor<3>) -> Tensor<3> {
        match self.implementation {
            LifImpl::Fused => self.forward_fused(current),
            LifImpl::Reference => self.forward_reference(current),
        }
    }

    /// All steps as one custom op ([`SnnOps::lif_scan`]).
    pub fn forward_fused(&self, current: Tensor<3>) -> Tensor<3> {
        let beta = self.beta(&current.device());
        Tensor::from_dispatch(<Dispatch as SnnOps>::lif_scan(
            current.into_dispatch(),
            beta.into_dispatch(),
            self.params,
        ))
    }

    /// All steps as a loop of [`Lif::step`]s (the reference implementation).
    pub fn forward_reference(&self, current: Tensor<3>) -> Tensor<3> {
        let [steps, batch, size] = current.dims();
        let device = current.device();
        let beta = self.beta(&device).unsqueeze_dim::<2>(0);
        let mut state = LifState::zeros(batch, size, &device);
        let mut spikes = Vec::with_capacity(steps);
        for t in 0..steps {
            let input = current.clone().slice(s![t]).reshape([batch, size]);
            let (out, next) = self.step_with_beta(input, state, &beta);
            spikes.push(out);
            state = next;
        }
        Tensor::stack(spikes, 0)
    }

    /// Spikes and membrane `[T, B, N]` without autodiff tracking (for analysis and figures).
    pub fn trace(&self, current: Tensor<3>) -> (Tensor<3>, Tensor<3>) {
        let beta = self.beta(&current.device());
        let (spikes, membrane) = <Dispatch as SnnOps>::lif_scan_forward(
            current.detach().into_dispatch(),
            beta.detach().into_dispatch(),
            self.params,
        );
        (
            Tensor::from_dispatch(spikes),
            Tensor::from_dispatch(membrane),
        )
    }
}
