//! Extra views of a captured frame, so that a few captures teach more than their exact pixels.

use image::{RgbaImage, imageops};
use serde::{Deserialize, Serialize};

use crate::learn::rng::Rng;
use crate::{Error, Frame};

/// Which extra views each capture adds. Each view costs one backbone pass at capture time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Augment {
    /// Add the mirror image.
    pub flip: bool,
    /// Number of random resized crops (50–100 % of the area, aspect 3:4 to 4:3).
    pub crops: u32,
    /// Colour jitter of the crops: brightness, contrast and saturation vary by up to ± this.
    pub jitter: f32,
}

impl Default for Augment {
    fn default() -> Self {
        Self { flip: false, crops: 0, jitter: 0.0 }
    }
}

impl Augment {
    pub fn check(&self) -> Result<(), Error> {
        if self.crops > 16 {
            return Err(Error::Settings("augmentation crops must be at most 16 per capture".into()));
        }
        if !(0.0..=0.5).contains(&self.jitter) {
            return Err(Error::Settings("colour jitter must be in [0, 0.5]".into()));
        }
        Ok(())
    }

    /// How many features one capture becomes.
    pub fn views_per_capture(&self) -> usize {
        1 + self.flip as usize + self.crops as usize
    }
}

/// An owned RGBA8 image.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub rgba: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Image {
    pub fn frame(&self) -> Frame<'_> {
        Frame { rgba: &self.rgba, width: self.width, height: self.height }
    }

    fn from_buffer(buffer: RgbaImage) -> Self {
        let (width, height) = buffer.dimensions();
        Self { rgba: buffer.into_raw(), width, height }
    }
}

/// The extra views of `frame` (the frame itself is not among them).
pub fn views(frame: Frame<'_>, augment: &Augment, rng: &mut Rng) -> Vec<Image> {
    if augment.views_per_capture() == 1 {
        return Vec::new();
    }
    let source = RgbaImage::from_raw(frame.width, frame.height, frame.rgba.to_vec()).expect("Frame::new checked the buffer length");
    let mut out = Vec::with_capacity(augment.views_per_capture() - 1);
    if augment.flip {
        out.push(Image::from_buffer(imageops::flip_horizontal(&source)));
    }
    for _ in 0..augment.crops {
        let mut crop = random_resized_crop(&source, rng);
        if augment.flip && rng.uniform() < 0.5 {
            crop = imageops::flip_horizontal(&crop);
        }
        if augment.jitter > 0.0 {
            jitter(&mut crop, augment.jitter, rng);
        }
        out.push(Image::from_buffer(crop));
    }
    out
}

fn random_resized_crop(source: &RgbaImage, rng: &mut Rng) -> RgbaImage {
    let (w, h) = (source.width() as f32, source.height() as f32);
    let area = w * h * rng.range(0.5, 1.0);
    let aspect = rng.range((3.0f32 / 4.0).ln(), (4.0f32 / 3.0).ln()).exp();
    let cw = ((area * aspect).sqrt().round() as u32).clamp(1, source.width());
    let ch = ((area / aspect).sqrt().round() as u32).clamp(1, source.height());
    let x = rng.below((source.width() - cw + 1) as usize) as u32;
    let y = rng.below((source.height() - ch + 1) as usize) as u32;
    // Crops keep their own size: the preprocessing resizes every view the same way.
    imageops::crop_imm(source, x, y, cw, ch).to_image()
}

fn jitter(image: &mut RgbaImage, amount: f32, rng: &mut Rng) {
    let brightness = rng.range(1.0 - amount, 1.0 + amount);
    let contrast = rng.range(1.0 - amount, 1.0 + amount);
    let saturation = rng.range(1.0 - amount, 1.0 + amount);
    let luma = |p: &[u8]| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
    let mean = image.pixels().map(|p| luma(&p.0)).sum::<f32>() / (image.width() * image.height()) as f32;
    for p in image.pixels_mut() {
        let grey = luma(&p.0);
        for c in 0..3 {
            let v = p.0[c] as f32;
            let v = grey + (v - grey) * saturation;
            let v = mean + (v - mean) * contrast;
            p.0[c] = (v * brightness).round().clamp(0.0, 255.0) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: u32, height: u32) -> Vec<u8> {
        (0..width * height).flat_map(|i| [(i % width) as u8, (i / width) as u8, 128, 255]).collect()
    }

    #[test]
    fn flip_mirrors_and_crops_stay_inside() {
        let rgba = gradient(40, 30);
        let frame = Frame::new(&rgba, 40, 30).unwrap();
        let augment = Augment { flip: true, crops: 3, jitter: 0.2 };
        let views = views(frame, &augment, &mut Rng::new(1));
        assert_eq!(views.len(), augment.views_per_capture() - 1);
        let flipped = &views[0];
        assert_eq!((flipped.width, flipped.height), (40, 30));
        assert_eq!(flipped.rgba[0], 39, "the first pixel of the mirror is the last of the row");
        for crop in &views[1..] {
            assert!(crop.width <= 40 && crop.height <= 30 && crop.width * crop.height >= 40 * 30 / 3);
            assert!(Frame::new(&crop.rgba, crop.width, crop.height).is_ok());
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_views() {
        let rgba = gradient(50, 50);
        let frame = Frame::new(&rgba, 50, 50).unwrap();
        let augment = Augment { flip: true, crops: 2, jitter: 0.1 };
        assert_eq!(views(frame, &augment, &mut Rng::new(7)), views(frame, &augment, &mut Rng::new(7)));
        assert_ne!(views(frame, &augment, &mut Rng::new(7)), views(frame, &augment, &mut Rng::new(8)));
        assert!(views(frame, &Augment::default(), &mut Rng::new(7)).is_empty());
    }
}
