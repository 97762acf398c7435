//! Spike maps and rasters: the drawn cells read back from the PNG must be exactly the grid.

use crate::common::{Rng, check_figure, dark};
use snn_plot::{GridGeometry, SpikeGrid, grid_geometry, raster, spike_map};

const SPIKE: (u8, u8, u8) = (20, 20, 20);

fn random_grid(rows: usize, cols: usize, density: f64, seed: u64) -> SpikeGrid {
    let mut rng = Rng::new(seed);
    SpikeGrid {
        rows,
        cols,
        on: (0..rows * cols).map(|_| rng.next_f64() < density).collect(),
    }
}

/// Reads every cell's centre pixel; asserts on ⇔ spike colour and returns the on count.
fn count_on_cells(img: &crate::common::Image, g: &GridGeometry, grid: &SpikeGrid) -> usize {
    let mut on = 0;
    for r in 0..g.rows {
        for c in 0..g.cols {
            let (x, y) = g.centre(r, c);
            let lit = img.pixel(x, y) == SPIKE;
            assert_eq!(lit, grid.get(r, c), "cell ({r}, {c}) at pixel ({x}, {y})");
            on += lit as usize;
        }
    }
    on
}

fn check_grid(
    g: &GridGeometry,
    grid: &SpikeGrid,
    stem: &std::path::Path,
    title: &str,
) -> crate::common::Image {
    assert_eq!(*g, grid_geometry(grid.rows, grid.cols));
    assert_eq!((g.rows, g.cols), (grid.rows, grid.cols));
    let (img, texts) = check_figure(stem, (g.width, g.height));
    assert!(
        texts.iter().any(|t| t == title),
        "title missing from SVG: {texts:?}"
    );
    // The grid fits in the image.
    let (gw, gh) = g.grid_size();
    assert!(g.x0 + gw <= img.width && g.y0 + gh <= img.height);
    assert_eq!(count_on_cells(&img, g, grid), grid.count());
    // The title is drawn (dark pixels above the grid): the bundled font works.
    assert!(
        img.count_in((0, 0, img.width, g.y0 - 2), dark) > 50,
        "no title pixels"
    );
    img
}

#[test]
fn mnist_sized_spike_map_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let grid = random_grid(784, 100, 0.13, 4);
    assert!(
        grid.count() > 9000 && grid.count() < 11500,
        "density off: {}",
        grid.count()
    );
    let stem = dir.path().join("spike_map");
    let g = spike_map(
        &stem,
        "SpikeMap for Digit 4",
        &grid,
        "time step",
        "input neuron",
    )
    .unwrap();
    assert_eq!((g.cell_w, g.cell_h), (8, 1));
    check_grid(&g, &grid, &stem, "SpikeMap for Digit 4");
}

#[test]
fn mnist_sized_raster_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let grid = random_grid(784, 100, 0.13, 9);
    let stem = dir.path().join("raster");
    let g = raster(
        &stem,
        "Hidden layer raster",
        &grid,
        "time step",
        "hidden neuron",
    )
    .unwrap();
    check_grid(&g, &grid, &stem, "Hidden layer raster");
}

/// On a small grid every pixel of every cell is checked, not only the centre.
#[test]
fn small_spike_map_cells_are_exact_rectangles() {
    let dir = tempfile::tempdir().unwrap();
    let grid = random_grid(10, 7, 0.3, 1);
    let stem = dir.path().join("small");
    let g = spike_map(&stem, "small", &grid, "t", "n").unwrap();
    assert_eq!((g.cell_w, g.cell_h), (40, 40));
    let img = check_grid(&g, &grid, &stem, "small");
    for r in 0..g.rows {
        for c in 0..g.cols {
            let x = g.x0 + c as u32 * g.cell_w;
            let y = g.y0 + r as u32 * g.cell_h;
            let want = if grid.get(r, c) {
                SPIKE
            } else {
                snn_plot::SPIKE_MAP_OFF_RGB
            };
            let rect = (x, y, x + g.cell_w, y + g.cell_h);
            let n = img.count_in(rect, |p| p == want);
            assert_eq!(
                n,
                (g.cell_w * g.cell_h) as usize,
                "cell ({r}, {c}) not uniform"
            );
        }
    }
    // The pixels just outside the grid are the frame, so no cell spills over.
    let frame = (120, 120, 120);
    let (gw, gh) = g.grid_size();
    for x in g.x0..g.x0 + gw {
        assert_eq!(img.pixel(x, g.y0 - 1), frame);
        assert_eq!(img.pixel(x, g.y0 + gh), frame);
    }
    for y in g.y0..g.y0 + gh {
        assert_eq!(img.pixel(g.x0 - 1, y), frame);
        assert_eq!(img.pixel(g.x0 + gw, y), frame);
    }
}

#[test]
fn small_raster_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let grid = random_grid(10, 7, 0.3, 2);
    let stem = dir.path().join("small_raster");
    let g = raster(&stem, "raster", &grid, "t", "n").unwrap();
    let img = check_grid(&g, &grid, &stem, "raster");
    // Off cells are entirely white; on cells hold a tick but are not filled.
    for r in 0..g.rows {
        for c in 0..g.cols {
            let x = g.x0 + c as u32 * g.cell_w;
            let y = g.y0 + r as u32 * g.cell_h;
            let rect = (x, y, x + g.cell_w, y + g.cell_h);
            let spikes = img.count_in(rect, |p| p == SPIKE);
            if grid.get(r, c) {
                assert!(spikes > 0 && spikes < (g.cell_w * g.cell_h) as usize);
            } else {
                assert_eq!(
                    img.count_in(rect, |p| p == snn_plot::RASTER_OFF_RGB),
                    (g.cell_w * g.cell_h) as usize
                );
            }
        }
    }
}

#[test]
fn empty_and_full_grids() {
    let dir = tempfile::tempdir().unwrap();
    for (name, density) in [("none", 0.0), ("all", 1.1)] {
        let grid = random_grid(30, 20, density, 3);
        let stem = dir.path().join(name);
        let g = spike_map(&stem, name, &grid, "t", "n").unwrap();
        check_grid(&g, &grid, &stem, name);
        let g = raster(
            &dir.path().join(format!("{name}_raster")),
            name,
            &grid,
            "t",
            "n",
        )
        .unwrap();
        check_grid(&g, &grid, &dir.path().join(format!("{name}_raster")), name);
    }
}

#[test]
fn one_cell_grid() {
    let dir = tempfile::tempdir().unwrap();
    let grid = SpikeGrid {
        rows: 1,
        cols: 1,
        on: vec![true],
    };
    let stem = dir.path().join("one");
    let g = spike_map(&stem, "one", &grid, "t", "n").unwrap();
    check_grid(&g, &grid, &stem, "one");
}

#[test]
fn inconsistent_grid_is_an_error_naming_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("bad");
    let grid = SpikeGrid {
        rows: 3,
        cols: 4,
        on: vec![false; 11],
    };
    let err = spike_map(&stem, "bad", &grid, "t", "n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad.png") && msg.contains("11 cells"), "{msg}");
    let empty = SpikeGrid::new(0, 5);
    assert!(raster(&stem, "bad", &empty, "t", "n").is_err());
    assert!(crate::common::listing(dir.path()).is_empty());
}
