//! The per-cell head: two dense layers applied to each cell's channels of the map at the cut
//! (1×1 convolutions), then a softmax over background and the classes. Trained by the shared
//! epoch loop with cross-entropy per cell, object cells weighted up because background cells
//! outnumber them ~50 to 1; mirrored frames (their points mirrored) double the examples.

use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, softmax};
use serde::{Deserialize, Serialize};

use super::Point;
use super::grid::{Found, decode, mirrored, targets};
use super::score::{CountEvaluation, evaluate};
use crate::Error;
use crate::backbone::Network;
use crate::backbone::top::{boundary_shape, last_stride_block};
use crate::device::read_floats;
use crate::learn::examples::split::stratified;
use crate::learn::examples::store::{ClassId, ExampleId};
use crate::learn::heads::dense::Dense;
use crate::learn::progress::{EpochStats, Progress, Run};
use crate::learn::settings::Settings;
use crate::learn::train::{Objective, Start, Stop, fit};

/// Where the backbone is cut: the input of its last stride-2 block, the deepest map at 1/16 of
/// the input (Lite0: block 11, 112 channels, 14×14 at 224; Lite2: block 15, 120 channels, 17×17
/// at 260). Chosen by measurement over the 1/8 map (docs/benchmarks.md, "Counting").
pub fn cut_block(network: &Network) -> usize {
    last_stride_block(network)
}
/// Channels of the head's hidden layer.
pub const HIDDEN: usize = 32;

/// How the head learns beside the shared settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recipe {
    /// How much more an object cell weighs in the loss than a background cell.
    pub object_weight: f32,
    /// Whether training also learns from each frame mirrored.
    pub mirror: bool,
}

/// The recipe the learner uses, chosen by measurement (docs/benchmarks.md, "Counting").
pub const RECIPE: Recipe = Recipe { object_weight: 30.0, mirror: true };

/// `[channels, side, side]` of the map the head reads.
pub fn map_shape(network: &Network) -> [usize; 3] {
    boundary_shape(network, cut_block(network))
}

/// The head as the project keeps it; its classes are the `Head`'s, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cells {
    pub hidden: Dense,
    pub output: Dense,
    /// Side of the grid.
    pub side: u32,
}

impl Cells {
    /// Whether its layers fit `channels` in and `classes` (plus background) out. (Whether
    /// `channels` and its side are the network's, the project checks.)
    pub fn fits(&self, channels: usize, classes: usize) -> bool {
        let finite = self.hidden.weight.iter().chain(&self.output.weight).chain(&self.hidden.bias).chain(&self.output.bias).all(|v| v.is_finite());
        self.side > 0
            && self.hidden.inputs as usize == channels
            && self.hidden.weight.len() == channels * self.hidden.outputs as usize
            && self.hidden.bias.len() == self.hidden.outputs as usize
            && self.output.inputs == self.hidden.outputs
            && self.output.outputs as usize == classes + 1
            && self.output.weight.len() == (self.output.inputs * self.output.outputs) as usize
            && self.output.bias.len() == classes + 1
            && finite
    }
}

#[derive(Module, Debug)]
pub struct CellNet {
    hidden: Linear,
    output: Linear,
    dropout: Dropout,
}

impl CellNet {
    fn new(channels: usize, classes: usize, dropout: f32, device: &Device) -> Self {
        Self {
            hidden: LinearConfig::new(channels, HIDDEN).init(device),
            output: LinearConfig::new(HIDDEN, classes + 1).init(device),
            dropout: DropoutConfig::new(dropout as f64).init(),
        }
    }

    pub fn of(cells: &Cells, device: &Device) -> Self {
        Self { hidden: cells.hidden.linear(device), output: cells.output.linear(device), dropout: DropoutConfig::new(0.0).init() }
    }

    /// Logits `[N · side · side, 1 + classes]` of maps `[N, C, side, side]`, cells row-major.
    pub fn forward(&self, maps: Tensor<4>) -> Tensor<2> {
        let [n, _, h, w] = maps.dims();
        let x = maps.permute([0, 2, 3, 1]);
        let x = self.dropout.forward(relu(self.hidden.forward(x)));
        let logits = self.output.forward(x);
        let k = logits.dims()[3];
        logits.reshape([n * h * w, k])
    }

    /// Each cell's probabilities, `[N · side · side, 1 + classes]`, read back.
    pub async fn probabilities(&self, maps: Tensor<4>) -> Result<Vec<f32>, Error> {
        read_floats(softmax(self.forward(maps), 1)).await
    }
}

/// Frames to learn counting from: their maps (`[N, C, side, side]`, row-major) and points.
pub struct Frames {
    /// `[C, side, side]` of each map: [`map_shape`] in the product.
    pub shape: [usize; 3],
    pub maps: Vec<f32>,
    pub points: Vec<Vec<Point>>,
    pub ids: Vec<ExampleId>,
    pub captures: Vec<u32>,
}

impl Frames {
    fn len(&self) -> usize {
        self.points.len()
    }

    fn map(&self, i: usize) -> &[f32] {
        let size: usize = self.shape.iter().product();
        &self.maps[i * size..(i + 1) * size]
    }
}

/// A map mirrored left to right, as the map of the mirrored frame approximately is.
fn mirror_map(map: &[f32], side: usize) -> Vec<f32> {
    map.chunks(side).flat_map(|row| row.iter().rev().copied()).collect()
}

/// Rows `rows` of `frames` (and their mirror images, with `mirror`) as tensors.
fn rows(frames: &Frames, rows: &[usize], classes: &[ClassId], mirror: bool, device: &Device) -> (Tensor<4>, Tensor<2, Int>) {
    let [c, side, _] = frames.shape;
    let (mut maps, mut cells) = (Vec::new(), Vec::new());
    for &i in rows {
        maps.extend_from_slice(frames.map(i));
        cells.extend(targets(&frames.points[i], classes, side).into_iter().map(|t| t as i64));
        if mirror {
            maps.extend(mirror_map(frames.map(i), side));
            cells.extend(targets(&mirrored(&frames.points[i]), classes, side).into_iter().map(|t| t as i64));
        }
    }
    let n = rows.len() * if mirror { 2 } else { 1 };
    (Tensor::from_data(TensorData::new(maps, [n, c, side, side]), device), Tensor::from_data(TensorData::new(cells, [n, side * side]), device))
}

/// What training gives back.
pub struct Counted {
    pub cells: Cells,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    pub best_epoch: u32,
    /// On the held-out frames; `None` without any.
    pub evaluation: Option<CountEvaluation>,
}

/// Trains the head on `frames` to find `classes`, holding out `settings.validation_fraction` of
/// the captures to stop early and to score it.
pub async fn train(
    frames: &Frames,
    classes: &[ClassId],
    settings: &Settings,
    recipe: Recipe,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Counted, Error> {
    if frames.len() == 0 {
        return Err(Error::NoFrames);
    }
    let [channels, side, _] = frames.shape;
    // Frames are split by the class of their first object (frames with none apart), so that
    // every class is held out in proportion.
    let strata: Vec<usize> =
        frames.points.iter().map(|p| p.first().and_then(|p| classes.iter().position(|&c| c == p.class)).map_or(classes.len(), |k| k)).collect();
    let split = stratified(&strata, &frames.captures, settings.validation_fraction, settings.seed);
    let autodiff = device.clone().autodiff();
    autodiff.seed(settings.seed as u64);
    let net = CellNet::new(channels, classes.len(), settings.dropout, &autodiff);
    let train_rows = rows(frames, &split.train, classes, recipe.mirror, &autodiff);
    let validation = (!split.validation.is_empty()).then(|| rows(frames, &split.validation, classes, false, device));
    let weights: Vec<f32> = std::iter::once(1.0).chain(std::iter::repeat_n(recipe.object_weight, classes.len())).collect();
    let objective = Objective { weights: Some(&weights), smoothing: 0.0 };
    let start = Start { epoch: 1, learning_rate: settings.learning_rate };
    let fit = fit(net, CellNet::forward, train_rows, validation, start, settings, objective, device, run).await?;
    let cells = Cells { hidden: Dense::of(&fit.net.hidden).await?, output: Dense::of(&fit.net.output).await?, side: side as u32 };
    let evaluation = match split.validation.is_empty() {
        true => None,
        false => {
            let (maps, _) = rows(frames, &split.validation, classes, false, device);
            let found = find(&fit.net, maps, classes, settings.threshold).await?;
            let truth: Vec<Vec<Point>> = split.validation.iter().map(|&i| frames.points[i].clone()).collect();
            Some(evaluate(classes, &truth, &found))
        }
    };
    Ok(Counted { cells, history: fit.history, stop: fit.stop, best_epoch: fit.best_epoch, evaluation })
}

/// The objects in each of `maps` (`[N, C, side, side]`).
pub async fn find(net: &CellNet, maps: Tensor<4>, classes: &[ClassId], threshold: f32) -> Result<Vec<Vec<Found>>, Error> {
    let [n, _, side, _] = maps.dims();
    let probabilities = net.probabilities(maps).await?;
    let per_frame = probabilities.len() / n.max(1);
    Ok(probabilities.chunks(per_frame).map(|p| decode(p, side, classes, threshold)).collect())
}
