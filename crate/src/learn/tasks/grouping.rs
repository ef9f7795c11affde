//! Grouping unlabelled captures: spherical k-means with k-means++ seeding on unit-length features
//! (the cosine geometry every head sees), for each k from 2 to [`MAX_K`], keeping the k whose
//! grouping has the highest mean silhouette. Seeded, so the same captures and seed always give
//! the same groups. A capture's views (mirror, crops) are one point, their mean, so a capture is
//! never split between groups.
//!
//! Written out rather than taken from a crate: the clustering crates of the field bring ndarray
//! and a linear-algebra stack into the wasm build for some hundred lines.

use serde::Serialize;

use crate::Error;
use crate::learn::rng::Rng;

/// The most groups proposed.
pub const MAX_K: usize = 10;
/// Captures needed: two groups and a silhouette need three points.
pub const MIN_CAPTURES: usize = 3;
/// Seeded restarts per k; the grouping with the highest total similarity to its centres is kept.
const RESTARTS: u64 = 4;
const ITERATIONS: usize = 100;

/// A grouping of points: each point's group, and the mean silhouette of every k tried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grouping {
    pub k: usize,
    /// Group of each point, groups numbered from the largest (0) down.
    pub groups: Vec<usize>,
    /// `(k, mean silhouette)` of each k tried.
    pub silhouettes: Vec<(usize, f32)>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = dot(&v, &v).sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// One spherical k-means run from k-means++ seeds: the groups and the summed similarity of every
/// point to its centre.
fn kmeans(points: &[Vec<f32>], k: usize, rng: &mut Rng) -> (Vec<usize>, f32) {
    let n = points.len();
    let mut centres = vec![points[rng.below(n)].clone()];
    // Seeds: each next one drawn with probability proportional to its squared distance
    // (2 − 2 cos for unit vectors) to the nearest seed so far.
    let mut nearest: Vec<f32> = points.iter().map(|p| 2.0 - 2.0 * dot(p, &centres[0])).collect();
    while centres.len() < k {
        let total: f32 = nearest.iter().map(|d| d.max(0.0)).sum();
        let mut target = rng.range(0.0, total.max(1e-12));
        let mut pick = n - 1;
        for (i, d) in nearest.iter().enumerate() {
            target -= d.max(0.0);
            if target <= 0.0 {
                pick = i;
                break;
            }
        }
        centres.push(points[pick].clone());
        for (d, p) in nearest.iter_mut().zip(points) {
            *d = d.min(2.0 - 2.0 * dot(p, &centres[centres.len() - 1]));
        }
    }
    let mut groups = vec![0; n];
    for iteration in 0..ITERATIONS {
        let mut changed = false;
        for (g, p) in groups.iter_mut().zip(points) {
            let best = (0..k).max_by(|&a, &b| dot(p, &centres[a]).total_cmp(&dot(p, &centres[b]))).expect("k ≥ 1");
            changed |= *g != best;
            *g = best;
        }
        if !changed && iteration > 0 {
            break;
        }
        for (c, centre) in centres.iter_mut().enumerate() {
            let mut sum = vec![0.0; points[0].len()];
            for (p, _) in points.iter().zip(&groups).filter(|(_, g)| **g == c) {
                sum.iter_mut().zip(p).for_each(|(s, v)| *s += v);
            }
            // An emptied group keeps its centre.
            if sum.iter().any(|v| *v != 0.0) {
                *centre = unit(sum);
            }
        }
    }
    let fit = points.iter().zip(&groups).map(|(p, &g)| dot(p, &centres[g])).sum();
    (groups, fit)
}

/// Mean silhouette with cosine distance; a point alone in its group counts 0.
fn silhouette(similarity: &[f32], n: usize, groups: &[usize], k: usize) -> f32 {
    let mut total = 0.0;
    for i in 0..n {
        let mut sums = vec![0.0f32; k];
        let mut counts = vec![0usize; k];
        for j in (0..n).filter(|&j| j != i) {
            sums[groups[j]] += 1.0 - similarity[i * n + j];
            counts[groups[j]] += 1;
        }
        let own = groups[i];
        if counts[own] == 0 {
            continue;
        }
        let a = sums[own] / counts[own] as f32;
        let b = (0..k).filter(|&g| g != own && counts[g] > 0).map(|g| sums[g] / counts[g] as f32).fold(f32::INFINITY, f32::min);
        if b.is_finite() {
            total += (b - a) / a.max(b).max(1e-12);
        }
    }
    total / n as f32
}

/// `features` (`points × dim`) centred on their mean and made unit length: the backbone's
/// features are all positive, so uncentred they crowd into one narrow cone where every cosine is
/// high.
fn points(features: &[f32], dim: usize) -> Result<Vec<Vec<f32>>, Error> {
    let mean = crate::learn::vectors::mean(features, dim);
    let points: Vec<Vec<f32>> = features.chunks(dim).map(|p| unit(p.iter().zip(&mean).map(|(v, m)| v - m).collect())).collect();
    if points.len() < MIN_CAPTURES {
        return Err(Error::TooFewToGroup { found: points.len(), needed: MIN_CAPTURES });
    }
    Ok(points)
}

/// The best of the seeded restarts of k-means with `k` groups.
fn best_of_restarts(points: &[Vec<f32>], k: usize, seed: u64) -> Vec<usize> {
    let mut kept: Option<(Vec<usize>, f32)> = None;
    for restart in 0..RESTARTS {
        let run = kmeans(points, k, &mut Rng::new(seed ^ (k as u64) << 8 ^ restart));
        if kept.as_ref().is_none_or(|(_, fit)| run.1 > *fit) {
            kept = Some(run);
        }
    }
    kept.expect("at least one restart").0
}

/// Groups `features` (`points × dim`): into `wanted` groups, or as many as separate best (the
/// highest mean silhouette) when `None`. The silhouette of every k from 2 to [`MAX_K`] is
/// reported either way, so a person choosing k sees how well each separates.
pub fn group(features: &[f32], dim: usize, wanted: Option<usize>, seed: u64) -> Result<Grouping, Error> {
    let points = points(features, dim)?;
    let n = points.len();
    let similarity: Vec<f32> = points.iter().flat_map(|a| points.iter().map(move |b| dot(a, b))).collect();
    let mut chosen: Option<(f32, usize, Vec<usize>)> = None;
    let mut silhouettes = Vec::new();
    for k in 2..=MAX_K.min(n - 1) {
        let groups = best_of_restarts(&points, k, seed);
        let score = silhouette(&similarity, n, &groups, k);
        silhouettes.push((k, score));
        let better = match wanted {
            Some(w) => k == w,
            None => chosen.as_ref().is_none_or(|(s, _, _)| score > *s),
        };
        if better {
            chosen = Some((score, k, groups));
        }
    }
    let (_, k, groups) = chosen.ok_or(Error::Settings(format!("groups must be between 2 and {}", MAX_K.min(n - 1))))?;
    Ok(Grouping { k, groups: by_size(&groups, k), silhouettes })
}

/// Renumbers groups from the largest down (ties by first appearance), dropping empty ones.
fn by_size(groups: &[usize], k: usize) -> Vec<usize> {
    let mut sizes: Vec<(usize, usize, usize)> =
        (0..k).map(|g| (g, groups.iter().filter(|&&x| x == g).count(), groups.iter().position(|&x| x == g).unwrap_or(usize::MAX))).collect();
    sizes.retain(|(_, size, _)| *size > 0);
    sizes.sort_by_key(|&(_, size, first)| (std::cmp::Reverse(size), first));
    let mut rank = vec![0; k];
    for (r, (g, _, _)) in sizes.iter().enumerate() {
        rank[*g] = r;
    }
    groups.iter().map(|&g| rank[g]).collect()
}

/// Adjusted Rand index of two labellings of the same points: 1 when they agree, about 0 for a
/// grouping no better than chance (Hubert and Arabie 1985).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len());
    let pairs = |x: f64| x * (x - 1.0) / 2.0;
    let (ka, kb) = (a.iter().max().map_or(0, |m| m + 1), b.iter().max().map_or(0, |m| m + 1));
    let mut table = vec![0.0f64; ka * kb];
    for (&x, &y) in a.iter().zip(b) {
        table[x * kb + y] += 1.0;
    }
    let index: f64 = table.iter().map(|&c| pairs(c)).sum();
    let rows: f64 = (0..ka).map(|x| pairs((0..kb).map(|y| table[x * kb + y]).sum())).sum();
    let columns: f64 = (0..kb).map(|y| pairs((0..ka).map(|x| table[x * kb + y]).sum())).sum();
    let expected = rows * columns / pairs(a.len() as f64);
    let max = (rows + columns) / 2.0;
    if max == expected { 1.0 } else { (index - expected) / (max - expected) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight groups of unit vectors along axes of a 6-dimensional space.
    fn three_groups() -> (Vec<f32>, Vec<usize>) {
        let mut rng = Rng::new(5);
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for i in 0..21 {
            let label = [0, 0, 1, 2, 2, 2, 1][i % 7];
            features.extend((0..6).map(|d| if d == label * 2 { 1.0 } else { rng.range(-0.1, 0.1) }));
            labels.push(label);
        }
        (features, labels)
    }

    #[test]
    fn separated_groups_are_found_with_their_number_and_the_largest_first() {
        let (features, labels) = three_groups();
        let g = group(&features, 6, None, 1).unwrap();
        assert_eq!(g.k, 3, "{g:?}");
        assert_eq!(adjusted_rand_index(&g.groups, &labels), 1.0);
        assert_eq!(g.groups[3], 0, "the 9 points of label 2 (the fourth point is one) are group 0");
        assert_eq!(g.silhouettes.len(), MAX_K - 1);
        assert_eq!(g, group(&features, 6, None, 1).unwrap(), "the same seed, the same groups");
        let two = group(&features, 6, Some(2), 1).unwrap();
        assert_eq!((two.k, two.silhouettes.clone()), (2, g.silhouettes.clone()), "a chosen k, the same silhouettes");
        assert!(group(&features, 6, Some(1), 1).is_err() && group(&features, 6, Some(21), 1).is_err());
    }

    #[test]
    fn the_adjusted_rand_index_is_one_for_agreement_and_near_zero_for_chance() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0, "names do not matter");
        // A hand-computed case: sklearn's adjusted_rand_score([0,0,1,1,2,2], [0,0,1,2,2,2]) = 0.4444.
        assert!((adjusted_rand_index(&[0, 0, 1, 1, 2, 2], &[0, 0, 1, 2, 2, 2]) - 4.0 / 9.0).abs() < 1e-9);
        let mut rng = Rng::new(3);
        let (a, b): (Vec<usize>, Vec<usize>) = (0..2000).map(|_| (rng.below(4), rng.below(4))).unzip();
        assert!(adjusted_rand_index(&a, &b).abs() < 0.02);
    }

    #[test]
    fn too_few_points_are_refused() {
        assert!(matches!(group(&[1.0, 0.0, 0.0, 1.0], 2, None, 1), Err(Error::TooFewToGroup { found: 2, needed: 3 })));
    }
}
