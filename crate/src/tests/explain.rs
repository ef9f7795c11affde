//! Heat maps: exact where the head is linear, the hidden-layer head's gradient right, and the
//! peak where the object is.

use super::common;

use crate::backbone::FEATURE_DIM;
use crate::backbone::heatmap::pooled;
use crate::learn::heads::dense::Dense;
use crate::learn::heads::softmax::SoftmaxNet;
use crate::learn::heads::stored::{COSINE_SCALE, Head, HeadWeights};
use crate::learn::rng::Rng;
use crate::learn::tasks::explain::{Explainer, hidden_gradient, hidden_logit};
use crate::learn::vectors::unit_means;
use crate::{ComputeDevice, Frame};
use burn::prelude::*;
use common::quadrant::{in_quadrant, quadrant_of};
use common::{backbone, fixture};

const CELLS: usize = 7 * 7; // Lite0's last map

fn random(rng: &mut Rng, n: usize, low: f32, high: f32) -> Vec<f32> {
    (0..n).map(|_| rng.range(low, high)).collect()
}

fn dense(rng: &mut Rng, inputs: usize, outputs: usize) -> Dense {
    Dense { inputs: inputs as u32, outputs: outputs as u32, weight: random(rng, inputs * outputs, -0.1, 0.1), bias: random(rng, outputs, -0.5, 0.5) }
}

/// The product's own logits for a softmax head on one pooled feature.
fn softmax_logits(hidden: Option<&Dense>, output: &Dense, feature: &[f32]) -> Vec<f32> {
    let device = ComputeDevice::cpu().device;
    let net = SoftmaxNet::from_dense(hidden, output, 0.0, &device);
    let x = Tensor::<2>::from_data(TensorData::new(feature.to_vec(), [1, feature.len()]), &device);
    net.forward(SoftmaxNet::input(x)).into_data().try_into_vec::<f32>().unwrap()
}

fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len() as f32
}

#[test]
fn the_maps_of_linear_heads_average_back_to_their_logits() {
    let mut rng = Rng::new(11);
    // A feature map as ReLU6 leaves it: non-negative, at most 6.
    let map = random(&mut rng, FEATURE_DIM * CELLS, 0.0, 6.0);
    let f = pooled(&map, FEATURE_DIM);
    let output = dense(&mut rng, FEATURE_DIM, 3);
    let softmax = Head { classes: vec![1, 2, 3], dim: FEATURE_DIM as u32, weights: HeadWeights::Softmax { hidden: None, output: output.clone() } };
    let logits = softmax_logits(None, &output, &f);
    let prototypes = unit_means(&random(&mut rng, 3 * FEATURE_DIM, -1.0, 1.0), &[0, 1, 2], 3, FEATURE_DIM);
    let norm = f.iter().map(|v| v * v).sum::<f32>().sqrt();
    let prototype = Head { classes: vec![1, 2, 3], dim: FEATURE_DIM as u32, weights: HeadWeights::Prototype { prototypes: prototypes.clone() } };
    for class in 0..3 {
        let got = mean(&Explainer::of(&softmax).unwrap().map(class, &map).values);
        assert!((got - logits[class]).abs() < 1e-4, "softmax class {class}: map averages to {got}, logit {}", logits[class]);
        let cos = prototypes[class * FEATURE_DIM..(class + 1) * FEATURE_DIM].iter().zip(&f).map(|(p, v)| p * v).sum::<f32>() / norm;
        let got = mean(&Explainer::of(&prototype).unwrap().map(class, &map).values);
        assert!((got - COSINE_SCALE * cos).abs() < 1e-4, "prototype class {class}: {got} vs {}", COSINE_SCALE * cos);
    }
}

#[test]
fn the_hidden_heads_gradient_matches_the_product_head_and_finite_differences() {
    let mut rng = Rng::new(12);
    let (hidden, output) = (dense(&mut rng, FEATURE_DIM, 16), dense(&mut rng, 16, 3));
    let f = random(&mut rng, FEATURE_DIM, 0.0, 2.0);
    let logits = softmax_logits(Some(&hidden), &output, &f);
    for class in 0..3 {
        let mine = hidden_logit(&hidden, &output, class, &f);
        assert!((mine - logits[class]).abs() < 1e-4, "the written-out head gives {mine}, the product's {}", logits[class]);
    }
    let gradient = hidden_gradient(&hidden, &output, 1, &f);
    let scale = gradient.iter().fold(0f32, |m, g| m.max(g.abs()));
    assert!(scale > 1e-4, "the gradient is ~0: the check would be vacuous");
    let eps = 1e-2f64;
    for j in (0..FEATURE_DIM).step_by(97) {
        let at = |delta: f64| {
            let mut g: Vec<f64> = f.iter().map(|&v| v as f64).collect();
            g[j] += delta;
            hidden_logit(&hidden, &output, 1, &g.iter().map(|&v| v as f32).collect::<Vec<_>>()) as f64
        };
        let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
        assert!((numeric - gradient[j] as f64).abs() < 2e-3 * scale as f64 + 1e-4, "coordinate {j}: {numeric} vs {}", gradient[j]);
    }
}

#[test]
fn the_imagenet_map_of_a_photo_peaks_in_its_quadrant() {
    let cat = image::open(fixture("chelsea.png")).unwrap().into_rgba8();
    let backbone = backbone(&ComputeDevice::cpu());
    for q in 0..4 {
        let canvas = in_quadrant(&cat, q);
        let frame = Frame::new(canvas.as_raw(), canvas.width(), canvas.height()).unwrap();
        let (class, map) = pollster::block_on(backbone.explain_imagenet(&[frame])).unwrap().remove(0);
        let (x, y) = map.peak(canvas.width(), canvas.height());
        eprintln!("quadrant {q}: {} {:.2} peaks at ({x:.2}, {y:.2})", class.label, class.probability);
        assert!([281, 282, 283, 285].contains(&class.index), "quadrant {q}: seen as {}", class.label);
        assert_eq!(quadrant_of(x, y), q, "quadrant {q}: the peak is at ({x}, {y})");
    }
}
