//! `snn-train report`: per-layer mean firing rate and silent fraction, synaptic operations per
//! inference (spikes × the fan-out of the next weight layer, from
//! [`snn_model::Snn::spiking_layers`]) against the MACs of the same network as an ANN, and the
//! energy estimate of [`super::energy`]; written to `RUN_DIR/report.json`.

use anyhow::Result;
use burn::tensor::Tensor;
use serde::Serialize;
use snn_model::Snn;

use super::energy::{
    ENERGY_SOURCE, EnergyCosts, EnergyReport, LEAVES_OUT, LayerActivity, energy_report,
};
use super::plot::per_neuron_rates;
use crate::data::{ImageDataset, intensities};
use crate::run::{Run, write_atomic};

/// Spiking activity of every spiking layer, measured on a trace (in the order of
/// [`Snn::spiking_layers`]).
pub fn activity(snn: &Snn, layers: &[Tensor<3>]) -> Vec<LayerActivity> {
    snn.spiking_layers()
        .into_iter()
        .zip(layers)
        .map(|(info, layer)| LayerActivity {
            name: info.name,
            neurons: info.neurons,
            fan_out: info.fan_out,
            spikes: layer.clone().sum().into_scalar::<f64>(),
        })
        .collect()
}

/// `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub images: usize,
    pub steps: usize,
    pub layers: Vec<LayerStats>,
    pub energy: EnergyReport,
    /// Where the per-operation energies (`energy.costs`) come from.
    pub energy_source: String,
    /// What the energy estimate leaves out.
    pub energy_leaves_out: &'static str,
}

/// Firing statistics of one spiking layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerStats {
    pub name: String,
    pub neurons: usize,
    pub mean_rate: f64,
    /// Fraction of neurons that never fired on the sample.
    pub silent_fraction: f64,
}

/// Computes the report of the run on the first `images` images of `test` (its checked test
/// split), energies priced at `costs`, and writes `report.json`.
pub fn report(run: &Run, test: &ImageDataset, images: usize, costs: EnergyCosts) -> Result<Report> {
    let (config, model, device) = (&run.config, &run.model, &run.device);
    device.seed(config.train.seed);
    let data = test.images();
    let mut layers: Vec<LayerStats> = Vec::new();
    let mut totals: Vec<LayerActivity> = Vec::new();
    let indices: Vec<usize> = (0..data.len().min(images)).collect();
    let mut ever_fired: Vec<Vec<bool>> = Vec::new();
    for chunk in indices.chunks(config.train.batch_size.max(1)) {
        let trace = model.snn.trace(intensities(data, chunk, device));
        for (i, a) in activity(&model.snn, &trace.layers).into_iter().enumerate() {
            let rates = per_neuron_rates(&trace.layers[i]);
            if totals.len() <= i {
                totals.push(LayerActivity {
                    spikes: 0.0,
                    ..a.clone()
                });
                ever_fired.push(vec![false; rates.len()]);
            }
            totals[i].spikes += a.spikes;
            for (fired, r) in ever_fired[i].iter_mut().zip(&rates) {
                *fired |= *r > 0.0;
            }
        }
    }
    let steps = config.model.steps;
    let energy = energy_report(
        &totals,
        model.snn.ann_macs(),
        model.snn.dense_input_macs(),
        indices.len(),
        steps,
        costs,
    );
    for (i, t) in totals.iter().enumerate() {
        let silent = ever_fired[i].iter().filter(|f| !**f).count();
        layers.push(LayerStats {
            name: t.name.clone(),
            neurons: t.neurons,
            mean_rate: t.spikes / (t.neurons * steps * indices.len()).max(1) as f64,
            silent_fraction: silent as f64 / t.neurons.max(1) as f64,
        });
    }
    let report = Report {
        images: indices.len(),
        steps,
        layers,
        energy,
        energy_source: if costs == EnergyCosts::HOROWITZ_45NM {
            ENERGY_SOURCE.to_string()
        } else {
            format!(
                "given (--ac-pj, --mac-pj): accumulate {} pJ, multiply-accumulate {} pJ",
                costs.ac_pj, costs.mac_pj
            )
        },
        energy_leaves_out: LEAVES_OUT,
    };
    let json = serde_json::to_string_pretty(&report).expect("report serialises");
    write_atomic(&run.dir.join("report.json"), json.as_bytes())?;
    Ok(report)
}

impl Report {
    /// The text `snn-train report` prints.
    pub fn text(&self) -> String {
        let mut out = format!(
            "spiking activity on {} test images, T = {}:\n",
            self.images, self.steps
        );
        for l in &self.layers {
            out.push_str(&format!(
                "  {:<10} {:>5} neurons  mean rate {:.4}  silent {:5.1}%\n",
                l.name,
                l.neurons,
                l.mean_rate,
                100.0 * l.silent_fraction
            ));
        }
        let e = &self.energy;
        out.push_str(&format!(
            "synaptic operations per inference: {:.0} (accumulates)\n\
             same network as an ANN:            {:.0} multiply-accumulates\n\
             energy per inference: SNN {:.1} nJ vs ANN {:.1} nJ (ratio {:.2})\n\
             energies: {}\n\
             left out: {}\n",
            e.synops_per_inference,
            e.ann_macs_per_inference,
            e.snn_energy_pj / 1e3,
            e.ann_energy_pj / 1e3,
            e.energy_ratio,
            self.energy_source,
            self.energy_leaves_out
        ));
        out
    }
}
