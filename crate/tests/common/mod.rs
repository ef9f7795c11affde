//! Shared by the native integration tests: fixtures, the committed weights, photos.
#![allow(dead_code)]

use std::path::PathBuf;

use glimpse::{Backbone, ComputeDevice, Network};

pub mod digits;
pub mod quadrant;
pub mod scenes;
// The learner's generator, so that views come out as they always have.
#[path = "../../src/learn/rng.rs"]
mod rng;

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

pub fn weights_path(network: &Network) -> PathBuf {
    workspace().join("models").join(network.weights_file)
}

/// Lite0, the default network, on `device`.
pub fn backbone(device: &ComputeDevice) -> Backbone {
    network_backbone(&glimpse::LITE0, device)
}

pub fn network_backbone(network: &'static Network, device: &ComputeDevice) -> Backbone {
    let path = weights_path(network);
    Backbone::load(network, &std::fs::read(&path).unwrap(), &path.display().to_string(), device).unwrap()
}

/// An RGBA8 image and its size.
pub use glimpse::Image;

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

/// `n` views of a fixture photo: random crops of 55–90 % of its area, every other one mirrored.
/// The same (photo, seed) always gives the same views.
pub fn views(name: &str, n: usize, seed: u64) -> Vec<image::RgbaImage> {
    let photo = image::open(fixture(name)).unwrap().into_rgba8();
    let (w, h) = photo.dimensions();
    let mut rng = rng::Rng::new(seed);
    (0..n)
        .map(|i| {
            let scale = rng.range(0.55, 0.9).sqrt();
            let (cw, ch) = ((w as f32 * scale) as u32, (h as f32 * scale) as u32);
            let (x, y) = (rng.below((w - cw) as usize + 1) as u32, rng.below((h - ch) as usize + 1) as u32);
            let crop = image::imageops::crop_imm(&photo, x, y, cw, ch).to_image();
            if i % 2 == 1 { image::imageops::flip_horizontal(&crop) } else { crop }
        })
        .collect()
}

/// Writes `DIR/<class>/<i>.png` for each (class, photo), `n` views each; returns DIR.
pub fn view_folders(dir: &std::path::Path, classes: &[(&str, &str)], n: usize, seed: u64) -> PathBuf {
    for (class, photo) in classes {
        let folder = dir.join(class);
        std::fs::create_dir_all(&folder).unwrap();
        for (i, view) in views(photo, n, seed).iter().enumerate() {
            view.save(folder.join(format!("{i:02}.png"))).unwrap();
        }
    }
    dir.to_path_buf()
}

/// Three clearly different objects from the fixture photos.
pub const OBJECTS: [(&str, &str); 3] = [("cat", "chelsea.png"), ("coffee", "coffee.png"), ("rocket", "rocket.jpg")];

/// A task built to defeat the pretrained features: 48×48 crops of two photos (the thumbnails'
/// size, so that they keep every pixel), each with a fixed faint pattern (±4 of 255, random per
/// pixel and channel) added for class "plus" and subtracted for class "minus"; each class has
/// crops of both photos. The network's features follow the photos, not the pattern (crops of
/// one photo alone left the pattern visible in centred features); raw pixels show it. `n`
/// images per class.
pub fn faint_pattern(n: usize, seed: u64) -> Vec<(usize, image::RgbaImage)> {
    let mut state = 0x9e37_79b9u32;
    let pattern: Vec<i32> = (0..48 * 48 * 3)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if state & 1 == 0 { 4 } else { -4 }
        })
        .collect();
    let mut out = Vec::new();
    // Each class gets views of both photos: only the pattern tells them apart.
    let views: Vec<image::RgbaImage> = ["chelsea.png", "coffee.png"].iter().flat_map(|photo| views(photo, n, seed)).collect();
    for (i, view) in views.iter().enumerate() {
        let label = i % 2;
        let mut small = image::imageops::resize(view, 48, 48, image::imageops::FilterType::Triangle);
        for (j, p) in small.pixels_mut().enumerate() {
            for c in 0..3 {
                let sign = if label == 0 { 1 } else { -1 };
                p[c] = (p[c] as i32 + sign * pattern[j * 3 + c]).clamp(0, 255) as u8;
            }
        }
        out.push((label, small));
    }
    out
}

/// Writes [`faint_pattern`] as `DIR/plus/<i>.png` and `DIR/minus/<i>.png`; returns DIR.
pub fn faint_pattern_folders(dir: &std::path::Path, n: usize, seed: u64) -> PathBuf {
    for (i, (label, image)) in faint_pattern(n, seed).iter().enumerate() {
        let folder = dir.join(["plus", "minus"][*label]);
        std::fs::create_dir_all(&folder).unwrap();
        image.save(folder.join(format!("{i:02}.png"))).unwrap();
    }
    dir.to_path_buf()
}
