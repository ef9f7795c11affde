//! How well a head does on examples it did not learn from.

use serde::{Deserialize, Serialize};

use crate::learn::examples::store::{ClassId, ExampleId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassMetrics {
    pub class: ClassId,
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
    /// Examples of this class that were evaluated.
    pub support: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub examples: u32,
    pub accuracy: f32,
    /// In the order of `classes` given to [`evaluate`].
    pub classes: Vec<ClassMetrics>,
    pub macro_precision: f32,
    pub macro_recall: f32,
    pub macro_f1: f32,
    /// `confusion[true][predicted]` holds the ids of the examples that landed in that cell.
    pub confusion: Vec<Vec<Vec<ExampleId>>>,
}

/// `truth` and `predicted` are indices into `classes`. A class never predicted has precision 0
/// (scikit-learn's `zero_division=0`), so a head that ignores a class cannot look good.
pub fn evaluate(classes: &[ClassId], truth: &[usize], predicted: &[usize], ids: &[ExampleId]) -> Evaluation {
    assert!(truth.len() == predicted.len() && truth.len() == ids.len());
    let n = classes.len();
    let mut confusion = vec![vec![Vec::new(); n]; n];
    for ((&t, &p), &id) in truth.iter().zip(predicted).zip(ids) {
        confusion[t][p].push(id);
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f32 / b as f32 };
    let per_class: Vec<ClassMetrics> = (0..n)
        .map(|c| {
            let hit = confusion[c][c].len();
            let actual: usize = confusion[c].iter().map(Vec::len).sum();
            let predicted: usize = confusion.iter().map(|row| row[c].len()).sum();
            let (precision, recall) = (ratio(hit, predicted), ratio(hit, actual));
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            ClassMetrics { class: classes[c], precision, recall, f1, support: actual as u32 }
        })
        .collect();
    let mean = |f: fn(&ClassMetrics) -> f32| if n == 0 { 0.0 } else { per_class.iter().map(f).sum::<f32>() / n as f32 };
    let correct = (0..n).map(|c| confusion[c][c].len()).sum();
    Evaluation {
        examples: truth.len() as u32,
        accuracy: ratio(correct, truth.len()),
        macro_precision: mean(|m| m.precision),
        macro_recall: mean(|m| m.recall),
        macro_f1: mean(|m| m.f1),
        classes: per_class,
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_a_hand_computed_case() {
        // truth:     a a a b b c
        // predicted: a a b b c c
        let e = evaluate(&[10, 20, 30], &[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2], &[1, 2, 3, 4, 5, 6]);
        assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-6);
        let a = &e.classes[0];
        assert_eq!((a.class, a.precision, a.support), (10, 1.0, 3));
        assert!((a.recall - 2.0 / 3.0).abs() < 1e-6 && (a.f1 - 0.8).abs() < 1e-6);
        let b = &e.classes[1];
        assert!((b.precision - 0.5).abs() < 1e-6 && (b.recall - 0.5).abs() < 1e-6);
        let c = &e.classes[2];
        assert!((c.precision - 0.5).abs() < 1e-6 && (c.recall - 1.0).abs() < 1e-6);
        assert!((e.macro_recall - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-6);
        assert_eq!(e.confusion[0][1], vec![3], "the misclassified example is in its cell");
        assert_eq!(e.confusion[1][2], vec![5]);
    }

    #[test]
    fn a_class_never_predicted_scores_zero() {
        let e = evaluate(&[1, 2], &[0, 1], &[0, 0], &[1, 2]);
        assert_eq!((e.classes[1].precision, e.classes[1].recall, e.classes[1].f1), (0.0, 0.0, 0.0));
    }
}
