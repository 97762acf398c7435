//! Draws every figure from synthetic data, to look at them:
//! `cargo run --release -p snn-plot --example gallery -- OUT_DIR`.

use std::path::{Path, PathBuf};

use snn_plot::{
    Series, SpikeGrid, confusion_matrix, firing_rate_histogram, line_chart, raster, spike_map,
};

/// Deterministic pseudo-random numbers in [0, 1) (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

type Res = Result<(), Box<dyn std::error::Error>>;

fn main() -> Res {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "gallery".into()));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    curves(&out)?;
    let (input, hidden_rates) = spike_grids(&out, &mut rng)?;
    rates_and_confusion(&out, &mut rng, &input, hidden_rates)?;
    println!("figures in {}", out.display());
    Ok(())
}

/// Line charts: a 20-epoch accuracy curve and a one-epoch loss (points only).
fn curves(out: &Path) -> Res {
    let curve = |f: &dyn Fn(f64) -> f64| (1..=20).map(|e| (e as f64, f(e as f64))).collect();
    line_chart(
        &out.join("accuracy"),
        "Accuracy",
        "epoch",
        "accuracy",
        &[
            Series {
                name: "train".into(),
                points: curve(&|e| 0.99 - 0.3 / (e + 1.0)),
                markers_only: false,
            },
            Series {
                name: "test".into(),
                points: curve(&|e| 0.975 - 0.3 / (e + 1.0)),
                markers_only: false,
            },
        ],
    )?;
    line_chart(
        &out.join("loss_one_epoch"),
        "Loss",
        "epoch",
        "loss",
        &[
            Series {
                name: "train".into(),
                points: vec![(1.0, 0.42)],
                markers_only: false,
            },
            Series {
                name: "test".into(),
                points: vec![(1.0, 0.35)],
                markers_only: false,
            },
        ],
    )?;
    Ok(())
}

/// A rate-coded ring "digit" as a spike map and a hidden layer as a raster; returns the input
/// grid and the hidden neurons' firing probabilities.
fn spike_grids(
    out: &Path,
    rng: &mut Rng,
) -> Result<(SpikeGrid, Vec<f64>), Box<dyn std::error::Error>> {
    // Rate-coded "digit": a ring of bright pixels in a 28×28 image, 100 steps.
    let mut input = SpikeGrid::new(784, 100);
    for n in 0..784 {
        let (r, c) = ((n / 28) as f64 - 13.5, (n % 28) as f64 - 13.5);
        let intensity = (-((r * r + c * c).sqrt() - 8.0).powi(2) / 6.0).exp();
        for t in 0..100 {
            input.set(n, t, rng.next() < intensity * 0.6);
        }
    }
    let g = spike_map(
        &out.join("spike_map"),
        "SpikeMap for Digit 4",
        &input,
        "time step",
        "input neuron",
    )?;
    println!("spike_map: {g:?}");

    let mut hidden = SpikeGrid::new(100, 100);
    let rates: Vec<f64> = (0..100).map(|_| rng.next().powi(2) * 0.5).collect();
    for (n, &p) in rates.iter().enumerate() {
        for t in 0..100 {
            hidden.set(n, t, rng.next() < p);
        }
    }
    let g = raster(
        &out.join("raster"),
        "Hidden layer spikes",
        &hidden,
        "time step",
        "hidden neuron",
    )?;
    println!("raster: {g:?}");
    Ok((input, rates))
}

/// The firing-rate histogram of both layers and a near-diagonal confusion matrix.
fn rates_and_confusion(out: &Path, rng: &mut Rng, input: &SpikeGrid, rates: Vec<f64>) -> Res {
    let input_rates: Vec<f64> = (0..784)
        .map(|n| (0..100).filter(|&t| input.get(n, t)).count() as f64 / 100.0)
        .collect();
    firing_rate_histogram(
        &out.join("firing_rates"),
        "Firing rates",
        &[("input".into(), input_rates), ("hidden".into(), rates)],
        25,
    )?;

    let matrix: Vec<Vec<u64>> = (0..10)
        .map(|t| {
            (0..10)
                .map(|p| {
                    if t == p {
                        960 + 3 * t
                    } else {
                        (rng.next() * 12.0) as u64
                    }
                })
                .collect()
        })
        .collect();
    confusion_matrix(
        &out.join("confusion"),
        "Confusion matrix (test set)",
        &matrix,
        &(0..10).map(|c| c.to_string()).collect::<Vec<_>>(),
    )?;
    Ok(())
}
