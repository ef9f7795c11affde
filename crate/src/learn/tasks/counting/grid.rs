//! Points onto the grid of cells and back: each object's centre makes its cell a target of its
//! class (every other cell is background); found objects are groups of touching cells whose
//! most probable class is the same object class, above a threshold.

use serde::{Deserialize, Serialize};

use super::Point;
use crate::learn::examples::store::ClassId;

/// The cell a point falls in, on a `side × side` grid: `row · side + column`.
pub fn cell(x: f32, y: f32, side: usize) -> usize {
    let at = |v: f32| ((v * side as f32) as usize).min(side - 1);
    at(y) * side + at(x)
}

/// Per-cell targets: 0 for background, `1 + k` where an object of `classes[k]` has its centre.
/// Points of classes not in `classes` are left out; two in one cell, the later wins.
pub fn targets(points: &[Point], classes: &[ClassId], side: usize) -> Vec<usize> {
    let mut targets = vec![0; side * side];
    for p in points {
        if let Some(k) = classes.iter().position(|&c| c == p.class) {
            targets[cell(p.x, p.y, side)] = k + 1;
        }
    }
    targets
}

/// The same points, mirrored left to right.
pub fn mirrored(points: &[Point]) -> Vec<Point> {
    points.iter().map(|p| Point { x: 1.0 - p.x, ..*p }).collect()
}

/// An object found in a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub class: ClassId,
    pub x: f32,
    pub y: f32,
    /// The highest probability among its cells.
    pub score: f32,
}

/// The objects in one frame's cell probabilities (`side × side × (1 + classes)`, row-major):
/// cells whose most probable class is an object class with a probability of at least
/// `threshold`, grouped where they touch (diagonals too), each group one object at the
/// probability-weighted centre of its cells. Most probable first.
pub fn decode(probabilities: &[f32], side: usize, classes: &[ClassId], threshold: f32) -> Vec<Found> {
    let k = classes.len() + 1;
    let best: Vec<(usize, f32)> = probabilities
        .chunks(k)
        .map(|p| {
            let c = (0..k).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
            (c, p[c])
        })
        .collect();
    let mut seen = vec![false; side * side];
    let mut found = Vec::new();
    for start in 0..side * side {
        let (class, p) = best[start];
        if seen[start] || class == 0 || p < threshold {
            continue;
        }
        // A flood fill over the touching cells of the same class.
        let (mut sum, mut x, mut y, mut score) = (0.0, 0.0, 0.0, 0.0f32);
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            let (row, col) = (i / side, i % side);
            let w = best[i].1;
            sum += w;
            x += w * (col as f32 + 0.5);
            y += w * (row as f32 + 0.5);
            score = score.max(w);
            for dr in -1i32..=1 {
                for dc in -1i32..=1 {
                    let (r, c) = (row as i32 + dr, col as i32 + dc);
                    if r < 0 || c < 0 || r >= side as i32 || c >= side as i32 {
                        continue;
                    }
                    let j = r as usize * side + c as usize;
                    if !seen[j] && best[j].0 == class && best[j].1 >= threshold {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        found.push(Found { class: classes[class - 1], x: x / sum / side as f32, y: y / sum / side as f32, score });
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_become_cells_and_cells_become_points() {
        let classes = [7, 9];
        let points = [Point { class: 7, x: 0.1, y: 0.1 }, Point { class: 9, x: 0.9, y: 0.5 }, Point { class: 3, x: 0.5, y: 0.5 }];
        let t = targets(&points, &classes, 4);
        assert_eq!(t.iter().filter(|&&v| v > 0).count(), 2, "a point of another class is left out");
        assert_eq!((t[0], t[2 * 4 + 3]), (1, 2));
        // Probabilities that say the same, one object spread over two touching cells.
        let mut p = vec![0.0; 16 * 3];
        for (i, &v) in t.iter().enumerate() {
            p[i * 3 + v] = 1.0;
        }
        p[4 * 3] = 0.0;
        p[4 * 3 + 1] = 0.8; // the cell below the first object, less sure
        let found = decode(&p, 4, &classes, 0.5);
        assert_eq!(found.len(), 2, "{found:?}");
        let first = found.iter().find(|f| f.class == 7).unwrap();
        assert!((first.x - 0.125).abs() < 1e-6 && (first.y - (0.125 * 1.0 + 0.375 * 0.8) / 1.8).abs() < 1e-6, "{first:?}");
        assert_eq!(first.score, 1.0);
        assert!(decode(&p, 4, &classes, 1.1).is_empty(), "nothing above the threshold");
        assert_eq!(mirrored(&points[..1])[0].x, 0.9);
    }
}
