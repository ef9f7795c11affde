//! Made-up inputs whose right answer is known (tests) or whose content does not matter (timing).

use crate::backbone::FEATURE_DIM;
use crate::learn::examples::dataset::Dataset;
use crate::learn::rng::Rng;

/// Synthetic features: one random centre per class, examples taken in turn from each class at
/// up to `spread` from its centre, each its own capture.
pub fn clusters(classes: &[u32], examples: usize, spread: f32, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let n = classes.len();
    let centres: Vec<Vec<f32>> = (0..n).map(|_| (0..FEATURE_DIM).map(|_| rng.range(0.0, 1.0)).collect()).collect();
    let mut data = Dataset {
        classes: classes.to_vec(),
        dim: FEATURE_DIM,
        features: Vec::new(),
        labels: Vec::new(),
        ids: Vec::new(),
        activations: Vec::new(),
        captures: Vec::new(),
    };
    for i in 0..examples {
        data.features.extend(centres[i % n].iter().map(|v| v + rng.range(-spread, spread)));
        data.labels.push(i % n);
        data.ids.push(i as u32 + 1);
        data.captures.push(i as u32 + 1);
    }
    data
}

/// A deterministic textured RGBA frame, so that runs compare like with like.
pub fn textured_frame(seed: u32, width: u32, height: u32) -> Vec<u8> {
    (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            let v = (x * 7 + y * 13 + seed * 31) % 256;
            [v as u8, ((x ^ y) % 256) as u8, ((x + seed) * 3 % 256) as u8, 255]
        })
        .collect()
}
