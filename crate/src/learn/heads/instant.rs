//! The heads that need no training: class prototypes, and the k nearest stored examples.

use crate::learn::examples::dataset::Dataset;
use crate::learn::heads::stored::HeadWeights;
use crate::learn::vectors::{unit_means, unit_rows_of};

/// The prototypes of `data`'s classes from rows `rows`.
pub fn prototypes(data: &Dataset, rows: &[usize]) -> HeadWeights {
    let (features, labels) = data.rows(rows);
    HeadWeights::Prototype { prototypes: unit_means(&features, &labels, data.classes.len(), data.dim) }
}

/// Rows `rows` of `data` as the neighbours a kNN head of `k` votes with.
pub fn neighbours(data: &Dataset, rows: &[usize], k: u32) -> HeadWeights {
    let (features, labels) = data.rows(rows);
    HeadWeights::Knn { k, features: unit_rows_of(&features, data.dim), labels: labels.iter().map(|&l| l as u32).collect() }
}

/// Share of the `k` most similar examples in each class; ties between classes go to the one
/// whose neighbours are more similar in total (a small bonus that never outweighs a vote).
pub fn knn_vote(similarities: &[f32], labels: &[usize], k: usize, classes: usize) -> Vec<f32> {
    let mut order: Vec<usize> = (0..similarities.len()).collect();
    order.sort_by(|&a, &b| similarities[b].total_cmp(&similarities[a]));
    let k = k.min(order.len());
    let mut votes = vec![0.0f32; classes];
    let mut closeness = vec![0.0f32; classes];
    for &i in &order[..k] {
        votes[labels[i]] += 1.0;
        closeness[labels[i]] += similarities[i];
    }
    let winner = (0..classes).max_by(|&a, &b| votes[a].total_cmp(&votes[b]).then(closeness[a].total_cmp(&closeness[b]))).unwrap_or(0);
    let mut p: Vec<f32> = votes.iter().map(|v| v / k.max(1) as f32).collect();
    // A tie must not leave argmax to chance: nudge the winner by far less than one vote.
    p[winner] += 1e-4;
    let total: f32 = p.iter().sum();
    p.iter().map(|v| v / total).collect()
}
