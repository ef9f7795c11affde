//! The geometry every head shares: features compared by direction (cosine), so rows are made
//! unit length before they are averaged or multiplied.

use burn::prelude::Tensor;

/// Column means of `rows × dim` values.
pub fn mean(rows: &[f32], dim: usize) -> Vec<f32> {
    let n = (rows.len() / dim).max(1) as f64;
    let mut sums = vec![0.0f64; dim];
    for row in rows.chunks(dim) {
        sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v as f64);
    }
    sums.into_iter().map(|s| (s / n) as f32).collect()
}

/// The Euclidean length of a row, never zero.
pub fn length(row: &[f32]) -> f32 {
    row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12)
}

/// Per label, the mean of its unit-length rows, itself made unit length (`classes × dim`).
pub fn unit_means(rows: &[f32], labels: &[usize], classes: usize, dim: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; classes * dim];
    for (row, &label) in rows.chunks(dim).zip(labels) {
        let norm = length(row);
        for (s, v) in sums[label * dim..(label + 1) * dim].iter_mut().zip(row) {
            *s += v / norm;
        }
    }
    for row in sums.chunks_mut(dim) {
        let norm = length(row);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    sums
}

/// Every row made unit length (`rows × dim`).
pub fn unit_rows_of(rows: &[f32], dim: usize) -> Vec<f32> {
    let n = rows.len() / dim;
    unit_means(rows, &(0..n).collect::<Vec<_>>(), n, dim)
}

/// Rows scaled to unit length, on the device.
pub fn unit_rows(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    x / norm
}

/// Index of the largest value (the last on a tie); 0 for an empty row.
pub fn argmax(row: &[f32]) -> usize {
    (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0)
}
