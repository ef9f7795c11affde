//! The backbone names what is in real photographs (from the scikit-image wheel).

#![cfg(not(target_family = "wasm"))]

mod common;

use common::{backbone, photo};
use glimpse::ComputeDevice;

/// Each photo and the ImageNet classes that are a right answer for it.
const EXPECTED: [(&str, &[usize]); 4] = [
    ("chelsea.png", &[281, 282, 283, 285]),    // tabby, tiger cat, Persian, Egyptian cat
    ("coffee.png", &[967, 968, 504]),          // espresso, cup, coffee mug
    ("rocket.jpg", &[657, 744, 812]),          // missile, projectile, space shuttle
    ("motorcycle_left.png", &[665, 670, 671]), // moped, motor scooter, mountain bike
];

#[test]
fn top5_of_real_photos_contains_the_obvious_class() {
    let backbone = backbone(&ComputeDevice::cpu());
    for (name, expected) in EXPECTED {
        let image = photo(name);
        let top = pollster::block_on(backbone.imagenet_top_k(&[image.frame()], 5)).unwrap();
        let indices: Vec<usize> = top[0].iter().map(|c| c.index).collect();
        assert!(expected.contains(&indices[0]), "{name}: top-1 {:?} not in {expected:?} (top-5 {:?})", top[0][0], top[0]);
        assert!(top[0][0].probability > 0.2, "{name}: unsure top-1 {:?}", top[0][0]);
    }
}

#[test]
fn a_batch_gives_the_same_features_as_one_frame_at_a_time() {
    let backbone = backbone(&ComputeDevice::cpu());
    let images: Vec<_> = EXPECTED.iter().map(|(name, _)| photo(name)).collect();
    let frames: Vec<_> = images.iter().map(|i| i.frame()).collect();
    let batch = pollster::block_on(backbone.features(&frames)).unwrap();
    for (i, frame) in frames.iter().enumerate() {
        let single = pollster::block_on(backbone.features(&[*frame])).unwrap();
        let diff = common::max_abs_diff(&single, &batch[i * 1280..(i + 1) * 1280]);
        assert!(diff < 1e-4, "frame {i}: {diff}");
    }
}
