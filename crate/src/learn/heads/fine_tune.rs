//! Fine-tuning with the lower layers frozen: after the head has been fitted on frozen features,
//! the head and the top layers of the backbone (see `backbone::top`) train together at a tenth
//! of the head's learning rate, from each example's cached activation at the frozen boundary, so
//! an epoch costs only the retrained layers. Fitting the head first keeps the random-free start
//! (LP-FT, Kumar et al. 2022): the features are not pulled towards a head that is still random.
//! `retune` repeats a kept fine-tuning on every example (see `heads::refit`).

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::backbone::top::{Top, TopWeights, boundary_shape, describe};
use crate::backbone::{EfficientNet, FEATURE_DIM};
use crate::clock::now_ms;
use crate::device::read_floats;
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::split::{Split, stratified};
use crate::learn::heads::dense::Dense;
use crate::learn::heads::fit::Fitted;
use crate::learn::heads::softmax::SoftmaxNet;
use crate::learn::heads::stored::HeadWeights;
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::Settings;
use crate::learn::train::{Fit, Objective, Start, fit, int_tensor, loss};
use crate::learn::vectors::{argmax, mean};

/// The fine-tuning learning rate as a share of the head's: Keras' EfficientNet recipe and LP-FT
/// both retrain pretrained layers about ten times more gently than a fresh head.
pub const RATE_FACTOR: f32 = 0.1;

/// The retrained layers and the head, trained as one module.
#[derive(Module, Debug)]
pub struct Tuned {
    pub top: Top,
    pub head: SoftmaxNet,
    /// `[1, FEATURE_DIM]`, subtracted from the features before the head (a constant: see
    /// `Trained::centre`).
    pub centre: Tensor<2>,
}

impl Tuned {
    fn new(top: Top, head: SoftmaxNet, centre: &[f32], device: &Device) -> Self {
        Self { top, head, centre: Tensor::<1>::from_floats(centre, device).reshape([1, centre.len()]) }
    }

    /// Logits from activations at the top's first block.
    pub fn forward(&self, boundary: Tensor<4>) -> Tensor<2> {
        self.head.forward(SoftmaxNet::input(self.top.features(boundary) - self.centre.clone()))
    }
}

/// How fine-tuning went, and the retrained layers when it was kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineTuned {
    pub depth: u32,
    /// The first fine-tuning epoch in the history (the head's epochs come before).
    pub first_epoch: u32,
    /// `None` when the head alone did clearly better on the held-out split (see [`TuneCheck`]),
    /// and was kept with the original layers.
    pub top: Option<TopWeights>,
}

/// The held-out scores that decided whether fine-tuning was kept. Since format 8.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TuneCheck {
    /// Held-out accuracy of the head alone.
    pub head: f32,
    /// Held-out accuracy with the retrained layers (their best epoch by held-out loss).
    pub tuned: f32,
    /// Examples held out.
    pub examples: u32,
}

impl TuneCheck {
    /// How far the head alone must lead to drop the layers the user asked to retrain: 1/√n on n
    /// held-out examples, about two standard errors of a difference of two accuracies near 0.9
    /// on the same examples. A couple of examples per class cannot show more, and fine-tuning
    /// measured better than the head alone once nothing was held out (issue 34).
    pub fn margin(&self) -> f32 {
        1.0 / (self.examples.max(1) as f32).sqrt()
    }

    pub fn kept(&self) -> bool {
        self.head - self.tuned <= self.margin()
    }
}

/// What fine-tuning gives back: the head (refined, or the one given), with the fine-tuning
/// epochs added to its history.
pub struct Tuning {
    pub fitted: Fitted,
    pub fine_tuned: FineTuned,
    /// The mean feature through the retrained layers, when they were kept.
    pub feature_mean: Option<Vec<f32>>,
    /// `None` when nothing was held out (the layers are then kept).
    pub check: Option<TuneCheck>,
    pub again: Retune,
}

/// What fine-tuning again on every example needs (see [`retune`]).
pub struct Retune {
    depth: u32,
    centre: Vec<f32>,
    /// Fine-tuning epochs up to the one kept; 0 when the layers were dropped.
    pub epochs: u32,
    boundary: Boundary,
}

/// Refines `fitted` (a softmax head fitted on `data`, features less `centre`) by retraining the
/// top `settings.fine_tune` layers of `model` with it, on the head's training split; keeps its
/// best epoch by held-out loss unless the head alone scores clearly higher on the held-out split
/// ([`TuneCheck::kept`]).
pub async fn fine_tune(
    fitted: Fitted,
    data: &Dataset,
    centre: &[f32],
    model: &EfficientNet,
    settings: &Settings,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Tuning, Error> {
    let depth = settings.fine_tune;
    let head = softmax_layers(&fitted.head.weights)?;
    let top = Top::of(model, depth)?;
    let boundary = Boundary::of(data, model, top.first_block(), device).await?;
    // The same split as the head's: the held-out examples never trained either.
    let split = stratified(&data.labels, &data.captures, settings.validation_fraction, settings.seed);
    let first_epoch = fitted.history.len() as u32 + 1;
    run.fine_tuning(&describe(model.network(), depth));
    let start = Start { epoch: first_epoch, learning_rate: settings.learning_rate * RATE_FACTOR };
    let fit = train_top(top, head, centre, &boundary, data, &split, start, settings, device, run).await?;

    let mut history = fitted.history.clone();
    history.extend(fit.history);
    let evaluation = match split.validation.is_empty() {
        true => None,
        false => {
            let predicted: Vec<usize> =
                read_floats(fit.net.forward(boundary.rows(&split.validation, device))).await?.chunks(data.classes.len()).map(argmax).collect();
            Some(data.evaluate(&split.validation, &predicted))
        }
    };
    let check = fitted.evaluation.as_ref().zip(evaluation.as_ref()).map(|(head, tuned)| TuneCheck {
        head: head.accuracy,
        tuned: tuned.accuracy,
        examples: tuned.examples as u32,
    });
    if !check.is_none_or(|c| c.kept()) {
        let fitted = Fitted { history, stop: fit.stop, ..fitted };
        let again = Retune { depth, centre: centre.to_vec(), epochs: 0, boundary };
        return Ok(Tuning { fitted, fine_tuned: FineTuned { depth, first_epoch, top: None }, feature_mean: None, check, again });
    }
    let mut head = fitted.head.clone();
    head.weights = fit.net.head.weights().await?;
    let feature_mean = Some(boundary.mean_features(&fit.net.top, device).await?);
    let fine_tuned = FineTuned { depth, first_epoch, top: Some(fit.net.top.weights().await?) };
    let again = Retune { depth, centre: centre.to_vec(), epochs: fit.best_epoch + 1 - first_epoch, boundary };
    let fitted = Fitted { head, history, stop: fit.stop, best_epoch: fit.best_epoch, evaluation };
    Ok(Tuning { fitted, fine_tuned, feature_mean, check, again })
}

/// Fine-tunes again from `head` (refitted on every example) for as many epochs as `again` kept,
/// on every example: the refit's second half (see `heads::refit`). Gives the head's and the
/// layers' weights, and the mean feature through them.
pub async fn retune(
    head: &HeadWeights,
    again: &Retune,
    data: &Dataset,
    model: &EfficientNet,
    settings: &Settings,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<(HeadWeights, TopWeights, Vec<f32>), Error> {
    let top = Top::of(model, again.depth)?;
    let every = Split::every(data.len());
    let settings = Settings { epochs: again.epochs.max(1), ..settings.clone() };
    let start = Start { epoch: 1, learning_rate: settings.learning_rate * RATE_FACTOR };
    let fit = train_top(top, softmax_layers(head)?, &again.centre, &again.boundary, data, &every, start, &settings, device, run).await?;
    let mean = again.boundary.mean_features(&fit.net.top, device).await?;
    Ok((fit.net.head.weights().await?, fit.net.top.weights().await?, mean))
}

fn softmax_layers(weights: &HeadWeights) -> Result<(Option<&Dense>, &Dense), Error> {
    match weights {
        HeadWeights::Softmax { hidden, output } => Ok((hidden.as_ref(), output)),
        _ => Err(Error::Settings("fine-tuning trains through the softmax head: choose it, or set fine-tuned layers to 0".into())),
    }
}

/// The top layers and `head` trained together on `split.train`, stopping early on
/// `split.validation` (if any).
#[allow(clippy::too_many_arguments)]
async fn train_top(
    top: Top,
    (hidden, output): (Option<&Dense>, &Dense),
    centre: &[f32],
    boundary: &Boundary,
    data: &Dataset,
    split: &Split,
    start: Start,
    settings: &Settings,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Fit<Tuned>, Error> {
    let autodiff = device.clone().autodiff();
    autodiff.seed(settings.seed as u64 + 1);
    let net = Tuned::new(top.trainable_on(&autodiff), SoftmaxNet::from_dense(hidden, output, settings.dropout, &autodiff), centre, &autodiff);
    let rows = |indices: &[usize], device: &Device| {
        let y: Vec<usize> = indices.iter().map(|&i| data.labels[i]).collect();
        (boundary.rows(indices, device), int_tensor(&y, device))
    };
    let validation = (!split.validation.is_empty()).then(|| rows(&split.validation, device));
    fit(net, Tuned::forward, rows(&split.train, &autodiff), validation, start, settings, Objective::plain(settings), device, run).await
}

/// Every row's activation at the top's first block, computed once from the cached ones by the
/// frozen blocks between (on the plain device: no gradients reach them).
struct Boundary {
    /// `[C, H, W]` of one row.
    dims: [usize; 3],
    /// Row-major, `rows × C·H·W`.
    values: Vec<f32>,
}

impl Boundary {
    async fn of(data: &Dataset, model: &EfficientNet, block: usize, device: &Device) -> Result<Self, Error> {
        const CHUNK: usize = 32;
        let dims = boundary_shape(model.network(), block);
        let mut values = Vec::with_capacity(data.len() * dims.iter().product::<usize>());
        let mut rows = data.activations.iter().peekable();
        while let Some(first) = rows.next() {
            // Runs of the same cached block, so that each goes through the frozen blocks as one batch.
            let mut run = vec![first];
            while run.len() < CHUNK && rows.peek().is_some_and(|a| a.block == first.block) {
                run.push(rows.next().expect("peeked"));
            }
            let from = first.block as usize;
            let [c, h, w] = boundary_shape(model.network(), from);
            let floats: Vec<f32> = run.iter().flat_map(|a| a.floats()).collect();
            let x = Tensor::<4>::from_data(TensorData::new(floats, [run.len(), c, h, w]), device);
            values.extend(read_floats(model.blocks_between(x, from, block)).await?);
        }
        Ok(Self { dims, values })
    }

    fn len(&self) -> usize {
        self.values.len() / self.dims.iter().product::<usize>()
    }

    /// The mean of every row's features through `top`, in batches that bound the memory used.
    async fn mean_features(&self, top: &Top, device: &Device) -> Result<Vec<f32>, Error> {
        let all: Vec<usize> = (0..self.len()).collect();
        let mut features = Vec::with_capacity(self.len() * FEATURE_DIM);
        for batch in all.chunks(32) {
            features.extend(read_floats(top.features(self.rows(batch, device))).await?);
        }
        Ok(mean(&features, FEATURE_DIM))
    }

    fn rows(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let size: usize = self.dims.iter().product();
        let mut out = Vec::with_capacity(indices.len() * size);
        for &i in indices {
            out.extend_from_slice(&self.values[i * size..(i + 1) * size]);
        }
        let [c, h, w] = self.dims;
        Tensor::from_data(TensorData::new(out, [indices.len(), c, h, w]), device)
    }
}

/// Milliseconds per example of a training step (forward, backward, update) of `depth` layers,
/// timed on a batch of random activations at their boundary (the second of two steps: the
/// first pays for allocation and kernel set-up).
pub async fn probe(model: &EfficientNet, depth: u32, device: &Device) -> Result<f64, Error> {
    const BATCH: usize = 8;
    let top = Top::of(model, depth)?;
    let [c, h, w] = boundary_shape(model.network(), top.first_block());
    let autodiff = device.clone().autodiff();
    let head = Dense { inputs: 1280, outputs: 2, weight: vec![0.01; 2560], bias: vec![0.0; 2] };
    let mut net = Tuned::new(top.trainable_on(&autodiff), SoftmaxNet::from_dense(None, &head, 0.0, &autodiff), &[0.0; FEATURE_DIM], &autodiff);
    let mut optimizer = burn::optim::AdamWConfig::new().init();
    let x = Tensor::<4>::random([BATCH, c, h, w], burn::tensor::Distribution::Uniform(0.0, 1.0), &autodiff);
    let y = int_tensor(&[0, 1].repeat(BATCH / 2), &autodiff);
    let mut ms = 0.0;
    for _ in 0..2 {
        let start = now_ms();
        let loss = loss(net.forward(x.clone()), y.clone(), 0.0);
        let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(1e-4, net, grads);
        // Reading a weight waits for the device to finish the step.
        read_floats(net.head.output.bias.as_ref().expect("dense layers have a bias").val()).await?;
        ms = now_ms() - start;
    }
    Ok(ms / BATCH as f64)
}

#[cfg(test)]
mod tests {
    use super::TuneCheck;

    #[test]
    fn fine_tuning_is_dropped_only_when_the_head_alone_leads_by_more_than_the_margin() {
        // 20 held out: a margin of 1/√20 ≈ 0.224.
        let check = |head, tuned| TuneCheck { head, tuned, examples: 20 };
        assert!((check(0.9, 0.9).margin() - 0.2236).abs() < 1e-4);
        assert!(check(0.9, 0.95).kept(), "fine-tuning ahead");
        assert!(check(0.95, 0.75).kept(), "behind by 0.20, within the margin");
        assert!(!check(1.0, 0.7).kept(), "behind by 0.30, more than the margin");
        // 400 held out: a margin of 0.05.
        assert!(!TuneCheck { head: 0.9, tuned: 0.84, examples: 400 }.kept());
    }
}
