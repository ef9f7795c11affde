//! Classes with no examples, predicted from the ImageNet classifier through what their names
//! cover (see `backbone::concepts`), and how they mix with trained classes.
//!
//! A zero-shot class's probability is the ImageNet probability mass of the classes it covers.
//! Where two project classes cover the same ImageNet class ("dog" and "retriever"), its mass
//! goes to the more specific one (fewer classes covered), split evenly on a tie, so that masses
//! never count twice.
//!
//! "None of the named things" competes with them as one more class, scored by the most probable
//! ImageNet class that no project class covers: a named class wins when it is more probable than
//! anything else ImageNet knows. Scores are normalised over the named classes plus that one.
//! (Comparing with the whole uncovered mass instead would call a rocket on a launch pad
//! unknown: ImageNet gives "missile" 0.23 and spreads 0.77 over platforms, poles and shuttles.)
//!
//! Mixing: with trained classes, "none of the named things" is the trained classes', shared
//! by the head's softmax `q`: `P(trained c) = q_c · other / (Σ masses + other)`. The ImageNet
//! classifier says whether the frame shows one of the named things; the head, trained on the
//! user's examples, says which of theirs it is otherwise. With no trained class, "none" winning
//! is the unknown answer.

use crate::backbone::IMAGENET_CLASSES;

#[derive(Debug, Clone, PartialEq)]
pub struct ZeroShot {
    /// Per ImageNet class: the zero-shot classes it counts for, with their share.
    shares: Vec<Vec<(usize, f32)>>,
    classes: usize,
}

impl ZeroShot {
    /// `covers[z]` lists the ImageNet classes under zero-shot class `z`.
    pub fn new(covers: &[Vec<usize>]) -> Self {
        let mut covering = vec![Vec::new(); IMAGENET_CLASSES];
        for (z, cover) in covers.iter().enumerate() {
            cover.iter().for_each(|&i| covering[i].push(z));
        }
        let shares = covering
            .into_iter()
            .map(|zs: Vec<usize>| {
                let Some(narrowest) = zs.iter().map(|&z| covers[z].len()).min() else { return Vec::new() };
                let owners: Vec<usize> = zs.into_iter().filter(|&z| covers[z].len() == narrowest).collect();
                let part = 1.0 / owners.len() as f32;
                owners.into_iter().map(|z| (z, part)).collect()
            })
            .collect();
        Self { shares, classes: covers.len() }
    }

    pub fn len(&self) -> usize {
        self.classes
    }

    pub fn is_empty(&self) -> bool {
        self.classes == 0
    }

    /// Each zero-shot class's probability, from one row of ImageNet probabilities.
    pub fn masses(&self, imagenet: &[f32]) -> Vec<f32> {
        let mut mass = vec![0.0; self.classes];
        for (p, share) in imagenet.iter().zip(&self.shares) {
            for &(z, part) in share {
                mass[z] += p * part;
            }
        }
        mass
    }

    /// The probability of the most probable ImageNet class no zero-shot class covers.
    pub fn strongest_other(&self, imagenet: &[f32]) -> f32 {
        imagenet.iter().zip(&self.shares).filter(|(_, s)| s.is_empty()).map(|(p, _)| *p).fold(0.0, f32::max)
    }

    /// The shares as a dense matrix (`IMAGENET_CLASSES × classes`, row-major), and 1 for each
    /// ImageNet class no zero-shot class covers, 0 for the others: what a graph multiplies by
    /// (see `export`).
    pub fn matrices(&self) -> (Vec<f32>, Vec<f32>) {
        let mut dense = vec![0.0; IMAGENET_CLASSES * self.classes];
        for (i, share) in self.shares.iter().enumerate() {
            for &(z, part) in share {
                dense[i * self.classes + z] = part;
            }
        }
        let uncovered = self.shares.iter().map(|s| if s.is_empty() { 1.0 } else { 0.0 }).collect();
        (dense, uncovered)
    }

    /// The ImageNet class that gives zero-shot class `z` the most mass in this row: the one
    /// whose heat map explains it.
    pub fn strongest(&self, z: usize, imagenet: &[f32]) -> usize {
        (0..IMAGENET_CLASSES).filter(|&i| self.shares[i].iter().any(|&(c, _)| c == z)).max_by(|&a, &b| imagenet[a].total_cmp(&imagenet[b])).unwrap_or(0)
    }
}

/// Probabilities of the trained classes (`trained`, the head's softmax; empty when there are
/// none) followed by the zero-shot classes' (from their `masses`), and the probability of "none
/// of these" when no class is trained, with `other` the strongest uncovered ImageNet class (see
/// the module comment).
pub fn mix(trained: &[f32], masses: &[f32], other: f32) -> (Vec<f32>, Option<f32>) {
    if masses.is_empty() {
        return (trained.to_vec(), None);
    }
    let total = (masses.iter().sum::<f32>() + other).max(f32::MIN_POSITIVE);
    let rest = other / total;
    let mut probabilities: Vec<f32> = trained.iter().map(|q| q * rest).collect();
    probabilities.extend(masses.iter().map(|m| m / total));
    (probabilities, trained.is_empty().then_some(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mass: &[(usize, f32)]) -> Vec<f32> {
        let mut p = vec![0.0; IMAGENET_CLASSES];
        mass.iter().for_each(|&(i, m)| p[i] = m);
        p
    }

    #[test]
    fn overlapping_classes_do_not_count_mass_twice() {
        // "dog" covers 1..=4, "retriever" 3..=4, "terrier" 1 and 5; class 1 is claimed by both
        // "dog" (4 classes) and "terrier" (2): the narrower wins.
        let z = ZeroShot::new(&[vec![1, 2, 3, 4], vec![3, 4], vec![1, 5]]);
        let m = z.masses(&row(&[(1, 0.1), (2, 0.2), (3, 0.3), (4, 0.15), (5, 0.05), (9, 0.2)]));
        let expected = [0.2, 0.45, 0.15];
        m.iter().zip(expected).for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "{m:?}"));
        assert!((m.iter().sum::<f32>() - 0.8).abs() < 1e-6);
        assert_eq!(z.strongest(1, &row(&[(3, 0.1), (4, 0.3)])), 4);
        assert_eq!(z.strongest_other(&row(&[(3, 0.5), (9, 0.2), (10, 0.1)])), 0.2);
    }

    #[test]
    fn ties_split_evenly() {
        let z = ZeroShot::new(&[vec![7], vec![7]]);
        assert_eq!(z.masses(&row(&[(7, 0.5)])), vec![0.25, 0.25]);
    }

    #[test]
    fn trained_classes_share_what_the_named_ones_leave() {
        let (p, none) = mix(&[0.75, 0.25], &[0.3], 0.5);
        let expected = [0.75 * 0.625, 0.25 * 0.625, 0.375];
        p.iter().zip(expected).for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "{p:?}"));
        assert_eq!(none, None);
        assert_eq!(mix(&[0.9, 0.1], &[], 0.0), (vec![0.9, 0.1], None), "no named class: the head alone");
    }

    #[test]
    fn without_trained_classes_none_competes_as_a_class() {
        let (p, none) = mix(&[], &[0.2, 0.3], 0.5);
        assert_eq!(p, vec![0.2, 0.3]);
        assert_eq!(none, Some(0.5));
        let (p, none) = mix(&[], &[0.01, 0.03], 0.36);
        assert!((p[1] - 0.075).abs() < 1e-6 && (none.unwrap() - 0.9).abs() < 1e-6);
    }
}
