//! The body of a NIR chain (between `Input` and `Output`) lowered to our layers: weight nodes
//! with NIR's `(out, in)` weights, pools, flatten and neurons, each neuron's gain, leak and
//! thresholds folded into the weights before it ([`super::neuron::fold`]), a `SumPool2d`'s `k²`
//! into the weights after it; the last neuron node is the readout.

use anyhow::{Result, bail};
use snn_model::ReadoutConfig;
use snn_nir::{Graph, Node};

use super::neuron::{fold, neuron, uniform};
use super::settings::reset_of;
use super::spec::{Lowered, OutputLif, ReadoutSpec, Spec, Weights};

/// Lowers `body` (the chain without `Input` and `Output`) with Euler steps of `dt`.
pub fn lower(graph: &Graph, body: &[(&str, &Node)], dt: f64) -> Result<Lowered> {
    let mut l = Lowering {
        graph,
        dt,
        specs: Vec::new(),
        pending_scale: 1.0,
        readout: None,
    };
    for (i, &(name, node)) in body.iter().enumerate() {
        l.node(name, node, i + 1 == body.len())?;
    }
    l.finish()
}

struct Lowering<'a> {
    graph: &'a Graph,
    dt: f64,
    specs: Vec<Spec>,
    /// A `SumPool2d`'s `k²`, waiting for the next weight layer.
    pending_scale: f64,
    /// The readout's kind, neurons, node and size, once seen.
    readout: Option<(ReadoutConfig, Option<OutputLif>, (String, usize))>,
}

impl Lowering<'_> {
    fn node(&mut self, name: &str, node: &Node, last: bool) -> Result<()> {
        match node {
            Node::Affine { weight, bias } if weight.shape.len() == 2 => {
                self.linear(name, weight, Some(bias.to_f32()))
            }
            Node::Linear { weight } if weight.shape.len() == 2 => self.linear(name, weight, None),
            Node::Conv2d { .. } => self.conv(name, node),
            Node::AvgPool2d {
                kernel_size,
                stride,
                padding,
            }
            | Node::SumPool2d {
                kernel_size,
                stride,
                padding,
            } => {
                if kernel_size[0] != kernel_size[1] || stride[0] != stride[1] || *padding != [0, 0]
                {
                    bail!("NIR node `{name}`: only square pooling without padding is supported");
                }
                if matches!(node, Node::SumPool2d { .. }) {
                    self.pending_scale *= (kernel_size[0] * kernel_size[1]) as f64;
                }
                let (k, s) = (kernel_size[0] as usize, stride[0] as usize);
                self.specs.push(Spec::AvgPool(k, s));
                Ok(())
            }
            Node::Flatten { .. } => {
                self.specs.push(Spec::Flatten);
                Ok(())
            }
            Node::Lif { .. } => self.lif(name, node, last),
            Node::Li { tau, r, v_leak } if last => {
                let n = neuron(name, tau, r, v_leak, None, self.dt)?;
                if !n.beta.iter().all(|&b| b == n.beta[0]) {
                    bail!(
                        "NIR node `{name}`: a readout LI with different time constants per class \
                         is not supported"
                    );
                }
                fold(self.last_weights(), name, &n.gain, &n.leak)?;
                let config = ReadoutConfig::Membrane {
                    beta: Some(n.beta[0]),
                };
                self.readout = Some((config, None, (name.to_string(), n.beta.len())));
                Ok(())
            }
            other => bail!(
                "NIR node `{name}` has type {}{}: snn-train imports chains of Affine, Linear, \
                 Conv2d, AvgPool2d, SumPool2d, Flatten and LIF nodes ending in an LI or LIF \
                 readout",
                other.type_name(),
                if matches!(other, Node::Li { .. }) {
                    " before the last layer"
                } else {
                    ""
                }
            ),
        }
    }

    /// A weight layer's weights, with a pending `SumPool2d` sum folded in (once, here).
    fn weights(&mut self, name: &str, weight: &snn_nir::Array, bias: Vec<f32>) -> Weights {
        let mut values = weight.to_f32();
        if self.pending_scale != 1.0 {
            let scale = std::mem::replace(&mut self.pending_scale, 1.0);
            values
                .iter_mut()
                .for_each(|v| *v = (*v as f64 * scale) as f32);
        }
        Weights {
            node: name.into(),
            values,
            outputs: weight.shape[0],
            bias,
        }
    }

    fn linear(
        &mut self,
        name: &str,
        weight: &snn_nir::Array,
        bias: Option<Vec<f32>>,
    ) -> Result<()> {
        let (outputs, inputs) = (weight.shape[0], weight.shape[1]);
        let bias = bias.unwrap_or(vec![0.0; outputs]);
        if bias.len() != outputs {
            bail!(
                "NIR node `{name}`: bias has {} values for {outputs} outputs",
                bias.len()
            );
        }
        let w = self.weights(name, weight, bias);
        self.specs.push(Spec::Linear(w, inputs));
        Ok(())
    }

    fn conv(&mut self, name: &str, node: &Node) -> Result<()> {
        let Node::Conv2d {
            weight,
            bias,
            stride,
            padding,
            dilation,
            groups,
            ..
        } = node
        else {
            unreachable!("a Conv2d node")
        };
        let [c_out, c_in, kh, kw] = weight.shape[..] else {
            bail!(
                "NIR node `{name}`: weight shape {:?} is not (C_out, C_in, kH, kW)",
                weight.shape
            );
        };
        if kh != kw || stride[0] != stride[1] || padding[0] != padding[1] {
            bail!(
                "NIR node `{name}`: only square kernels, strides and paddings are supported \
                 (kernel {kh}x{kw}, stride {stride:?}, padding {padding:?})"
            );
        }
        if *dilation != [1, 1] || *groups != 1 {
            bail!(
                "NIR node `{name}`: dilation {dilation:?} and groups {groups} are not supported \
                 (1 only)"
            );
        }
        if bias.len() != c_out {
            bail!(
                "NIR node `{name}`: bias has {} values for {c_out} output channels",
                bias.len()
            );
        }
        let w = self.weights(name, weight, bias.to_f32());
        let (s, p) = (stride[0].max(1) as usize, padding[0].max(0) as usize);
        self.specs.push(Spec::Conv(w, [c_out, c_in, kh, kw], s, p));
        Ok(())
    }

    fn lif(&mut self, name: &str, node: &Node, last: bool) -> Result<()> {
        let Node::Lif {
            tau,
            r,
            v_leak,
            v_threshold,
            v_reset,
        } = node
        else {
            unreachable!("a LIF node")
        };
        if v_reset.values.iter().any(|&v| v != 0.0) {
            bail!(
                "NIR node `{name}`: v_reset ≠ 0 is not supported (our neurons reset to 0 or by \
                 subtraction)"
            );
        }
        let n = neuron(name, tau, r, v_leak, Some(v_threshold), self.dt)?;
        let reset = reset_of(self.graph, name)?;
        // Different thresholds within the layer are folded too: W'/θ, θ = 1.
        let (threshold, scale, offset) = if uniform(&n.threshold) {
            (n.threshold[0] as f32, n.gain.clone(), n.leak.clone())
        } else {
            let per = |v: &[f64]| v.iter().zip(&n.threshold).map(|(x, t)| x / t).collect();
            (1.0, per(&n.gain), per(&n.leak))
        };
        fold(self.last_weights(), name, &scale, &offset)?;
        if last {
            let surrogate = snn_model::Surrogate::Atan { alpha: 2.0 };
            let config = ReadoutConfig::SpikeCount { surrogate };
            let neurons = (name.to_string(), n.beta.len());
            self.readout = Some((config, Some((n.beta, threshold, reset)), neurons));
        } else {
            self.specs.push(Spec::Lif {
                node: name.into(),
                beta: n.beta,
                threshold,
                reset,
            });
        }
        Ok(())
    }

    fn last_weights(&mut self) -> Option<&mut Spec> {
        (self.specs.last_mut()).filter(|s| matches!(s, Spec::Linear(..) | Spec::Conv(..)))
    }

    /// The layers and the readout, checked: a readout after an affine, no sum left unfolded.
    fn finish(mut self) -> Result<Lowered> {
        let Some((config, lif, neurons)) = self.readout else {
            bail!(
                "the NIR graph does not end in an LI or LIF node before its Output: there is no \
                 readout to classify with"
            );
        };
        let Some(Spec::Linear(weights, inputs)) = self.specs.pop() else {
            bail!("the NIR graph's readout neurons must follow an Affine or Linear node");
        };
        if self.pending_scale != 1.0 {
            bail!(
                "a SumPool2d must be followed by a weight layer (its sum is folded into the next \
                 weights)"
            );
        }
        Ok(Lowered {
            specs: self.specs,
            readout: ReadoutSpec {
                config,
                lif,
                weights,
                inputs,
                neurons,
            },
        })
    }
}
