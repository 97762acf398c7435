//! Figures and the spike report: every figure is written and readable, spike maps show exactly
//! the spikes they were drawn from, and SynOps equal a hand count.

use std::path::Path;

use crate::common::{ok, smoke_run};
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use snn_model::{LifConfig, SnnConfig};
use snn_train::analysis::{activity, grid};

fn assert_png(path: &Path) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_rgb8();
    let (w, h) = img.dimensions();
    assert!(w >= 200 && h >= 200, "{}: {w}x{h}", path.display());
    let first = img.get_pixel(0, 0);
    assert!(
        img.pixels().any(|p| p != first),
        "{}: blank image",
        path.display()
    );
}

fn assert_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        doc.root_element().tag_name().name(),
        "svg",
        "{}",
        path.display()
    );
}

#[test]
fn training_writes_every_figure_and_tensorboard_images() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(smoke_run("flex", &run, &[]));
    let figures = run.join("figures");
    for name in [
        "accuracy",
        "loss",
        "spikemap-digit-0",
        "spikemap-digit-4",
        "spikemap-digit-7",
        "raster-hidden",
        "firing-rates",
        "confusion",
    ] {
        assert_png(&figures.join(format!("{name}.png")));
        assert_svg(&figures.join(format!("{name}.svg")));
    }
    let events = std::fs::read_dir(&figures)
        .unwrap()
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .expect("an event file with the spike-map images");
    let images = tfevents::read_records(&events.path())
        .unwrap()
        .iter()
        .filter_map(|r| tfevents::decode_event(r))
        .flat_map(|e| e.values)
        .filter(|v| matches!(v.data, tfevents::ValueData::Image { .. }))
        .count();
    assert_eq!(images, 3);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    assert!(report["energy"]["synops_per_inference"].as_f64().unwrap() > 0.0);
}

#[test]
fn spike_map_shows_exactly_the_encoded_spikes() {
    let device = Device::flex();
    device.seed(11);
    let data = mnist_idx::LabeledImages::load_split(&crate::common::mnist_dir(), "t10k").unwrap();
    let x = snn_train::data::intensities(&data, &[0], &device);
    let spikes = snn_model::encoder::poisson(x, 100, 1.0);
    let expected = spikes.clone().sum().into_scalar::<f32>() as usize;
    let g = grid(&spikes, 0);
    assert_eq!(g.count(), expected);
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("map");
    let geometry = snn_plot::spike_map(&stem, "digit 7", &g, "time step", "input neuron").unwrap();
    let img = image::open(stem.with_extension("png")).unwrap().into_rgb8();
    let on = (0..g.rows)
        .flat_map(|r| (0..g.cols).map(move |c| (r, c)))
        .filter(|&(r, c)| {
            let (x, y) = geometry.centre(r, c);
            let p = img.get_pixel(x, y).0;
            (p[0], p[1], p[2]) == snn_plot::SPIKE_RGB
        })
        .count();
    assert_eq!(on, expected, "on cells in the PNG vs spikes in the tensor");
}

/// 3 inputs → 2 LIF (β = 0.5, θ = 1, reset by subtraction) → 2 outputs, T = 4, fixed weights
/// and input spikes. Hidden currents per step are [2,0], [0,2], [2,2], [0,0]:
/// neuron 0: u = 2 (spike), 0.5·2 + 0 − 1 = 0, 0 + 2 = 2 (spike), 1 + 0 − 1 = 0 → 2 spikes;
/// neuron 1: u = 0, 2 (spike), 1 + 2 − 1 = 2 (spike), 1 − 1 = 0 → 2 spikes.
/// SynOps = 3 input spikes × 2 + 4 hidden spikes × 2 = 14; ANN MACs = 3·2 + 2·2 = 10.
#[test]
fn synops_equal_a_hand_count() {
    let device = Device::flex();
    let config = SnnConfig {
        inputs: 3,
        hidden: vec![2],
        classes: 2,
        steps: 4,
        lif: LifConfig {
            beta: Some(0.5),
            threshold: 1.0,
            ..LifConfig::default()
        },
        ..SnnConfig::default()
    };
    let mut snn = config.init(&device);
    let w = Tensor::<2>::from_data(
        TensorData::new(vec![2.0f32, 0.0, 0.0, 2.0, 2.0, 2.0], [3, 2]),
        &device,
    );
    snn.hidden[0].weight = Param::from_tensor(w);
    snn.hidden[0].bias = Some(Param::from_tensor(Tensor::zeros([2], &device)));
    let input = vec![
        1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0,
    ];
    let trace = snn.trace_spikes(Tensor::<3>::from_data(
        TensorData::new(input, [4, 1, 3]),
        &device,
    ));
    let hidden: Vec<f32> = trace.layers[1].clone().into_data().iter::<f32>().collect();
    assert_eq!(hidden, vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
    let layers = activity(&snn, &trace.layers);
    assert_eq!((layers[0].spikes, layers[0].fan_out), (3.0, 2));
    assert_eq!((layers[1].spikes, layers[1].fan_out), (4.0, 2));
    let report = snn_plot::energy_report(&layers, &snn.dense_layers(), 1, 4);
    assert_eq!(report.synops_per_inference, 14.0);
    assert_eq!(report.ann_macs_per_inference, 10.0);
    assert!((report.snn_energy_pj - 14.0 * 0.9).abs() < 1e-9);
    assert!((report.ann_energy_pj - 10.0 * 4.6).abs() < 1e-9);
}
