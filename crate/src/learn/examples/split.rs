//! The held-out split: stratified by class, grouped by capture, fixed by a seed.

use std::collections::BTreeMap;

use crate::learn::rng::Rng;

/// Indices into the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

impl Split {
    /// Every one of `len` rows to train on, none held out (the refit's).
    pub fn every(len: usize) -> Self {
        Split { train: (0..len).collect(), validation: Vec::new() }
    }
}

/// Holds out about `fraction` of each class's captures (never a class's last one), keeping all
/// views of a capture on one side so that validation never sees a mirror of a training image.
pub fn stratified(labels: &[usize], groups: &[u32], fraction: f32, seed: u32) -> Split {
    let mut split = Split { train: Vec::new(), validation: Vec::new() };
    for (label, captures) in by_class(labels, groups) {
        let mut captures: Vec<Vec<usize>> = captures.into_values().collect();
        // One generator per class, so adding examples to one class leaves the others' split alone.
        Rng::new(((seed as u64) << 32) ^ label as u64).shuffle(&mut captures);
        let held = ((captures.len() as f32 * fraction).round() as usize).min(captures.len().saturating_sub(1));
        for (i, capture) in captures.into_iter().enumerate() {
            if i < held { &mut split.validation } else { &mut split.train }.extend(capture);
        }
    }
    split.train.sort_unstable();
    split.validation.sort_unstable();
    split
}

/// `k` splits for cross-validation: each class's captures, shuffled by `seed`, dealt to the folds
/// in turn (all views of a capture in one fold); split `i` holds out fold `i` and trains on the
/// rest. Every fold holds out some of every class when each class has at least `k` captures.
pub fn folds(labels: &[usize], groups: &[u32], k: usize, seed: u32) -> Vec<Split> {
    let mut fold_of = vec![0; labels.len()];
    for (label, captures) in by_class(labels, groups) {
        let mut captures: Vec<Vec<usize>> = captures.into_values().collect();
        Rng::new(((seed as u64) << 32) ^ label as u64 ^ 0xf01d).shuffle(&mut captures);
        for (i, capture) in captures.into_iter().enumerate() {
            capture.into_iter().for_each(|row| fold_of[row] = i % k);
        }
    }
    (0..k)
        .map(|fold| {
            let (validation, train): (Vec<usize>, Vec<usize>) = (0..labels.len()).partition(|&row| fold_of[row] == fold);
            Split { train, validation }
        })
        .collect()
}

/// The fewest captures any class has.
pub fn fewest_captures(labels: &[usize], groups: &[u32]) -> usize {
    by_class(labels, groups).values().map(BTreeMap::len).min().unwrap_or(0)
}

/// class → capture → example indices, in a fixed order.
fn by_class(labels: &[usize], groups: &[u32]) -> BTreeMap<usize, BTreeMap<u32, Vec<usize>>> {
    assert_eq!(labels.len(), groups.len());
    let mut by_class: BTreeMap<usize, BTreeMap<u32, Vec<usize>>> = BTreeMap::new();
    for (i, (&label, &group)) in labels.iter().zip(groups).enumerate() {
        by_class.entry(label).or_default().entry(group).or_default().push(i);
    }
    by_class
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels and capture ids of `(captures, views each)` per class, captures numbered in turn.
    fn captures(classes: &[(u32, usize)]) -> (Vec<usize>, Vec<u32>) {
        let (mut labels, mut groups, mut next) = (Vec::new(), Vec::new(), 0);
        for (label, &(captures, views)) in classes.iter().enumerate() {
            for _ in 0..captures {
                labels.extend(std::iter::repeat_n(label, views));
                groups.extend(std::iter::repeat_n(next, views));
                next += 1;
            }
        }
        (labels, groups)
    }

    #[test]
    fn stratified_grouped_and_deterministic() {
        // Class 0: 10 captures of 2 views; class 1: 5 single captures; class 2: one capture.
        let (labels, groups) = captures(&[(10, 2), (5, 1), (1, 1)]);
        let split = stratified(&labels, &groups, 0.2, 7);
        assert_eq!(split, stratified(&labels, &groups, 0.2, 7), "same seed, same split");
        assert_ne!(split, stratified(&labels, &groups, 0.2, 8), "another seed moves it");
        let held = |class| split.validation.iter().filter(|&&i| labels[i] == class).count();
        assert_eq!((held(0), held(1), held(2)), (4, 1, 0), "2 of 10 captures, 1 of 5, never the last");
        for &i in &split.validation {
            assert!(split.train.iter().all(|&j| groups[j] != groups[i]), "a capture was split");
        }
        let mut all: Vec<usize> = split.train.iter().chain(&split.validation).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
        assert!(stratified(&labels, &groups, 0.0, 7).validation.is_empty());
    }

    #[test]
    fn folds_hold_out_every_capture_once_and_every_class_in_each_fold() {
        // Class 0: 7 captures of 2 views; class 1: 3 single captures.
        let (labels, groups) = captures(&[(7, 2), (3, 1)]);
        assert_eq!(fewest_captures(&labels, &groups), 3);
        let folds = folds(&labels, &groups, 3, 1);
        let mut held: Vec<usize> = folds.iter().flat_map(|f| f.validation.clone()).collect();
        held.sort_unstable();
        assert_eq!(held, (0..labels.len()).collect::<Vec<_>>(), "every row held out exactly once");
        for f in &folds {
            for class in [0, 1] {
                assert!(f.validation.iter().any(|&i| labels[i] == class) && f.train.iter().any(|&i| labels[i] == class));
            }
            for &i in &f.validation {
                assert!(f.train.iter().all(|&j| groups[j] != groups[i]), "a capture was split");
            }
        }
    }
}
