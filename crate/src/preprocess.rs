//! The one path from a camera frame to the backbone's input, shared by capture, training and
//! prediction so that they can never disagree.

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Rgb};

use crate::Error;

/// An RGBA8 image as a canvas, `ImageData` or `VideoFrame` gives it: rows top to bottom,
/// four bytes per pixel, no padding between rows.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub rgba: &'a [u8],
    pub width: u32,
    pub height: u32,
}

impl<'a> Frame<'a> {
    /// Checks that the buffer holds exactly `width × height` RGBA pixels.
    pub fn new(rgba: &'a [u8], width: u32, height: u32) -> Result<Self, Error> {
        let expected = width as usize * height as usize * 4;
        if width == 0 || height == 0 || rgba.len() != expected {
            return Err(Error::FrameSize { width, height, len: rgba.len() });
        }
        Ok(Self { rgba, width, height })
    }

    /// The centred square the network sees: its left, top and side, in pixels.
    pub fn centre_square(&self) -> (u32, u32, u32) {
        let side = self.width.min(self.height);
        ((self.width - side) / 2, (self.height - side) / 2, side)
    }
}

/// Which part of a frame the network sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The centred square: what the camera points at, for classifying.
    CentreSquare,
    /// The whole frame, squashed to a square (its aspect ratio not kept): every object in it,
    /// for counting and locating. A point at fractions (x, y) of the frame is at the same
    /// fractions of the network's input.
    Whole,
}

/// How frames become network inputs. Stored with projects so that a project trained with one
/// setting is never fed inputs made with another.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Preprocess {
    /// Side of the square the centre crop is resized to.
    pub size: u32,
    /// Per-channel mean and standard deviation on the 0..1 scale, RGB order.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Preprocess {
    /// Centre-crops the frame to a square and resizes it to `size × size` (bilinear, with the
    /// filter widened when shrinking so that it averages instead of aliasing), dropping alpha:
    /// RGB in 0..1, channel-major (CHW). What an exported model takes (see `export`).
    pub fn pixels(&self, frame: Frame<'_>) -> Vec<f32> {
        self.pixels_of(frame, View::CentreSquare)
    }

    /// [`Preprocess::pixels`] of `view` of the frame.
    pub fn pixels_of(&self, frame: Frame<'_>, view: View) -> Vec<f32> {
        let (x0, y0, width, height) = match view {
            View::CentreSquare => {
                let (x0, y0, side) = frame.centre_square();
                (x0, y0, side, side)
            }
            View::Whole => (0, 0, frame.width, frame.height),
        };
        let crop: ImageBuffer<Rgb<f32>, Vec<f32>> = ImageBuffer::from_fn(width, height, |x, y| {
            let i = (((y0 + y) * frame.width + x0 + x) * 4) as usize;
            let px = &frame.rgba[i..i + 3];
            Rgb([px[0] as f32 / 255.0, px[1] as f32 / 255.0, px[2] as f32 / 255.0])
        });
        let resized = if width == self.size && height == self.size { crop } else { imageops::resize(&crop, self.size, self.size, FilterType::Triangle) };
        let plane = (self.size * self.size) as usize;
        let mut chw = vec![0.0; 3 * plane];
        for (i, px) in resized.pixels().enumerate() {
            for c in 0..3 {
                chw[c * plane + i] = px[c];
            }
        }
        chw
    }

    /// [`Preprocess::pixels`], normalised by the mean and standard deviation: the network's input.
    pub fn apply(&self, frame: Frame<'_>) -> Vec<f32> {
        self.apply_to(frame, View::CentreSquare)
    }

    /// [`Preprocess::apply`] to `view` of the frame.
    pub fn apply_to(&self, frame: Frame<'_>, view: View) -> Vec<f32> {
        let plane = (self.size * self.size) as usize;
        let mut chw = self.pixels_of(frame, view);
        for (c, values) in chw.chunks_mut(plane).enumerate() {
            values.iter_mut().for_each(|v| *v = (*v - self.mean[c]) / self.std[c]);
        }
        chw
    }

    /// Preprocesses `view` of several frames into one `[N, 3, size, size]` buffer.
    pub fn batch(&self, frames: &[Frame<'_>], view: View) -> Vec<f32> {
        crate::parallel::map_each(frames.to_vec(), |frame| self.apply_to(frame, view)).concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
        (0..width * height).flat_map(|_| [rgb[0], rgb[1], rgb[2], 255]).collect()
    }

    #[test]
    fn wrong_buffer_lengths_are_refused() {
        let buf = solid(4, 4, [0, 0, 0]);
        assert!(Frame::new(&buf, 4, 4).is_ok());
        assert!(matches!(Frame::new(&buf, 4, 5), Err(Error::FrameSize { .. })));
        assert!(matches!(Frame::new(&buf[..63], 4, 4), Err(Error::FrameSize { .. })));
        assert!(matches!(Frame::new(&[], 0, 0), Err(Error::FrameSize { .. })));
    }

    #[test]
    fn solid_colour_normalises_per_channel() {
        let buf = solid(640, 480, [255, 127, 0]);
        let p = crate::backbone::LITE0.preprocess();
        let out = p.apply(Frame::new(&buf, 640, 480).unwrap());
        let plane = 224 * 224;
        assert_eq!(out.len(), 3 * plane);
        for (c, want) in [(0, 128.0 / 128.0), (1, 0.0), (2, -127.0 / 128.0)] {
            for v in &out[c * plane..(c + 1) * plane] {
                assert!((v - want).abs() < 1e-5, "channel {c}: {v} vs {want}");
            }
        }
    }

    #[test]
    fn crop_keeps_the_centre_square() {
        // A 300x100 frame: red left third, green centre, blue right third. The centre crop is
        // exactly the green square, so no red or blue may leak in.
        let mut buf = Vec::new();
        for _y in 0..100 {
            for x in 0..300 {
                let rgb = match x {
                    0..=99 => [255, 0, 0],
                    100..=199 => [0, 255, 0],
                    _ => [0, 0, 255],
                };
                buf.extend_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
            }
        }
        let p = Preprocess { size: 50, mean: [0.0; 3], std: [1.0; 3] };
        let out = p.apply(Frame::new(&buf, 300, 100).unwrap());
        let plane = 50 * 50;
        assert!(out[..plane].iter().all(|v| v.abs() < 1e-6), "red leaked");
        assert!(out[plane..2 * plane].iter().all(|v| (v - 1.0).abs() < 1e-6));
        assert!(out[2 * plane..].iter().all(|v| v.abs() < 1e-6), "blue leaked");
    }

    #[test]
    fn shrinking_averages_instead_of_aliasing() {
        // A one-pixel checkerboard shrunk 8x must come out as flat grey, not as a pattern.
        let mut buf = Vec::new();
        for y in 0..448u32 {
            for x in 0..448u32 {
                let v = if (x + y) % 2 == 0 { 255 } else { 0 };
                buf.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let p = Preprocess { size: 56, mean: [0.0; 3], std: [1.0; 3] };
        let out = p.apply(Frame::new(&buf, 448, 448).unwrap());
        for v in &out {
            assert!((v - 0.5).abs() < 0.02, "{v}");
        }
    }
}
