//! Heat maps: where in a frame the evidence for a class lies.
//!
//! Every head reads the backbone's last feature map (1280 channels on a square grid over the
//! centre square of the frame: 7×7 for Lite0, 9×9 for Lite2) after global average pooling. For
//! a head that is linear in the pooled feature, the class's logit is therefore the mean over the
//! cells of the same linear
//! map applied to each cell: a class activation map (Zhou et al. 2016), exact and without a
//! backward pass. Heads that scale the feature to unit length first divide by one number per
//! image, which keeps them exact too.

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Luma, RgbaImage};
use serde::Serialize;

use crate::preprocess::Frame;

/// One value per cell of the square grid over the frame's centre square, row-major.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatMap {
    pub side: usize,
    pub values: Vec<f32>,
}

/// How a class's score is read from a feature vector `f` (the pooled one, or one cell's).
#[derive(Debug, Clone, Copy)]
pub enum Readout<'a> {
    /// `w · f + b`: the ImageNet classifier.
    Linear { weight: &'a [f32], bias: f32 },
    /// `scale · w · f / |pooled| + b`: heads that read the unit-length pooled feature.
    Unit { weight: &'a [f32], bias: f32, scale: f32 },
    /// Grad-CAM (Selvaraju et al. 2017) for heads that are not linear: the cells weighted by
    /// the gradient of the class's logit with respect to the pooled feature, negatives cut.
    Gradient { gradient: &'a [f32] },
}

/// The pooled feature of one image's feature map (`channels × cells`, channel-major).
pub fn pooled(map: &[f32], channels: usize) -> Vec<f32> {
    map.chunks(map.len() / channels).map(|cells| cells.iter().sum::<f32>() / cells.len() as f32).collect()
}

impl HeatMap {
    /// The map of one image's feature map (`channels × side × side`, as the backbone gives it).
    pub fn of(map: &[f32], channels: usize, readout: Readout<'_>) -> Self {
        let cells = map.len() / channels;
        let side = cells.isqrt();
        debug_assert_eq!(map.len(), channels * side * side);
        let dot = |weight: &[f32], cell: usize| weight.iter().enumerate().map(|(k, w)| w * map[k * cells + cell]).sum::<f32>();
        let values = match readout {
            Readout::Linear { weight, bias } => (0..cells).map(|i| dot(weight, i) + bias).collect(),
            Readout::Unit { weight, bias, scale } => {
                let norm = pooled(map, channels).iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                (0..cells).map(|i| scale * dot(weight, i) / norm + bias).collect()
            }
            Readout::Gradient { gradient } => (0..cells).map(|i| (dot(gradient, i) / cells as f32).max(0.0)).collect(),
        };
        Self { side, values }
    }

    /// Values scaled to 0..1 (a flat map is all zero).
    fn normalised(&self) -> Vec<f32> {
        let min = self.values.iter().copied().fold(f32::INFINITY, f32::min);
        let max = self.values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let range = if max > min { max - min } else { 1.0 };
        self.values.iter().map(|v| (v - min) / range).collect()
    }

    /// The centre of the strongest cell, as fractions (0–1) of the frame's width and height.
    pub fn peak(&self, width: u32, height: u32) -> (f32, f32) {
        let best = (0..self.values.len()).max_by(|&a, &b| self.values[a].total_cmp(&self.values[b])).unwrap_or(0);
        let (row, column) = (best / self.side, best % self.side);
        let side = width.min(height) as f32;
        let x = (width as f32 - side) / 2.0 + (column as f32 + 0.5) / self.side as f32 * side;
        let y = (height as f32 - side) / 2.0 + (row as f32 + 0.5) / self.side as f32 * side;
        (x / width as f32, y / height as f32)
    }

    /// The map as a `side × side` RGBA image: viridis, more opaque where the evidence is
    /// stronger. A page scales it over the frame's centre square.
    pub fn rgba(&self) -> Vec<u8> {
        self.normalised()
            .into_iter()
            .flat_map(|t| {
                let [r, g, b] = viridis(t);
                [r, g, b, (60.0 + 150.0 * t) as u8]
            })
            .collect()
    }

    /// The frame with the map laid over its centre square (bilinear, viridis); the rest of the
    /// frame, which the network never saw, is dimmed.
    pub fn overlay(&self, frame: Frame<'_>) -> RgbaImage {
        let (x0, y0, side) = frame.centre_square();
        let grid: ImageBuffer<Luma<f32>, Vec<f32>> = ImageBuffer::from_raw(self.side as u32, self.side as u32, self.normalised()).expect("side × side values");
        let smooth = imageops::resize(&grid, side, side, FilterType::Triangle);
        RgbaImage::from_fn(frame.width, frame.height, |x, y| {
            let i = ((y * frame.width + x) * 4) as usize;
            let pixel = [frame.rgba[i] as f32, frame.rgba[i + 1] as f32, frame.rgba[i + 2] as f32];
            let inside = (x0..x0 + side).contains(&x) && (y0..y0 + side).contains(&y);
            let out = if inside {
                let t = smooth.get_pixel(x - x0, y - y0)[0].clamp(0.0, 1.0);
                let colour = viridis(t);
                let alpha = 0.35 + 0.4 * t;
                [0, 1, 2].map(|c| pixel[c] * (1.0 - alpha) + colour[c] as f32 * alpha)
            } else {
                pixel.map(|v| v * 0.35)
            };
            image::Rgba([out[0] as u8, out[1] as u8, out[2] as u8, 255])
        })
    }
}

/// Matplotlib's viridis (perceptually uniform, readable in grey and by most colour-blind
/// people), as the degree-6 polynomial fit of its table.
fn viridis(t: f32) -> [u8; 3] {
    const C: [[f32; 3]; 7] = [
        [0.277_727_3, 0.005_407_344, 0.334_099_8],
        [0.105_093_04, 1.404_613_5, 1.384_590_2],
        [-0.330_861_83, 0.214_847_56, 0.095_095_16],
        [-4.634_230_5, -5.799_101, -19.332_441],
        [6.228_27, 14.179_933, 56.690_55],
        [4.776_385, -13.745_145, -65.353_03],
        [-5.435_456, 4.645_852_6, 26.312_435],
    ];
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|c| {
        let v = C.iter().rev().fold(0.0, |acc, coefficients| acc * t + coefficients[c]);
        (v.clamp(0.0, 1.0) * 255.0).round() as u8
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_dark_purple_to_yellow() {
        assert_eq!(viridis(0.0), [71, 1, 85]);
        let end = viridis(1.0);
        assert!(end[0] > 240 && end[1] > 220 && end[2] < 60, "{end:?}");
        let lightness = |c: [u8; 3]| 0.3 * c[0] as f32 + 0.59 * c[1] as f32 + 0.11 * c[2] as f32;
        let steps: Vec<f32> = (0..=10).map(|i| lightness(viridis(i as f32 / 10.0))).collect();
        assert!(steps.windows(2).all(|w| w[1] > w[0]), "lightness rises monotonically: {steps:?}");
    }

    #[test]
    fn a_linear_map_averages_to_the_pooled_score_and_peaks_where_the_evidence_is() {
        // Two channels; channel 0 is strong in the bottom-right cell only.
        let cells = 7 * 7;
        let mut map = vec![0.1f32; 2 * cells];
        map[cells - 1] = 5.0;
        let weight = [2.0, -1.0];
        let f = pooled(&map, 2);
        let logit = weight[0] * f[0] + weight[1] * f[1] + 0.5;
        let heat = HeatMap::of(&map, 2, Readout::Linear { weight: &weight, bias: 0.5 });
        let mean = heat.values.iter().sum::<f32>() / cells as f32;
        assert!((mean - logit).abs() < 1e-5, "{mean} vs {logit}");
        let (x, y) = heat.peak(640, 480);
        // The centre square of 640×480 is x 80..560; the last cell's centre is 13/14 of it.
        assert!((x - (80.0 + 480.0 * 13.0 / 14.0) / 640.0).abs() < 1e-5 && (y - 13.0 / 14.0).abs() < 1e-5, "({x}, {y})");
    }
}
