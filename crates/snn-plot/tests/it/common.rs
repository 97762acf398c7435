//! Helpers shared by the figure tests: PNG decoding, SVG parsing, a tiny deterministic RNG.

#![allow(dead_code)]

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// A decoded PNG as 8-bit RGB.
pub struct Image {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Image {
    pub fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8) {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside image"
        );
        let i = (y as usize * self.width as usize + x as usize) * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Variance of all channel values; 0 for a blank image.
    pub fn variance(&self) -> f64 {
        let n = self.rgb.len() as f64;
        let mean = self.rgb.iter().map(|&v| v as f64).sum::<f64>() / n;
        self.rgb
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n
    }

    /// Pixels in the rectangle `[x0, x1) × [y0, y1)` for which `pred` holds.
    pub fn count_in(
        &self,
        (x0, y0, x1, y1): (u32, u32, u32, u32),
        pred: impl Fn((u8, u8, u8)) -> bool,
    ) -> usize {
        let mut n = 0;
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                if pred(self.pixel(x, y)) {
                    n += 1;
                }
            }
        }
        n
    }
}

pub fn decode_png(path: &Path) -> Image {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        other => panic!("unexpected colour type {other:?}"),
    };
    let mut rgb = Vec::with_capacity(info.width as usize * info.height as usize * 3);
    for row in buf[..info.buffer_size()].chunks(info.line_size) {
        for px in row[..info.width as usize * channels].chunks(channels) {
            match channels {
                1 | 2 => rgb.extend([px[0]; 3]),
                _ => rgb.extend(&px[..3]),
            }
        }
    }
    Image {
        width: info.width,
        height: info.height,
        rgb,
    }
}

/// Parses an SVG file as XML and checks its root; returns all text content of `<text>` nodes.
pub fn parse_svg(path: &Path, width: u32, height: u32) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some(width.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(height.to_string().as_str()));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// Checks both files of a figure: PNG of the given size and not blank, SVG well-formed.
/// Returns the decoded PNG and the SVG's texts.
pub fn check_figure(stem: &Path, size: (u32, u32)) -> (Image, Vec<String>) {
    let (png, svg) = snn_plot::figure_paths(stem);
    let img = decode_png(&png);
    assert_eq!((img.width, img.height), size, "{}", png.display());
    assert!(img.variance() > 0.0, "{} is blank", png.display());
    let texts = parse_svg(&svg, size.0, size.1);
    (img, texts)
}

/// Asserts that each of `wants` is one of the figure's SVG texts.
pub fn assert_texts(texts: &[String], wants: &[&str]) {
    for want in wants {
        assert!(
            texts.iter().any(|t| t == want),
            "{want:?} missing from SVG texts {texts:?}"
        );
    }
}

/// Names in `dir`, sorted (to check that no temporary file is left behind).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// xorshift64*: deterministic test data without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Is this pixel dark (text, lines, spikes)?
pub fn dark((r, g, b): (u8, u8, u8)) -> bool {
    (r as u32 + g as u32 + b as u32) < 3 * 128
}
