//! The counter's choices measured side by side (docs/benchmarks.md, "Counting"): where the
//! backbone is cut, how much object cells weigh, mirrored frames and the threshold, each trained
//! on the same frames and scored on the same others, in one process.

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

/// One cut, recipe and settings: what it cost and how well it counted at each threshold.
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

/// Trains a counter for each block and candidate (a recipe and the learner's settings: early
/// stopping on their held-out share) on `train` and scores it on `test` at each threshold.
pub async fn choices(
    backbone: &Backbone,
    (train, test): (&[Labelled<'_>], &[Labelled<'_>]),
    classes: usize,
    (blocks, candidates, thresholds): (&[usize], &[(Recipe, Settings)], &[f32]),
) -> Result<Vec<Outcome>, Error> {
    let ids: Vec<ClassId> = (0..classes as ClassId).collect();
    let truth: Vec<Vec<Point>> = test.iter().map(|l| l.points.clone()).collect();
    let device = backbone.device();
    let mut out = Vec::new();
    for &block in blocks {
        let shape = boundary_shape(block);
        let (train_maps, _) = maps(backbone, train, block).await?;
        let (test_maps, trunk_ms) = maps(backbone, test, block).await?;
        let frames = Frames {
            shape,
            maps: train_maps,
            points: train.iter().map(|l| l.points.clone()).collect(),
            ids: (0..train.len() as u32).collect(),
            captures: (0..train.len() as u32).collect(),
        };
        for (candidate, (recipe, settings)) in candidates.iter().enumerate() {
            let interrupter = Interrupter::default();
            let counted = cells::train(&frames, &ids, settings, *recipe, device, &mut Run::new(&mut Quiet, &interrupter)).await?;
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
