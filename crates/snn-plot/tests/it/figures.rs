//! Line charts, histograms, confusion matrices and the file contract (both files, atomic
//! writes, errors naming the file).

use crate::common::{assert_texts, check_figure, dark, listing};
use snn_plot::{
    LINE_CHART_SIZE, PlotError, Series, confusion_matrix, confusion_matrix_size,
    firing_rate_histogram, firing_rate_histogram_size, line_chart,
};

const TRAIN_BLUE: (u8, u8, u8) = (31, 119, 180);
const TEST_ORANGE: (u8, u8, u8) = (255, 127, 14);

fn accuracy_series(epochs: usize) -> Vec<Series> {
    let curve = |offset: f64| {
        (1..=epochs)
            .map(|e| (e as f64, 0.9 + offset - 0.5 / (e as f64 + 1.0)))
            .collect()
    };
    vec![
        Series {
            name: "train".into(),
            points: curve(0.05),
            markers_only: false,
        },
        Series {
            name: "test".into(),
            points: curve(0.0),
            markers_only: false,
        },
    ]
}

#[test]
fn accuracy_chart() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("accuracy");
    line_chart(&stem, "Accuracy", "epoch", "accuracy", &accuracy_series(10)).unwrap();
    let (img, texts) = check_figure(&stem, LINE_CHART_SIZE);
    assert_texts(&texts, &["Accuracy", "epoch", "accuracy", "train", "test"]);
    let all = (0, 0, img.width, img.height);
    assert!(img.count_in(all, |p| p == TRAIN_BLUE) > 200);
    assert!(img.count_in(all, |p| p == TEST_ORANGE) > 200);
    // Title text is rendered in the PNG with the bundled font.
    assert!(img.count_in((0, 0, img.width, 45), dark) > 50);
    assert_eq!(listing(dir.path()), ["accuracy.png", "accuracy.svg"]);
}

/// A one-epoch run: one point per series must still show (as markers).
#[test]
fn single_point_series_draw_markers() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("loss");
    let series = vec![
        Series {
            name: "train".into(),
            points: vec![(1.0, 0.7)],
            markers_only: false,
        },
        Series {
            name: "test".into(),
            points: vec![(1.0, 0.6)],
            markers_only: false,
        },
    ];
    line_chart(&stem, "Loss", "epoch", "loss", &series).unwrap();
    let (img, _) = check_figure(&stem, LINE_CHART_SIZE);
    // A radius-4 disc has ~50 pixels of the exact colour, plus the legend's marker.
    let all = (0, 0, img.width, img.height);
    assert!(img.count_in(all, |p| p == TRAIN_BLUE) >= 40);
    assert!(img.count_in(all, |p| p == TEST_ORANGE) >= 40);
}

#[test]
fn degenerate_line_charts_still_render() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<Series>)> = vec![
        ("none", vec![]),
        (
            "empty",
            vec![Series {
                name: "x".into(),
                points: vec![],
                markers_only: false,
            }],
        ),
        (
            "nan",
            vec![Series {
                name: "".into(),
                points: vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
                markers_only: false,
            }],
        ),
        (
            "flat",
            vec![Series {
                name: "flat".into(),
                points: vec![(0.0, 0.0), (1.0, 0.0)],
                markers_only: false,
            }],
        ),
    ];
    for (name, series) in cases {
        let stem = dir.path().join(name);
        line_chart(&stem, name, "x", "y", &series).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_figure(&stem, LINE_CHART_SIZE);
    }
}

#[test]
fn firing_rate_histogram_one_panel_per_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = crate::common::Rng::new(7);
    let layers = vec![
        (
            "input".to_string(),
            (0..784).map(|_| rng.next_f64() * 0.3).collect::<Vec<_>>(),
        ),
        (
            "hidden".to_string(),
            (0..1000).map(|_| rng.next_f64().powi(3)).collect(),
        ),
        ("output".to_string(), vec![0.0, 0.1, 0.5, 1.0]),
    ];
    let stem = dir.path().join("nested/dir/firing_rates");
    firing_rate_histogram(&stem, "Firing rates", &layers, 20).unwrap();
    let (img, texts) = check_figure(&stem, firing_rate_histogram_size(3));
    assert_eq!(firing_rate_histogram_size(3), (900, 950));
    assert!(texts.iter().any(|t| t == "Firing rates"));
    for layer in [
        "input: 784 neurons",
        "hidden: 1000 neurons",
        "output: 4 neurons",
    ] {
        assert!(
            texts.iter().any(|t| t.starts_with(layer)),
            "{layer:?} missing: {texts:?}"
        );
    }
    // Bars of the first two layers' colours are drawn.
    let all = (0, 0, img.width, img.height);
    let tinted = |(r, g, b): (u8, u8, u8)| {
        move |p: (u8, u8, u8)| {
            // 0.8 alpha over white.
            let mix = |c: u8| (c as f64 * 0.8 + 255.0 * 0.2).round() as i32;
            (p.0 as i32 - mix(r)).abs() <= 2
                && (p.1 as i32 - mix(g)).abs() <= 2
                && (p.2 as i32 - mix(b)).abs() <= 2
        }
    };
    assert!(img.count_in(all, tinted(TRAIN_BLUE)) > 1000);
    assert!(img.count_in(all, tinted(TEST_ORANGE)) > 1000);
}

#[test]
fn histogram_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("h");
    let err = firing_rate_histogram(&stem, "t", &[], 10).unwrap_err();
    assert!(matches!(err, PlotError::InvalidInput { .. }));
    assert!(err.to_string().contains("h.png"), "{err}");
    let err = firing_rate_histogram(&stem, "t", &[("l".into(), vec![0.5])], 0).unwrap_err();
    assert!(err.to_string().contains("bin"), "{err}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn confusion_matrix_heat_map_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let n = 10;
    let matrix: Vec<Vec<u64>> = (0..n)
        .map(|t| {
            (0..n)
                .map(|p| {
                    if t == p {
                        950 + t as u64
                    } else {
                        ((t * 7 + p * 3) % 11) as u64
                    }
                })
                .collect()
        })
        .collect();
    let stem = dir.path().join("confusion");
    let labels = digits(n);
    confusion_matrix(&stem, "Confusion matrix", &matrix, &labels).unwrap();
    let (img, texts) = check_figure(&stem, confusion_matrix_size(&labels));
    assert_texts(
        &texts,
        &[
            "Confusion matrix",
            "predicted class",
            "true class",
            "950",
            "959",
            "0",
            "9",
        ],
    );
    // Diagonal cells are dark, so a good share of the image is dark blue.
    let all = (0, 0, img.width, img.height);
    assert!(img.count_in(all, |p| p.2 > 90 && p.0 < 40) > 10 * 40 * 40);
}

#[test]
fn confusion_matrix_must_be_square() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("cm");
    let err = confusion_matrix(&stem, "t", &[vec![1, 2], vec![3]], &digits(2)).unwrap_err();
    assert!(err.to_string().contains("row 1 has 1 entries"), "{err}");
    assert!(confusion_matrix(&stem, "t", &[], &[]).is_err());
    let err = confusion_matrix(&stem, "t", &[vec![1, 2], vec![3, 4]], &digits(3)).unwrap_err();
    assert!(
        err.to_string().contains("2 classes but 3 class labels"),
        "{err}"
    );
    assert!(listing(dir.path()).is_empty());
    // A 1×1 and a large matrix still render.
    confusion_matrix(&stem, "one class", &[vec![5]], &digits(1)).unwrap();
    check_figure(&stem, confusion_matrix_size(&digits(1)));
    let big: Vec<Vec<u64>> = (0..47)
        .map(|t| (0..47).map(|p| (t == p) as u64 * 100).collect())
        .collect();
    confusion_matrix(&stem, "EMNIST-sized", &big, &digits(47)).unwrap();
    check_figure(&stem, confusion_matrix_size(&digits(47)));
}

fn digits(n: usize) -> Vec<String> {
    (0..n).map(|c| c.to_string()).collect()
}

/// Class names (CIFAR-10's) label the rows, with the numbers of the columns, since they are
/// wider than a cell; the left margin grows to fit them. Names that fit label both axes.
#[test]
fn confusion_matrix_names_the_classes() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    .map(String::from)
    .to_vec();
    let matrix: Vec<Vec<u64>> = (0..10)
        .map(|t| (0..10).map(|p| if t == p { 900 } else { 3 }).collect())
        .collect();
    let stem = dir.path().join("confusion");
    confusion_matrix(&stem, "CIFAR-10", &matrix, &names).unwrap();
    let size = confusion_matrix_size(&names);
    let plain = confusion_matrix_size(&digits(10));
    assert!(
        size.0 > plain.0 && size.1 == plain.1,
        "{size:?} vs {plain:?}"
    );
    let (_, texts) = check_figure(&stem, size);
    assert_texts(
        &texts,
        &[
            "CIFAR-10",
            "airplane (0)",
            "truck (9)",
            "predicted class (numbered as the rows)",
            "true class",
            "900",
        ],
    );
    assert!(!texts.iter().any(|t| t == "automobile"), "{texts:?}");
    // Short names fit under the matrix as they are.
    let short: Vec<String> = ["cat", "dog"].map(String::from).to_vec();
    confusion_matrix(&stem, "pets", &[vec![3, 1], vec![0, 4]], &short).unwrap();
    let (_, texts) = check_figure(&stem, confusion_matrix_size(&short));
    for want in ["cat", "dog", "predicted class"] {
        assert_eq!(
            texts.iter().filter(|t| *t == want).count(),
            1 + (want != "predicted class") as usize,
            "{want:?} in {texts:?}"
        );
    }
}

#[test]
fn stems_with_extensions_and_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let series = accuracy_series(3);
    // A trailing .png is dropped; other dots are kept.
    line_chart(&dir.path().join("acc.png"), "a", "x", "y", &series).unwrap();
    line_chart(&dir.path().join("run.v2"), "b", "x", "y", &series).unwrap();
    // Drawing again replaces the figure in place.
    line_chart(&dir.path().join("acc"), "c", "x", "y", &series).unwrap();
    let (_, texts) = check_figure(&dir.path().join("acc"), LINE_CHART_SIZE);
    assert!(texts.iter().any(|t| t == "c"));
    assert_eq!(
        listing(dir.path()),
        ["acc.png", "acc.svg", "run.v2.png", "run.v2.svg"]
    );
}

#[test]
fn unwritable_location_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not_a_dir");
    std::fs::write(&blocker, b"x").unwrap();
    let stem = blocker.join("sub/accuracy");
    let err = line_chart(&stem, "t", "x", "y", &accuracy_series(2)).unwrap_err();
    assert!(matches!(err, PlotError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("not_a_dir"), "{err}");
    assert_eq!(listing(dir.path()), ["not_a_dir"]);
}
