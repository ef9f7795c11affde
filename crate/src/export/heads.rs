//! The trained heads as ONNX nodes, each giving what `predict` gives: class probabilities
//! `[N, C]`, a detector's score `[N, 1]`, or a counter's per-cell probabilities.

use super::graph::{Attr, Graph};
use crate::learn::heads::dense::Dense;
use crate::learn::heads::stored::{COSINE_SCALE, Head, HeadWeights};
use crate::learn::tasks::anomaly::Detector;
use crate::learn::tasks::counting::cells::Cells;

fn unit_rows(g: &mut Graph, x: &str) -> String {
    g.node("LpNormalization", &[x], vec![Attr::Int("axis", 1), Attr::Int("p", 2)]).name().to_string()
}

fn dense(g: &mut Graph, x: &str, layer: &Dense) -> String {
    let w = g.floats("dense_w", &[layer.inputs as usize, layer.outputs as usize], layer.weight.clone());
    let b = g.floats("dense_b", &[layer.outputs as usize], layer.bias.clone());
    g.node("Gemm", &[x, &w, &b], vec![]).name().to_string()
}

/// `rows` (`n × dim`, row-major) as the columns of a `dim × n` matrix.
fn columns(g: &mut Graph, hint: &str, rows: &[f32], dim: usize) -> String {
    let n = rows.len() / dim;
    let mut t = vec![0.0; rows.len()];
    for (i, row) in rows.chunks(dim).enumerate() {
        for (j, v) in row.iter().enumerate() {
            t[j * n + i] = *v;
        }
    }
    g.floats(hint, &[dim, n], t)
}

fn softmax(g: &mut Graph, x: &str) -> String {
    g.node("Softmax", &[x], vec![Attr::Int("axis", 1)]).name().to_string()
}

/// The cosine similarity of each row of `features` to each of `stored` (`n × dim`): `[N, n]`.
fn similarities(g: &mut Graph, features: &str, stored: &[f32], dim: usize) -> String {
    let unit = unit_rows(g, features);
    let stored = columns(g, "stored", stored, dim);
    g.node("MatMul", &[&unit, &stored], vec![]).name().to_string()
}

/// The `k` largest of each row: values and indices.
fn top_k(g: &mut Graph, x: &str, k: usize) -> (String, String) {
    let k = g.ints("k", vec![k as i64]);
    let out = g.node_n("TopK", &[x, &k], 2, vec![Attr::Int("axis", 1), Attr::Int("largest", 1), Attr::Int("sorted", 1)]);
    (out[0].name().to_string(), out[1].name().to_string())
}

fn sum_over(g: &mut Graph, x: &str, axis: i64) -> String {
    let axes = g.ints("axes", vec![axis]);
    g.node("ReduceSum", &[x, &axes], vec![Attr::Int("keepdims", 0)]).name().to_string()
}

/// A classifier's probabilities `[N, C]` from the pooled features (see `heads::on_device`).
pub fn classifier(g: &mut Graph, features: &str, head: &Head) -> String {
    let (c, d) = (head.classes.len(), head.dim as usize);
    match &head.weights {
        HeadWeights::Softmax { hidden, output } => {
            // The head reads the unit-length feature times √dim (`SoftmaxNet::input`).
            let unit = unit_rows(g, features);
            let scale = g.scalar("sqrt_dim", (d as f32).sqrt());
            let mut x = g.node("Mul", &[&unit, &scale], vec![]).name().to_string();
            if let Some(hidden) = hidden {
                let z = dense(g, &x, hidden);
                x = g.node("Relu", &[&z], vec![]).name().to_string();
            }
            let logits = dense(g, &x, output);
            softmax(g, &logits)
        }
        HeadWeights::Prototype { prototypes } => {
            let cos = similarities(g, features, prototypes, d);
            let scale = g.scalar("cosine_scale", COSINE_SCALE);
            let logits = g.node("Mul", &[&cos, &scale], vec![]);
            softmax(g, &logits)
        }
        HeadWeights::Knn { k, features: stored, labels } => knn(g, features, stored, labels, *k as usize, c, d),
        HeadWeights::Cells(_) => unreachable!("a counter is exported by `cells`"),
        HeadWeights::Anomaly(detector) => {
            // A detector's "probability" is how ordinary a frame looks; its score is the output
            // that means something outside Glimpse (see `detector`).
            detector_score(g, features, detector, d)
        }
    }
}

/// The kNN head's vote (`heads::instant::knn_vote`): each class's share of the `k` most similar
/// stored examples, the winner (most votes, then most similar in total, then the last class)
/// nudged up by 1e-4 so that ties do not leave the answer to chance, normalised.
fn knn(g: &mut Graph, features: &str, stored: &[f32], labels: &[u32], k: usize, c: usize, d: usize) -> String {
    let k = k.min(labels.len()).max(1);
    let sims = similarities(g, features, stored, d);
    let (values, indices) = top_k(g, &sims, k);
    let one_hot: Vec<f32> = labels.iter().flat_map(|&l| (0..c).map(move |class| if class == l as usize { 1.0 } else { 0.0 })).collect();
    let one_hot = g.floats("labels", &[labels.len(), c], one_hot);
    let chosen = g.node("Gather", &[&one_hot, &indices], vec![Attr::Int("axis", 0)]); // [N, k, c]
    let votes = sum_over(g, &chosen, 1);
    let axes = g.ints("axes", vec![2]);
    let values = g.node("Unsqueeze", &[&values, &axes], vec![]);
    let weighted = g.node("Mul", &[&chosen, &values], vec![]);
    let closeness = sum_over(g, &weighted, 1);
    // Votes outweigh any closeness (which lies in [−k, k]).
    let weight = g.scalar("vote_weight", 2.0 * k as f32 + 1.0);
    let weighted_votes = g.node("Mul", &[&votes, &weight], vec![]);
    let ranking = g.node("Add", &[&weighted_votes, &closeness], vec![]);
    let winner = g.node("ArgMax", &[&ranking], vec![Attr::Int("axis", 1), Attr::Int("keepdims", 0), Attr::Int("select_last_index", 1)]);
    let depth = g.ints("classes", vec![c as i64]);
    let off_on = g.floats("nudge", &[2], vec![0.0, 1e-4]);
    let nudge = g.node("OneHot", &[&winner, &depth, &off_on], vec![Attr::Int("axis", -1)]);
    let per_vote = g.scalar("per_vote", 1.0 / k as f32);
    let shares = g.node("Mul", &[&votes, &per_vote], vec![]);
    let nudged = g.node("Add", &[&shares, &nudge], vec![]);
    let axes = g.ints("axes", vec![1]);
    let total = g.node("ReduceSum", &[&nudged, &axes], vec![Attr::Int("keepdims", 1)]);
    g.node("Div", &[&nudged, &total], vec![]).name().to_string()
}

/// A detector's anomaly score `[N, 1]`: one minus the mean cosine similarity of the `k` most
/// similar normal examples (`tasks::anomaly`).
pub fn detector_score(g: &mut Graph, features: &str, detector: &Detector, d: usize) -> String {
    let n = detector.features.len() / d;
    let sims = similarities(g, features, &detector.features, d);
    let (values, _) = top_k(g, &sims, (detector.k as usize).min(n).max(1));
    let mean = g.node("ReduceMean", &[&values], vec![Attr::Ints("axes", vec![1]), Attr::Int("keepdims", 1)]);
    let one = g.scalar("one", 1.0);
    g.node("Sub", &[&one, &mean], vec![]).name().to_string()
}

/// A dense layer on every cell of `map` (`[N, C, H, W]`): a 1×1 convolution.
fn dense_per_cell(g: &mut Graph, map: &str, layer: &Dense) -> String {
    let (inputs, outputs) = (layer.inputs as usize, layer.outputs as usize);
    // `Dense` is `x · W` (`inputs × outputs`); a convolution's weight is `[outputs, inputs, 1, 1]`.
    let mut w = vec![0.0; inputs * outputs];
    for i in 0..inputs {
        for o in 0..outputs {
            w[o * inputs + i] = layer.weight[i * outputs + o];
        }
    }
    let w = g.floats("cell_w", &[outputs, inputs, 1, 1], w);
    let b = g.floats("cell_b", &[outputs], layer.bias.clone());
    g.node("Conv", &[map, &w, &b], vec![Attr::Ints("kernel_shape", vec![1, 1])]).name().to_string()
}

/// A counter's per-cell probabilities `[N, 1 + C, side, side]` (background first) from the map
/// at the cut (see `tasks::counting::cells`).
pub fn cells(g: &mut Graph, map: &str, cells: &Cells) -> String {
    let hidden = dense_per_cell(g, map, &cells.hidden);
    let hidden = g.node("Relu", &[&hidden], vec![]).name().to_string();
    let logits = dense_per_cell(g, &hidden, &cells.output);
    softmax(g, &logits)
}
