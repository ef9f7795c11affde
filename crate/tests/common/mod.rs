//! Shared by the native integration tests: fixtures, the committed weights, photos.
#![allow(dead_code)]

use std::path::PathBuf;

use glimpse::{Backbone, ComputeDevice, Frame};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where `tests/fixtures/fetch.sh` put the photos and the original checkpoint.
pub fn fixture(name: &str) -> PathBuf {
    let dir = std::env::var_os("GLIMPSE_FIXTURES").map(PathBuf::from).unwrap_or_else(|| workspace().join("target/fixtures"));
    let path = dir.join(name);
    assert!(path.exists(), "fixture {} is missing: run tests/fixtures/fetch.sh", path.display());
    path
}

pub fn weights_path() -> PathBuf {
    workspace().join("models").join(glimpse::backbone::weights::WEIGHTS_FILE)
}

pub fn backbone(device: &ComputeDevice) -> Backbone {
    let path = weights_path();
    Backbone::load(&std::fs::read(&path).unwrap(), &path.display().to_string(), &device.device).unwrap()
}

/// An RGBA8 image and its size.
pub struct Image {
    pub rgba: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Image {
    pub fn frame(&self) -> Frame<'_> {
        Frame::new(&self.rgba, self.width, self.height).unwrap()
    }
}

pub fn photo(name: &str) -> Image {
    let image = image::open(fixture(name)).unwrap().into_rgba8();
    let (width, height) = image.dimensions();
    Image { rgba: image.into_raw(), width, height }
}

/// A reproducible noise image (xorshift), to exercise every weight with unnatural statistics.
pub fn noise(seed: u32, width: u32, height: u32) -> Image {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let rgba = (0..width * height * 4)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    Image { rgba, width, height }
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

pub const PHOTOS: [&str; 4] = ["chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"];
