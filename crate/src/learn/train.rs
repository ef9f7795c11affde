//! The epoch loop, shared by every head that trains and by fine-tuning: shuffled minibatches,
//! AdamW, one validation pass per epoch, early stopping on the validation loss with the best
//! epoch kept.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clock::now_ms;
use crate::device::read_floats;
use crate::learn::progress::{EpochStats, Progress, Run};
use crate::learn::rng::Rng;
use crate::learn::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stop {
    /// Ran every epoch (or the head needs no training).
    Finished,
    /// Validation loss stopped improving; the best epoch's weights were kept.
    EarlyStopped,
}

/// Longest stretch of training steps between two yields to the caller's event loop.
const YIELD_MS: f64 = 50.0;

/// Where an epoch loop starts: its first epoch's number (fine-tuning continues the head's
/// history), and its learning rate.
pub struct Start {
    pub epoch: u32,
    pub learning_rate: f32,
}

/// What an epoch loop gives back: the best epoch's module (for inference) and every epoch's
/// statistics.
pub struct Fit<M> {
    pub net: M,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    pub best_epoch: u32,
}

/// Rows to learn from: inputs, and the class index of each (`T = 1`) or of each of their cells
/// (`T = 2`: `[rows, cells]`, the logits then `[rows · cells, classes]`).
pub type Rows<const D: usize, const T: usize = 1> = (Tensor<D>, Tensor<T, Int>);

/// What the loss weighs: each class's weight (`None`: all alike) and the label smoothing.
#[derive(Debug, Clone, Copy)]
pub struct Objective<'a> {
    pub weights: Option<&'a [f32]>,
    pub smoothing: f32,
}

impl Objective<'_> {
    /// Every class alike, with the settings' label smoothing.
    pub fn plain(settings: &Settings) -> Self {
        Self { weights: None, smoothing: settings.label_smoothing }
    }

    fn loss(&self, logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
        let config =
            CrossEntropyLossConfig::new().with_smoothing((self.smoothing > 0.0).then_some(self.smoothing)).with_weights(self.weights.map(<[f32]>::to_vec));
        config.init(&logits.device()).forward(logits, targets)
    }
}

/// Trains `net` (on an autodiff device, with the `train` rows) for up to `settings.epochs`
/// epochs; `validation` rows live on the plain `device`. Without validation rows the last epoch
/// is kept.
#[allow(clippy::too_many_arguments)]
pub async fn fit<M: Module, const D: usize, const T: usize>(
    mut net: M,
    forward: impl Fn(&M, Tensor<D>) -> Tensor<2>,
    (train_x, train_y): Rows<D, T>,
    validation: Option<Rows<D, T>>,
    start: Start,
    settings: &Settings,
    objective: Objective<'_>,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Fit<M>, Error> {
    // Per-cell targets are one row per image: each cell a row of the loss.
    let flat = |y: Tensor<T, Int>| -> Tensor<1, Int> { y.flatten(0, T - 1) };
    let mut rng = Rng::new(settings.seed as u64 ^ (start.epoch - 1) as u64);
    let mut optimizer = AdamWConfig::new().with_weight_decay(settings.weight_decay).init();
    let rows = train_y.dims()[0];
    let mut history = Vec::new();
    let first = start.epoch;
    let mut best = (f32::INFINITY, first - 1, net.valid());
    let mut stop = Stop::Finished;
    let mut order: Vec<usize> = (0..rows).collect();
    let mut yielded = now_ms();
    for epoch in first..first + settings.epochs {
        rng.shuffle(&mut order);
        let mut sums = Tensor::<1>::zeros([2], device);
        for batch in order.chunks(settings.batch_size as usize) {
            let batch = int_tensor(batch, &train_y.device());
            let (x, y) = (train_x.clone().select(0, batch.clone()), flat(train_y.clone().select(0, batch)));
            let logits = forward(&net, x);
            let l = objective.loss(logits.clone(), y.clone());
            sums = sums + batch_stats(logits.inner(), y.inner(), l.clone().inner());
            let grads = GradientsParams::from_grads(l.backward(), &net);
            net = optimizer.step(start.learning_rate as f64, net, grads);
            // Fine-tuning steps take long enough to hold up a browser's other work: let it run
            // between them (a head's quick steps only yield between epochs).
            if now_ms() - yielded > YIELD_MS {
                run.pause().await;
                yielded = now_ms();
            }
        }
        // One read per epoch: the only synchronisation with the device while training.
        let sums = read_floats(sums).await?;
        let n = if T == 1 { rows as f32 } else { train_y.dims().iter().product::<usize>() as f32 };
        let mut stats = EpochStats { epoch, train_loss: sums[0] / n, train_accuracy: sums[1] / n, validation_loss: None, validation_accuracy: None };
        let current = net.valid();
        if let Some((x, y)) = &validation {
            let logits = forward(&current, x.clone());
            let y = flat(y.clone());
            let unsmoothed = Objective { smoothing: 0.0, ..objective };
            let v = read_floats(batch_stats(logits.clone(), y.clone(), unsmoothed.loss(logits, y.clone()))).await?;
            let m = y.dims()[0] as f32;
            stats.validation_loss = Some(v[0] / m);
            stats.validation_accuracy = Some(v[1] / m);
        }
        let score = stats.validation_loss.unwrap_or(-(epoch as f32));
        if score < best.0 - 1e-4 || validation.is_none() {
            best = (score, epoch, current);
        }
        run.epoch(&stats)?;
        history.push(stats);
        if validation.is_some() && epoch - best.1 >= settings.patience.max(1) {
            stop = Stop::EarlyStopped;
            break;
        }
        run.pause().await;
        yielded = now_ms();
    }
    let (_, best_epoch, net) = best;
    Ok(Fit { net, history, stop, best_epoch })
}

pub fn int_tensor(values: &[usize], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(values.iter().map(|&v| v as i64).collect::<Vec<_>>(), [values.len()]), device)
}

/// Mean cross-entropy loss (with label smoothing when `smoothing > 0`).
pub fn loss(logits: Tensor<2>, targets: Tensor<1, Int>, smoothing: f32) -> Tensor<1> {
    Objective { weights: None, smoothing }.loss(logits, targets)
}

/// Summed loss and correct count of a batch, as one `[2]` tensor (detached).
fn batch_stats(logits: Tensor<2>, targets: Tensor<1, Int>, loss: Tensor<1>) -> Tensor<1> {
    let n = targets.dims()[0] as f32;
    let correct = logits.argmax(1).squeeze_dim::<1>(1).equal(targets).int().sum().float();
    Tensor::cat(vec![loss * n, correct], 0)
}
