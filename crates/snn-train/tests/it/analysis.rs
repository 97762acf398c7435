//! Figures and the spike report: every figure is written and readable, spike maps show exactly
//! the spikes they were drawn from, and SynOps equal a hand count.

use std::path::Path;

use crate::common::{ok, smoke_run};
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use snn_model::{LifConfig, SnnConfig};
use snn_train::analysis::{plot::grid, report::activity};

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

    // `snn-train plot` draws them again from the finished run.
    std::fs::remove_dir_all(&figures).unwrap();
    let data = crate::common::mnist_dir();
    let args = ["plot", "--backend", "flex", "--run", run.to_str().unwrap()];
    let out = ok(crate::common::snn_train(
        &[
            &args[..],
            &["--data", data.to_str().unwrap(), "--test-limit", "200"],
        ]
        .concat(),
    ));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("figures written to"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for name in [
        "accuracy",
        "loss",
        "spikemap-digit-4",
        "raster-hidden",
        "confusion",
    ] {
        assert_png(&figures.join(format!("{name}.png")));
        assert_svg(&figures.join(format!("{name}.svg")));
    }
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
        hidden: Some(vec![2]),
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
    let snn_model::layer::Layer::Linear(linear) = &mut snn.layers[0] else {
        panic!("hidden = [2] starts with a linear layer");
    };
    linear.weight = Param::from_tensor(w);
    linear.bias = Some(Param::from_tensor(Tensor::zeros([2], &device)));
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
    let report = snn_train::analysis::energy::energy_report(
        &layers,
        snn.ann_macs(),
        snn.dense_input_macs(),
        1,
        4,
        snn_train::analysis::energy::EnergyCosts::default(),
    );
    assert_eq!(report.synops_per_inference, 14.0);
    assert_eq!(report.ann_macs_per_inference, 10.0);
    assert!((report.snn_energy_pj - 14.0 * 0.9).abs() < 1e-9);
    assert!((report.ann_energy_pj - 10.0 * 4.6).abs() < 1e-9);
}

/// A conv run (configs/conv.toml, direct input, a few hundred images) works with every command:
/// training's figures (a raster per neuron layer, no input spike maps), eval, report and
/// predict; report.json's per-layer SynOps use the conv fan-out.
#[test]
fn a_conv_run_works_with_eval_plot_report_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let flags = [
        "--config",
        "configs/conv.toml",
        "--train-limit",
        "600",
        "--test-limit",
        "200",
        "--epochs",
        "1",
        "--steps",
        "2",
    ];
    ok(crate::common::train_run("flex", &run, &flags));
    let figures = run.join("figures");
    for name in [
        "raster-hidden",
        "raster-hidden1",
        "raster-hidden2",
        "raster-hidden3",
        "firing-rates",
        "confusion",
    ] {
        assert_png(&figures.join(format!("{name}.png")));
    }
    assert!(
        !figures.join("spikemap-digit-0.png").exists(),
        "direct input has no input spikes"
    );
    let data = crate::common::mnist_dir();
    let on_run = |command: &str, extra: &[&str]| {
        let mut args = vec![command, "--backend", "flex", "--run", run.to_str().unwrap()];
        args.extend_from_slice(extra);
        crate::common::snn_train(&args)
    };
    let eval = ok(on_run(
        "eval",
        &["--data", data.to_str().unwrap(), "--test-limit", "100"],
    ));
    let table = String::from_utf8_lossy(&eval.stdout).into_owned();
    assert!(table.contains("(100 images)"), "{table}");
    check_eval_table(&table, &run, &data, 100);
    ok(on_run(
        "report",
        &["--data", data.to_str().unwrap(), "--images", "50"],
    ));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    let layers = report["energy"]["per_layer"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hidden0", "hidden1", "hidden2", "hidden3"]);
    // hidden0 (the neurons after conv 1) feeds conv 2: fan-out = its channels × 3².
    let config = snn_train::config::RunConfig::load(&run.join("config.toml")).unwrap();
    let plan = config.model.plan("model").unwrap();
    let snn_model::LayerConfig::Conv2d { channels, .. } = plan[4].config else {
        panic!("configs/conv.toml: layer 4 is the second conv");
    };
    assert_eq!(plan[4].fan_out, channels * 9);
    // Counted independently of the report: hidden0's spikes on the same 50 test images (direct
    // input, so the same currents), traced in this process, × the fan-out, per image.
    let model = snn_train::run::Run::open(&run, &Device::flex()).unwrap();
    let test = model.test_data(&data, Some(50)).unwrap();
    let indices: Vec<usize> = (0..50).collect();
    let x = snn_train::data::intensities(test.images(), &indices, &model.device);
    let trace = model.model.snn.trace(x);
    let names = model.model.snn.spiking_layer_names();
    let hidden0 = names.iter().position(|n| n == "hidden0").unwrap();
    let spikes: f64 = trace.layers[hidden0].clone().sum().into_scalar::<f64>();
    assert!(spikes > 0.0, "hidden0 never fired on 50 images");
    let synops = layers[0]["synops_per_inference"].as_f64().unwrap();
    let expected = spikes * (channels * 9) as f64 / 50.0;
    assert!(
        (synops - expected).abs() <= 1e-6 * expected.max(1.0),
        "{synops} vs {expected}"
    );
    // Direct input: conv 1 runs densely once per image (28·28 outputs × its channels × 3²).
    let dense = report["energy"]["snn_dense_macs_per_inference"]
        .as_f64()
        .unwrap();
    assert_eq!(dense, plan[0].macs as f64);
    assert_eq!(plan[0].macs, plan[0].output.len() * 9);
    // The default energies are stated with their numbers; other ones price each side.
    let energy = &report["energy"];
    assert_eq!(energy["costs"]["ac_pj"], 0.9);
    assert_eq!(energy["costs"]["mac_pj"], 4.6);
    assert!(
        report["energy_leaves_out"]
            .as_str()
            .unwrap()
            .contains("memory")
    );
    let synops_all = energy["synops_per_inference"].as_f64().unwrap();
    let ann_macs = energy["ann_macs_per_inference"].as_f64().unwrap();
    let args = [
        "--data",
        data.to_str().unwrap(),
        "--images",
        "50",
        "--ac-pj",
        "0.03",
        "--mac-pj",
        "0.2",
    ];
    ok(on_run("report", &args));
    let priced: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    let snn_pj = priced["energy"]["snn_energy_pj"].as_f64().unwrap();
    let expected = synops_all * 0.03 + dense * 0.2;
    assert!(
        (snn_pj - expected).abs() <= 1e-9 * expected,
        "{snn_pj} vs {expected}"
    );
    let ann_pj = priced["energy"]["ann_energy_pj"].as_f64().unwrap();
    assert!(
        (ann_pj - ann_macs * 0.2).abs() <= 1e-9 * ann_pj,
        "{ann_pj} vs {ann_macs} · 0.2"
    );
    assert!(priced["energy_source"].as_str().unwrap().contains("given"));
    let refused = on_run(
        "report",
        &["--data", data.to_str().unwrap(), "--ac-pj", "0"],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--ac-pj 0: an energy per operation")
    );
    let png = figures.join("confusion.png");
    ok(on_run(
        "predict",
        &["--samples", "2", png.to_str().unwrap()],
    ));
}

/// SynOps of a conv network equal a hand count: `conv2d(1, k1) → lif → conv2d(2, k3, p1) → lif
/// → flatten` on a 2×2 direct input. hidden0's spikes reach 2·3² = 18 synapses each, hidden1's
/// (flat, 8 neurons) reach the 2 classes. ANN MACs: conv1 4·1 + conv2 8·9 + readout 8·2 = 92.
#[test]
fn conv_synops_use_the_kernel_fan_out() {
    use snn_model::{EncoderConfig, LayerConfig};
    let device = Device::flex();
    let conv = |channels, kernel, padding| LayerConfig::Conv2d {
        channels,
        kernel,
        stride: 1,
        padding,
        bias: false,
    };
    let config = SnnConfig {
        inputs: 4,
        input_shape: Some([1, 2, 2]),
        hidden: None,
        layers: vec![
            conv(1, 1, 0),
            LayerConfig::lif(),
            conv(2, 3, 1),
            LayerConfig::lif(),
            LayerConfig::Flatten {},
        ],
        classes: 2,
        steps: 3,
        encoder: EncoderConfig::Direct {},
        ..SnnConfig::default()
    };
    let snn = config.init(&device);
    let fan_outs: Vec<usize> = snn.spiking_layers().iter().map(|l| l.fan_out).collect();
    assert_eq!(fan_outs, [18, 2]);
    assert_eq!(snn.ann_macs(), 92.0);
    assert_eq!(snn.dense_input_macs(), 4.0);
    let trace = snn.trace(Tensor::<2>::from_data(
        TensorData::new(vec![1.0f32, 0.5, 0.0, 1.0], [1, 4]),
        &device,
    ));
    let layers = activity(&snn, &trace.layers);
    let report = snn_train::analysis::energy::energy_report(
        &layers,
        snn.ann_macs(),
        snn.dense_input_macs(),
        1,
        3,
        snn_train::analysis::energy::EnergyCosts::default(),
    );
    let expected = layers[0].spikes * 18.0 + layers[1].spikes * 2.0;
    assert_eq!(report.synops_per_inference, expected);
    assert!((report.snn_energy_pj - (expected * 0.9 + 4.0 * 4.6)).abs() < 1e-9);
}

/// Training-time shifts: an image moves by whole pixels (zeros fill in), the same seed gives the
/// same shifts, and a batcher without shift leaves images alone.
#[test]
fn augmentation_shifts_images_reproducibly() {
    use burn::data::dataloader::batcher::Batcher;
    use mnist_idx::{IdxImages, LabeledImages};
    use snn_train::data::DigitItem;
    use snn_train::data::augment::shift_image;
    use snn_train::data::batcher::DigitBatcher;
    let image: Vec<u8> = (1..=9).collect();
    assert_eq!(shift_image(&image, 3, 3, 1, 0), [0, 1, 2, 0, 4, 5, 0, 7, 8]);
    assert_eq!(
        shift_image(&image, 3, 3, 0, -1),
        [4, 5, 6, 7, 8, 9, 0, 0, 0]
    );
    assert_eq!(shift_image(&image, 3, 3, 0, 0), image);
    let device = Device::flex();
    let pixels: Vec<u8> = (0..16)
        .flat_map(|i| (0..25).map(move |p| ((p * 7 + i * 3) % 256) as u8))
        .collect();
    let data = std::sync::Arc::new(LabeledImages {
        images: IdxImages {
            count: 16,
            rows: 5,
            cols: 5,
            pixels: pixels.clone(),
        },
        labels: vec![0; 16],
    });
    let items: Vec<DigitItem> = (0..16).map(|index| DigitItem { index, label: 0 }).collect();
    let batch = |batcher: DigitBatcher| -> Vec<f32> {
        batcher
            .batch(items.clone(), &device)
            .images
            .into_data()
            .iter::<f32>()
            .collect()
    };
    let plain = batch(DigitBatcher::new(data.clone()));
    let original: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(plain, original);
    let (a, b) = (
        batch(DigitBatcher::new(data.clone()).with_shift(2, 7)),
        batch(DigitBatcher::new(data.clone()).with_shift(2, 7)),
    );
    assert_eq!(a, b, "same seed, same shifts");
    assert_ne!(a, original, "16 images and none shifted");
}

/// Rotations and scalings: a quarter turn of a 5×5 image is `np.rot90` (counter-clockwise on
/// screen), a warp without rotation or scaling is the integer shift, scaling keeps the centre
/// pixel, draws stay in their ranges and keep the shifts of a shift-only run, and a rotating
/// batcher gives the same batches on the device path (which hands warps to the host) as on the
/// host path.
#[test]
fn augmentation_rotates_and_scales_images() {
    use burn::data::dataloader::batcher::Batcher;
    use mnist_idx::{IdxImages, LabeledImages};
    use snn_train::data::DigitItem;
    use snn_train::data::augment::{Augment, Transform, shift_image, warp_image};
    use snn_train::data::batcher::{DataPath, DigitBatcher};
    let image: Vec<u8> = (0..25).map(|p| (p * 10) as u8).collect();
    let quarter = Transform {
        angle: std::f64::consts::FRAC_PI_2,
        ..Transform::IDENTITY
    };
    let turned = warp_image(&image, 5, 5, &quarter);
    for r in 0..5 {
        for c in 0..5 {
            let want = image[c * 5 + (4 - r)] as f32;
            let got = turned[r * 5 + c];
            assert!((got - want).abs() < 1e-3, "({r}, {c}): {got} vs {want}");
        }
    }
    let moved = Transform {
        dx: 1,
        dy: -2,
        ..Transform::IDENTITY
    };
    let as_floats: Vec<f32> = shift_image(&image, 5, 5, 1, -2)
        .iter()
        .map(|&p| p as f32)
        .collect();
    assert_eq!(warp_image(&image, 5, 5, &moved), as_floats);
    let doubled = Transform {
        scale: 2.0,
        ..Transform::IDENTITY
    };
    let big = warp_image(&image, 5, 5, &doubled);
    assert_eq!(big[12], image[12] as f32);
    assert_eq!(big[13], (image[12] as f32 + image[13] as f32) / 2.0);

    let augment = Augment {
        shift: 2,
        rotate: 10.0,
        scale: 0.1,
    };
    let shift_only = Augment {
        shift: 2,
        ..Augment::default()
    };
    let draws: Vec<Transform> = (0..2000).map(|n| augment.draw(5, n)).collect();
    for (n, t) in draws.iter().enumerate() {
        assert!(t.angle.abs() <= 10f64.to_radians() && (0.9..=1.1).contains(&t.scale));
        let s = shift_only.draw(5, n as u64);
        assert_eq!((t.dx, t.dy), (s.dx, s.dy), "draw {n}: the shift changed");
        assert!(!s.warps());
    }
    let share = |f: &dyn Fn(&Transform) -> bool| {
        draws.iter().filter(|t| f(t)).count() as f64 / draws.len() as f64
    };
    assert!((0.2..0.3).contains(&share(&|t| t.angle > 5f64.to_radians())));
    assert!((0.2..0.3).contains(&share(&|t| t.scale < 0.95)));

    let device = Device::flex();
    let data = std::sync::Arc::new(LabeledImages {
        images: IdxImages {
            count: 8,
            rows: 5,
            cols: 5,
            pixels: (0..8).flat_map(|_| image.clone()).collect(),
        },
        labels: vec![3; 8],
    });
    let items: Vec<DigitItem> = (0..8).map(|index| DigitItem { index, label: 3 }).collect();
    let batch = |path: DataPath| -> Vec<f32> {
        DigitBatcher::new(data.clone())
            .with_augment(augment, 9)
            .on(path)
            .batch(items.clone(), &device)
            .images
            .into_data()
            .iter::<f32>()
            .collect()
    };
    let (host, on_device) = (batch(DataPath::Host), batch(DataPath::Device));
    assert_eq!(host, on_device);
    let first: Vec<f32> = image.iter().map(|&p| p as f32 / 255.0).collect();
    assert_ne!(host[..25], first[..]);
    assert_ne!(host[..25], host[25..50], "two images, one transform");
}

/// The data directory's `classes.txt` (as `cargo xtask fetch-mnist` writes for Fashion-MNIST)
/// names the classes in eval's table, the confusion matrix figure and, carried into the run, in
/// predict's; a file with the wrong number of names, or a huge name, is refused.
#[test]
fn eval_and_predict_name_the_classes_of_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for entry in std::fs::read_dir(crate::common::mnist_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("ubyte") {
            std::os::unix::fs::symlink(&path, data.join(path.file_name().unwrap())).unwrap();
        }
    }
    let names = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ];
    let write_names = |names: &[&str]| {
        std::fs::write(data.join("classes.txt"), names.join("\n") + "\n").unwrap();
    };
    write_names(&names);
    let run = dir.path().join("run");
    let (run_s, data_s) = (run.to_str().unwrap(), data.to_str().unwrap());
    crate::common::ok(crate::common::snn_train(&[
        "--backend",
        "flex",
        "--data",
        data_s,
        "--out",
        run_s,
        "--train-limit",
        "320",
        "--validation",
        "0.1",
        "--test-limit",
        "100",
        "--epochs",
        "1",
        "--steps",
        "5",
    ]));
    let eval = || {
        crate::common::snn_train(&[
            "eval",
            "--backend",
            "flex",
            "--run",
            run_s,
            "--data",
            data_s,
            "--test-limit",
            "50",
        ])
    };
    let svg = std::fs::read_to_string(run.join("figures/confusion.svg")).unwrap();
    assert!(
        svg.contains("Ankle boot (9)") && svg.contains("T-shirt/top (0)"),
        "training's confusion matrix names the classes"
    );
    let out = crate::common::ok(eval());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  9 Ankle boot: ") && text.contains(" 0 T-shirt/top: "),
        "{text}"
    );
    let png = run.join("figures/confusion.png");
    let out = crate::common::ok(crate::common::snn_train(&[
        "predict",
        "--backend",
        "flex",
        "--run",
        run_s,
        "--samples",
        "1",
        png.to_str().unwrap(),
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(" Trouser") && text.contains("<- predicted"),
        "{text}"
    );
    write_names(&names[..9]);
    let out = eval();
    let err = crate::common::stderr(&out);
    assert!(
        !out.status.success() && err.contains("classes.txt: names 9 classes but the model has 10"),
        "{err}"
    );
    let long = "x".repeat(100_000);
    write_names(&[&names[..9], &[long.as_str()]].concat());
    let out = eval();
    let err = crate::common::stderr(&out);
    assert!(
        !out.status.success() && err.contains("line 10: a class name of 100000 characters"),
        "{err}"
    );
}

/// `eval`'s table against a count made here: labels read with mnist-idx, predictions the argmax
/// of the logits traced in this process; the per-class accuracy and the overall accuracy follow
/// from that confusion matrix.
fn check_eval_table(table: &str, run: &Path, data: &Path, images: usize) {
    let labels = mnist_idx::LabeledImages::load_split(data, "t10k")
        .unwrap()
        .labels;
    let model = snn_train::run::Run::open(run, &Device::flex()).unwrap();
    let test = model.test_data(data, Some(images)).unwrap();
    let indices: Vec<usize> = (0..images).collect();
    let x = snn_train::data::intensities(test.images(), &indices, &model.device);
    let logits = model.model.snn.trace(x).logits;
    let predicted: Vec<i64> = logits.argmax(1).into_data().iter::<i64>().collect();
    let mut confusion = vec![vec![0u64; 10]; 10];
    for (i, &p) in predicted.iter().enumerate() {
        confusion[labels[i] as usize][p as usize] += 1;
    }
    let lines: Vec<&str> = table.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("confusion matrix"))
        .unwrap()
        + 2;
    let printed: Vec<Vec<u64>> = lines[start..start + 10]
        .iter()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .map(|v| v.parse().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(printed, confusion, "{table}");
    let correct: u64 = (0..10).map(|c| confusion[c][c]).sum();
    let accuracy = format!(
        "test accuracy {:.2}%",
        100.0 * correct as f64 / images as f64
    );
    assert!(table.starts_with(&accuracy), "{accuracy} in\n{table}");
    let per_class = lines
        .iter()
        .position(|l| l.starts_with("per-class"))
        .unwrap()
        + 1;
    for (c, row) in confusion.iter().enumerate() {
        let total: u64 = row.iter().sum();
        let expected = format!("{c}: {:6.2}%", 100.0 * row[c] as f64 / total as f64);
        assert_eq!(lines[per_class + c].trim(), expected.trim(), "{table}");
    }
}
