//! How well objects were found: each found centre is matched, most confident first, to the
//! nearest true centre of its class not yet matched, within [`RADIUS`]; then precision, recall
//! and F1 per class and over all, and the share of frames whose every count is right.

use serde::{Deserialize, Serialize};

use super::Point;
use super::grid::Found;
use crate::learn::examples::store::ClassId;

/// How far a found centre may be from the true one, as a fraction of the frame's width and
/// height (a tenth: about the size of the objects counting is for).
pub const RADIUS: f32 = 0.1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassFinding {
    pub class: ClassId,
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
    /// True objects of the class.
    pub objects: u32,
    pub found: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountEvaluation {
    pub frames: u32,
    pub classes: Vec<ClassFinding>,
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
    /// Share of frames in which every class was counted right.
    pub exact_counts: f32,
}

fn rates(hits: u32, found: u32, objects: u32) -> (f32, f32, f32) {
    // Nothing to find and nothing found is perfect, not undefined.
    let precision = if found == 0 { if objects == 0 { 1.0 } else { 0.0 } } else { hits as f32 / found as f32 };
    let recall = if objects == 0 { 1.0 } else { hits as f32 / objects as f32 };
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    (precision, recall, f1)
}

/// Scores `found` against `truth`, frame by frame.
pub fn evaluate(classes: &[ClassId], truth: &[Vec<Point>], found: &[Vec<Found>]) -> CountEvaluation {
    let mut per_class = vec![(0u32, 0u32, 0u32); classes.len()]; // hits, found, objects
    let mut exact = 0;
    for (points, found) in truth.iter().zip(found) {
        let mut all_right = true;
        for (k, &class) in classes.iter().enumerate() {
            let objects: Vec<&Point> = points.iter().filter(|p| p.class == class).collect();
            let mut candidates: Vec<&Found> = found.iter().filter(|f| f.class == class).collect();
            candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
            let mut taken = vec![false; objects.len()];
            let mut hits = 0;
            for f in &candidates {
                let nearest = (0..objects.len())
                    .filter(|&i| !taken[i])
                    .map(|i| (i, (objects[i].x - f.x).hypot(objects[i].y - f.y)))
                    .filter(|&(_, d)| d <= RADIUS)
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((i, _)) = nearest {
                    taken[i] = true;
                    hits += 1;
                }
            }
            all_right &= candidates.len() == objects.len();
            let c = &mut per_class[k];
            *c = (c.0 + hits, c.1 + candidates.len() as u32, c.2 + objects.len() as u32);
        }
        exact += all_right as u32;
    }
    let findings: Vec<ClassFinding> = classes
        .iter()
        .zip(&per_class)
        .map(|(&class, &(hits, found, objects))| {
            let (precision, recall, f1) = rates(hits, found, objects);
            ClassFinding { class, precision, recall, f1, objects, found }
        })
        .collect();
    let total = per_class.iter().fold((0, 0, 0), |t, c| (t.0 + c.0, t.1 + c.1, t.2 + c.2));
    let (precision, recall, f1) = rates(total.0, total.1, total.2);
    let frames = truth.len() as u32;
    CountEvaluation { frames, classes: findings, precision, recall, f1, exact_counts: exact as f32 / frames.max(1) as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_match_one_to_one_within_the_radius() {
        let p = |class, x, y| Point { class, x, y };
        let f = |class, x, y, score| Found { class, x, y, score };
        let truth = vec![vec![p(1, 0.2, 0.2), p(1, 0.25, 0.2), p(2, 0.8, 0.8)], vec![]];
        // Two found near the two close cats (one match each), the cup missed, a stray cat in an empty frame.
        let found = vec![vec![f(1, 0.22, 0.2, 0.9), f(1, 0.22, 0.21, 0.8)], vec![f(1, 0.5, 0.5, 0.6)]];
        let e = evaluate(&[1, 2], &truth, &found);
        assert_eq!((e.classes[0].objects, e.classes[0].found), (2, 3));
        assert!((e.classes[0].precision - 2.0 / 3.0).abs() < 1e-6 && e.classes[0].recall == 1.0);
        assert_eq!((e.classes[1].recall, e.classes[1].precision), (0.0, 0.0));
        assert!((e.recall - 2.0 / 3.0).abs() < 1e-6 && (e.precision - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(e.exact_counts, 0.0);
        let far = evaluate(&[1], &[vec![p(1, 0.2, 0.2)]], &[vec![f(1, 0.2 + RADIUS * 1.1, 0.2, 1.0)]]);
        assert_eq!(far.f1, 0.0, "beyond the radius is a miss and a false alarm");
        let empty = evaluate(&[1], &[vec![]], &[vec![]]);
        assert_eq!((empty.f1, empty.exact_counts), (1.0, 1.0));
    }
}
