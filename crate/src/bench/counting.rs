//! The counter's choices measured side by side (docs/benchmarks.md, "Counting"): where the
//! backbone is cut, how much object cells weigh, mirrored and moved frames, the learner's settings
//! and the threshold, each trained on the same frames and scored on the same others, in one
//! process.

use burn::prelude::*;

use crate::backbone::Backbone;
use crate::backbone::top::boundary_shape;
use crate::clock::now_ms;
use crate::device::read_floats;
use crate::learn::examples::store::ClassId;
use crate::learn::progress::{Interrupter, Quiet, Run};
use crate::learn::settings::Settings;
use crate::learn::tasks::counting::Point;
use crate::learn::tasks::counting::cells::{self, CellNet, Frames, Recipe};
use crate::learn::tasks::counting::grid::decode;
use crate::learn::tasks::counting::score::{CountEvaluation, evaluate};
use crate::preprocess::View;
use crate::{Error, Frame};

/// A frame and its objects' centres (classes numbered from 0).
pub struct Labelled<'a> {
    pub frame: Frame<'a>,
    pub points: Vec<Point>,
}

/// A way to train the counter: its recipe, the learner's settings, and whether each frame also
/// comes moved by a cell (a crop's effect on the map: measured here, not in the learner).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub recipe: Recipe,
    pub settings: Settings,
    pub moved: bool,
}

/// The cell moves a moved frame gets: each frame one, in turn.
const MOVES: [(i32, i32); 8] = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)];

/// A map moved by whole cells, the cells it uncovers copied from the nearest edge.
fn moved_map(map: &[f32], side: usize, (dx, dy): (i32, i32)) -> Vec<f32> {
    let at = |v: usize, d: i32| (v as i32 - d).clamp(0, side as i32 - 1) as usize;
    map.chunks(side * side).flat_map(|channel| (0..side * side).map(move |i| channel[at(i / side, dy) * side + at(i % side, dx)])).collect()
}

/// Points moved by whole cells, those moved out of the frame left out.
fn moved_points(points: &[Point], (dx, dy): (i32, i32), side: usize) -> Vec<Point> {
    let (dx, dy) = (dx as f32 / side as f32, dy as f32 / side as f32);
    points.iter().map(|p| Point { x: p.x + dx, y: p.y + dy, ..*p }).filter(|p| (0.0..1.0).contains(&p.x) && (0.0..1.0).contains(&p.y)).collect()
}

/// `frames` and a moved copy of each, kept with its frame's capture (the split keeps them together).
fn with_moved(frames: &Frames) -> Frames {
    let [_, side, _] = frames.shape;
    let size: usize = frames.shape.iter().product();
    let mut out =
        Frames { shape: frames.shape, maps: frames.maps.clone(), points: frames.points.clone(), ids: frames.ids.clone(), captures: frames.captures.clone() };
    for (i, map) in frames.maps.chunks(size).enumerate() {
        let by = MOVES[i % MOVES.len()];
        out.maps.extend(moved_map(map, side, by));
        out.points.push(moved_points(&frames.points[i], by, side));
        out.ids.push((frames.ids.len() + i) as u32);
        out.captures.push(frames.captures[i]);
    }
    out
}

/// One cut and candidate: what it cost and how well it counted at each threshold.
pub struct Outcome {
    pub block: usize,
    /// `[C, side, side]` of the map at the cut.
    pub shape: [usize; 3],
    /// Which of the candidates.
    pub candidate: usize,
    /// The backbone up to the cut, per frame (batches of 8).
    pub trunk_ms: f64,
    /// The head and its readback, per frame.
    pub head_ms: f64,
    pub best_epoch: u32,
    pub scores: Vec<(f32, CountEvaluation)>,
}

/// The maps at `block` of the whole frames, and the milliseconds each frame took.
async fn maps(backbone: &Backbone, labelled: &[Labelled<'_>], block: usize) -> Result<(Vec<f32>, f64), Error> {
    let start = now_ms();
    let mut maps = Vec::new();
    for batch in labelled.chunks(8) {
        let frames: Vec<Frame<'_>> = batch.iter().map(|l| l.frame).collect();
        maps.extend(read_floats(backbone.trunk_of(&frames, block, View::Whole)?).await?);
    }
    Ok((maps, (now_ms() - start) / labelled.len().max(1) as f64))
}

/// Trains a counter for each block and candidate (early stopping on the held-out share of its
/// settings) on `train` and scores it on `test` at each threshold.
pub async fn choices(
    backbone: &Backbone,
    (train, test): (&[Labelled<'_>], &[Labelled<'_>]),
    classes: usize,
    (blocks, candidates, thresholds): (&[usize], &[Candidate], &[f32]),
) -> Result<Vec<Outcome>, Error> {
    let ids: Vec<ClassId> = (0..classes as ClassId).collect();
    let truth: Vec<Vec<Point>> = test.iter().map(|l| l.points.clone()).collect();
    let device = backbone.device();
    let mut out = Vec::new();
    for &block in blocks {
        let shape = boundary_shape(backbone.network(), block);
        let (train_maps, _) = maps(backbone, train, block).await?;
        let (test_maps, trunk_ms) = maps(backbone, test, block).await?;
        let frames = Frames {
            shape,
            maps: train_maps,
            points: train.iter().map(|l| l.points.clone()).collect(),
            ids: (0..train.len() as u32).collect(),
            captures: (0..train.len() as u32).collect(),
        };
        let moved = with_moved(&frames);
        for (candidate, Candidate { recipe, settings, moved: with }) in candidates.iter().enumerate() {
            let interrupter = Interrupter::default();
            let frames = if *with { &moved } else { &frames };
            let counted = cells::train(frames, &ids, settings, *recipe, device, &mut Run::new(&mut Quiet, &interrupter)).await?;
            let net = CellNet::of(&counted.cells, device);
            let start = now_ms();
            let [c, side, _] = shape;
            let probabilities = net.probabilities(Tensor::from_data(TensorData::new(test_maps.clone(), [test.len(), c, side, side]), device)).await?;
            let head_ms = (now_ms() - start) / test.len().max(1) as f64;
            let per_frame = probabilities.len() / test.len().max(1);
            let scores = thresholds
                .iter()
                .map(|&t| {
                    let found: Vec<_> = probabilities.chunks(per_frame).map(|p| decode(p, side, &ids, t)).collect();
                    (t, evaluate(&ids, &truth, &found))
                })
                .collect();
            out.push(Outcome { block, shape, candidate, trunk_ms, head_ms, best_epoch: counted.best_epoch, scores });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_map_moves_its_cells_and_repeats_its_edge() {
        // Two channels of a 3×3 grid, cells numbered 0 to 8 and 9 to 17, row by row.
        let map: Vec<f32> = (0..18).map(|v| v as f32).collect();
        let moved = moved_map(&map, 3, (1, 0));
        assert_eq!(moved[..9], [0.0, 0.0, 1.0, 3.0, 3.0, 4.0, 6.0, 6.0, 7.0]);
        assert_eq!(moved[9..12], [9.0, 9.0, 10.0]);
        assert_eq!(moved_map(&map, 3, (0, -1))[..9], [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn moved_points_follow_their_cells_and_leave_the_frame() {
        use crate::learn::tasks::counting::grid::targets;
        let points = [Point { class: 7, x: 0.1, y: 0.3 }, Point { class: 9, x: 0.9, y: 0.5 }];
        let moved = moved_points(&points, (1, -1), 4);
        assert_eq!(moved.len(), 1, "the second one moved out: {moved:?}");
        assert!((moved[0].x - 0.35).abs() < 1e-6 && (moved[0].y - 0.05).abs() < 1e-6, "{moved:?}");
        assert_eq!(targets(&moved, &[7, 9], 4)[1], targets(&points, &[7, 9], 4)[4], "one cell right and one up");
    }
}
