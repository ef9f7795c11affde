//! The held-out split: stratified by class, grouped by capture, fixed by a seed.

use std::collections::BTreeMap;

use crate::learn::rng::Rng;

/// Indices into the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

/// Holds out about `fraction` of each class's captures (never a class's last one), keeping all
/// views of a capture on one side so that validation never sees a mirror of a training image.
pub fn stratified(labels: &[usize], groups: &[u32], fraction: f32, seed: u32) -> Split {
    assert_eq!(labels.len(), groups.len());
    // class → capture → example indices, in a fixed order.
    let mut by_class: BTreeMap<usize, BTreeMap<u32, Vec<usize>>> = BTreeMap::new();
    for (i, (&label, &group)) in labels.iter().zip(groups).enumerate() {
        by_class.entry(label).or_default().entry(group).or_default().push(i);
    }
    let mut split = Split { train: Vec::new(), validation: Vec::new() };
    for (label, captures) in by_class {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_grouped_and_deterministic() {
        // Class 0: 10 captures of 2 views; class 1: 5 single captures; class 2: one capture.
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for g in 0..10 {
            labels.extend([0, 0]);
            groups.extend([g, g]);
        }
        for g in 10..15 {
            labels.push(1);
            groups.push(g);
        }
        labels.push(2);
        groups.push(99);
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
}
