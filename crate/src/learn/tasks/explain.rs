//! Heat maps of the trained heads (see `backbone::heatmap`). Exact for the linear softmax head
//! and the prototype head, whose logits are linear in the unit-length pooled feature. The kNN
//! head's vote has no such form: its map is that of its classes' prototypes. The hidden-layer
//! head gets Grad-CAM, with the gradient of its logit written out rather than taken by
//! autodiff, since the head is two dense layers.

use crate::backbone::heatmap::{HeatMap, Readout, pooled};
use crate::learn::heads::dense::Dense;
use crate::learn::heads::stored::{COSINE_SCALE, Head, HeadWeights};
use crate::learn::vectors::{length, unit_means};

/// A head prepared for heat maps: per class, what its logit reads from the feature.
#[derive(Debug, Clone)]
pub struct Explainer {
    dim: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `scale · w_c · f/|f| + b_c`, the weights `classes × dim`.
    Unit {
        weights: Vec<f32>,
        bias: Vec<f32>,
        scale: f32,
    },
    Hidden {
        hidden: Dense,
        output: Dense,
    },
}

impl Explainer {
    /// The explainer of a head that reads pooled features; `None` for a per-cell head, whose
    /// map is its cells' own (see `tasks::counting::counter`).
    pub fn of(head: &Head) -> Option<Self> {
        let (classes, dim) = (head.classes.len(), head.dim as usize);
        let kind = match &head.weights {
            // The softmax head reads √d · f/|f| (see `SoftmaxNet::input`).
            HeadWeights::Softmax { hidden: None, output } => Kind::Unit { weights: output.rows(), bias: output.bias.clone(), scale: (dim as f32).sqrt() },
            HeadWeights::Softmax { hidden: Some(hidden), output } => Kind::Hidden { hidden: hidden.clone(), output: output.clone() },
            HeadWeights::Prototype { prototypes } => Kind::Unit { weights: prototypes.clone(), bias: vec![0.0; classes], scale: COSINE_SCALE },
            HeadWeights::Knn { features, labels, .. } => {
                let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
                let weights = unit_means(features, &labels, classes, dim);
                Kind::Unit { weights, bias: vec![0.0; classes], scale: COSINE_SCALE }
            }
            // Where the frame looks like the normal examples.
            HeadWeights::Anomaly(detector) => return Some(Self::prototype(&detector.features, dim)),
            HeadWeights::Cells(_) => return None,
        };
        Some(Self { dim, kind })
    }

    /// The map of a lone trained class (no head to read): its prototype's, from its features.
    pub fn prototype(features: &[f32], dim: usize) -> Self {
        let weights = unit_means(features, &vec![0; features.len() / dim], 1, dim);
        Self { dim, kind: Kind::Unit { weights, bias: vec![0.0], scale: COSINE_SCALE } }
    }

    /// The heat map of head output `class` for one image's feature map (`dim × 7 × 7`).
    pub fn map(&self, class: usize, map: &[f32]) -> HeatMap {
        let d = self.dim;
        match &self.kind {
            Kind::Unit { weights, bias, scale } => {
                HeatMap::of(map, d, Readout::Unit { weight: &weights[class * d..(class + 1) * d], bias: bias[class], scale: *scale })
            }
            Kind::Hidden { hidden, output } => {
                let gradient = hidden_gradient(hidden, output, class, &pooled(map, d));
                HeatMap::of(map, d, Readout::Gradient { gradient: &gradient })
            }
        }
    }
}

/// The hidden-layer head's logit for `class` as a function of the pooled feature `f`: its
/// input is `x = √d · f/|f|`, then `relu(W1ᵀx + b1)`, then `W2ᵀ· + b2`.
#[cfg(test)]
pub fn hidden_logit(hidden: &Dense, output: &Dense, class: usize, f: &[f32]) -> f32 {
    let (x, _) = head_input(f);
    let z = hidden_units(hidden, &x);
    let c = output.outputs as usize;
    output.bias[class] + z.iter().enumerate().map(|(u, &z)| z.max(0.0) * output.weight[u * c + class]).sum::<f32>()
}

/// The gradient of [`hidden_logit`] with respect to `f`.
pub fn hidden_gradient(hidden: &Dense, output: &Dense, class: usize, f: &[f32]) -> Vec<f32> {
    let (d, h, c) = (f.len(), hidden.outputs as usize, output.outputs as usize);
    let (x, norm) = head_input(f);
    let z = hidden_units(hidden, &x);
    // Back through the ReLU, then the first layer.
    let through: Vec<f32> = (0..h).map(|u| if z[u] > 0.0 { output.weight[u * c + class] } else { 0.0 }).collect();
    let gx: Vec<f32> = (0..d).map(|j| (0..h).map(|u| hidden.weight[j * h + u] * through[u]).sum()).collect();
    // Then through x = √d · f/|f|, whose Jacobian is √d/|f| · (I − f̂f̂ᵀ).
    let scale = (d as f32).sqrt() / norm;
    let along: f32 = f.iter().zip(&gx).map(|(v, g)| v / norm * g).sum();
    (0..d).map(|j| scale * (gx[j] - f[j] / norm * along)).collect()
}

fn head_input(f: &[f32]) -> (Vec<f32>, f32) {
    let norm = length(f);
    let scale = (f.len() as f32).sqrt() / norm;
    (f.iter().map(|v| v * scale).collect(), norm)
}

fn hidden_units(hidden: &Dense, x: &[f32]) -> Vec<f32> {
    let h = hidden.outputs as usize;
    (0..h).map(|u| hidden.bias[u] + x.iter().enumerate().map(|(j, v)| hidden.weight[j * h + u] * v).sum::<f32>()).collect()
}
