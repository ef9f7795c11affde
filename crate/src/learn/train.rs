//! Fitting a head to the stored examples, on the backbone's device, with progress per epoch.

use std::ops::ControlFlow;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::backbone::top::{self, TopWeights};
use crate::device::read_floats;
use crate::learn::anomaly;
use crate::learn::auto::AutoChoice;
use crate::learn::examples::Activation;
use crate::learn::examples::{Class, ClassId, ExampleId};
use crate::learn::head::{COSINE_SCALE, Dense, DeviceHead, Head, HeadWeights, SoftmaxNet};
use crate::learn::metrics::{Evaluation, evaluate};
use crate::learn::rng::Rng;
use crate::learn::settings::{HeadKind, Settings};
use crate::learn::split::{Split, stratified};
use crate::learn::transfer::Transfer;

/// The examples as rows: what training needs, detached from the store so that the store can
/// change (the user keeps capturing) while a head trains.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub classes: Vec<ClassId>,
    pub dim: usize,
    /// Row-major `len × dim`.
    pub features: Vec<f32>,
    /// Index into `classes` of each row.
    pub labels: Vec<usize>,
    pub ids: Vec<ExampleId>,
    pub captures: Vec<u32>,
    /// Each row's cached activation when fine-tuning (see [`Dataset::with_activations`]); empty otherwise.
    pub activations: Vec<Activation>,
}

impl Dataset {
    /// The examples of `classes`, in that order. Refuses fewer than two classes and empty
    /// classes, since neither can be trained meaningfully.
    pub fn of(classes: &[&Class]) -> Result<Self, Error> {
        if classes.len() < 2 {
            return Err(Error::NotEnoughClasses(classes.len()));
        }
        Self::rows_of(classes)
    }

    /// The examples of one class of normal things, for an anomaly detector.
    pub fn normal(class: &Class) -> Result<Self, Error> {
        Self::rows_of(&[class])
    }

    fn rows_of(classes: &[&Class]) -> Result<Self, Error> {
        if let Some(empty) = classes.iter().find(|c| c.examples.is_empty()) {
            return Err(Error::EmptyClass(empty.name.clone()));
        }
        let mut data = Self {
            classes: classes.iter().map(|c| c.id).collect(),
            dim: crate::backbone::FEATURE_DIM,
            features: Vec::new(),
            labels: Vec::new(),
            ids: Vec::new(),
            captures: Vec::new(),
            activations: Vec::new(),
        };
        for (label, class) in classes.iter().enumerate() {
            for e in &class.examples {
                data.features.extend_from_slice(&e.feature);
                data.labels.push(label);
                data.ids.push(e.id);
                data.captures.push(e.capture);
            }
        }
        Ok(data)
    }

    /// Attaches each row's activation from `cached`; fails, saying how many are missing, when a
    /// row has none deep enough for fine-tuning `depth` layers.
    pub fn with_activations(mut self, depth: u32, cached: impl Fn(ExampleId) -> Option<Activation>) -> Result<Self, Error> {
        let needed = top::first_block(depth);
        let found: Vec<Activation> = self.ids.iter().filter_map(|&id| cached(id).filter(|a| a.block as usize <= needed)).collect();
        if found.len() < self.len() {
            return Err(Error::NotCached { missing: self.len() - found.len(), total: self.len(), depth });
        }
        self.activations = found;
        Ok(self)
    }

    /// Scores `predicted` (a class index per row of `rows`) against the rows' labels.
    pub(crate) fn evaluate(&self, rows: &[usize], predicted: &[usize]) -> Evaluation {
        let truth: Vec<usize> = rows.iter().map(|&i| self.labels[i]).collect();
        let ids: Vec<ExampleId> = rows.iter().map(|&i| self.ids[i]).collect();
        evaluate(&self.classes, &truth, predicted, &ids)
    }

    /// The mean feature of every row.
    pub fn mean(&self) -> Vec<f32> {
        crate::learn::adapt::mean(&self.features, self.dim)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows `indices`, as a dataset of the same classes.
    pub fn subset(&self, indices: &[usize]) -> Self {
        let (features, labels) = self.rows(indices);
        Self {
            classes: self.classes.clone(),
            dim: self.dim,
            features,
            labels,
            ids: indices.iter().map(|&i| self.ids[i]).collect(),
            captures: indices.iter().map(|&i| self.captures[i]).collect(),
            activations: if self.activations.is_empty() { Vec::new() } else { indices.iter().map(|&i| self.activations[i].clone()).collect() },
        }
    }

    fn rows(&self, indices: &[usize]) -> (Vec<f32>, Vec<usize>) {
        let mut features = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            features.extend_from_slice(&self.features[i * self.dim..(i + 1) * self.dim]);
        }
        (features, indices.iter().map(|&i| self.labels[i]).collect())
    }

    fn upload(&self, features: Vec<f32>, device: &Device) -> Tensor<2> {
        let n = features.len() / self.dim;
        Tensor::from_data(TensorData::new(features, [n, self.dim]), device)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochStats {
    pub epoch: u32,
    pub train_loss: f32,
    pub train_accuracy: f32,
    pub validation_loss: Option<f32>,
    pub validation_accuracy: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stop {
    /// Ran every epoch (or the head needs no training).
    Finished,
    /// Validation loss stopped improving; the best epoch's weights were kept.
    EarlyStopped,
}

/// A trained head and how training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trained {
    pub head: Head,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    /// The epoch whose weights were kept (0 for heads without training).
    pub best_epoch: u32,
    /// On the held-out split; `None` when every class had a single capture.
    pub evaluation: Option<Evaluation>,
    /// The fine-tuning run after the head, if the settings asked for one. Since format 3.
    pub fine_tuned: Option<FineTuned>,
    /// Mean of the features the head was trained on (every example's, through the fine-tuned
    /// layers if any): where adaptation moves a new domain's features (see `adapt`). Since
    /// format 4; `None` for a fine-tuned or model-only older file, which cannot be adapted.
    pub feature_mean: Option<Vec<f32>>,
    /// The head alone on the pretrained features against the same head on raw pixels, on the
    /// held-out examples (see `transfer`). Since format 4.
    pub transfer: Option<Transfer>,
    /// What `head: auto` tried and chose, when it chose this head. Since format 5.
    pub auto: Option<AutoChoice>,
}

/// How fine-tuning went, and the retrained layers when it beat the head alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineTuned {
    pub depth: u32,
    /// The first fine-tuning epoch in the history (the head's epochs come before).
    pub first_epoch: u32,
    /// `None` when no fine-tuning epoch beat the head alone on the held-out split, which is
    /// then kept with the original layers.
    pub top: Option<TopWeights>,
}

impl Trained {
    /// The outcome without the head's weights, which a page has no use for.
    pub fn summary(&self) -> TrainingSummary {
        TrainingSummary {
            head: self.head.weights.kind(),
            classes: self.head.classes.clone(),
            history: self.history.clone(),
            stop: self.stop,
            best_epoch: self.best_epoch,
            evaluation: self.evaluation.clone(),
            fine_tuned: self.fine_tuned.as_ref().map(|f| FineTuneSummary {
                depth: f.depth,
                first_epoch: f.first_epoch,
                kept: f.top.is_some(),
                layers: top::describe(f.depth),
            }),
            transfer: self.transfer.map(|t| TransferSummary { accuracy: t, negative: t.negative(), intermediate_better: t.intermediate_better() }),
            normal_examples: match &self.head.weights {
                HeadWeights::Anomaly { calibration, .. } => Some(calibration.len() as u32),
                _ => None,
            },
            auto: self.auto.clone(),
        }
    }
}

/// A training's outcome as a page shows it: [`Trained`] without the head's weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingSummary {
    pub head: HeadKind,
    pub classes: Vec<ClassId>,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    pub best_epoch: u32,
    pub evaluation: Option<Evaluation>,
    pub fine_tuned: Option<FineTuneSummary>,
    pub transfer: Option<TransferSummary>,
    /// For an anomaly detector: the normal examples its threshold was set from.
    pub normal_examples: Option<u32>,
    pub auto: Option<AutoChoice>,
}

/// Whether the pretrained features helped, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferSummary {
    #[serde(flatten)]
    pub accuracy: Transfer,
    /// Raw pixels did better: the pretrained features do not fit this task.
    pub negative: bool,
    /// The intermediate layer did better than the final features.
    pub intermediate_better: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FineTuneSummary {
    pub depth: u32,
    pub first_epoch: u32,
    /// False when the head alone did better on the held-out split (and was kept).
    pub kept: bool,
    /// Which layers were retrained, in words.
    pub layers: String,
}

/// What training reports to, between epochs.
pub trait Progress {
    /// Called after every epoch; `Break` cancels training.
    fn epoch(&mut self, stats: &EpochStats) -> ControlFlow<()>;
    /// Called once when the head is fitted and fine-tuning `layers` (in words) begins; the
    /// epochs reported after it are fine-tuning epochs.
    fn fine_tuning(&mut self, _layers: &str) {}
    /// What slow work that reports no epochs is doing now, in words (see `auto`).
    fn stage(&mut self, _what: &str) {}
    /// Whether to stop, asked between the epochs of work that is not reported (see `transfer`).
    fn cancelled(&mut self) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    /// Lets the caller's event loop run (a browser's, so that the page stays responsive).
    fn pause(&mut self) -> impl std::future::Future<Output = ()>;
}

/// Passes pauses and cancelling through, but not the epochs: for trainings that are not the
/// user's (the transfer check's baseline, auto's candidates).
pub(crate) struct Unreported<'a, P>(pub &'a mut P);

impl<P: Progress> Progress for Unreported<'_, P> {
    fn epoch(&mut self, _: &EpochStats) -> ControlFlow<()> {
        self.0.cancelled()
    }

    async fn pause(&mut self) {
        self.0.pause().await
    }
}

/// Progress that is not reported (tests, batch jobs).
pub struct Quiet;

impl Progress for Quiet {
    fn epoch(&mut self, _: &EpochStats) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    async fn pause(&mut self) {}
}

/// Trains the head that `settings` name on `data`, on `device`.
pub async fn train(data: &Dataset, settings: &Settings, device: &Device, progress: &mut impl Progress) -> Result<Trained, Error> {
    settings.check()?;
    let split = stratified(&data.labels, &data.captures, settings.validation_fraction, settings.seed);
    match settings.head {
        HeadKind::Softmax => train_softmax(data, &split, settings, device, progress).await,
        HeadKind::Anomaly => {
            let head = anomaly::fit(data, settings, device).await?;
            Ok(Trained {
                head,
                history: Vec::new(),
                stop: Stop::Finished,
                best_epoch: 0,
                evaluation: None,
                fine_tuned: None,
                feature_mean: Some(data.mean()),
                transfer: None,
                auto: None,
            })
        }
        HeadKind::Auto => Err(Error::Inconsistent("auto settings are chosen before training (see `auto::choose`)".into())),
        HeadKind::Prototype | HeadKind::Knn => {
            // No training: the head for evaluation sees only the training split; the head kept
            // uses every example, since that costs nothing and only helps.
            let evaluation = match split.validation.is_empty() {
                true => None,
                false => Some(evaluate_head(&instant_head(data, &split.train, settings), data, &split.validation, device).await?),
            };
            let all: Vec<usize> = (0..data.len()).collect();
            let head = instant_head(data, &all, settings);
            Ok(Trained {
                head,
                history: Vec::new(),
                stop: Stop::Finished,
                best_epoch: 0,
                evaluation,
                fine_tuned: None,
                feature_mean: Some(data.mean()),
                transfer: None,
                auto: None,
            })
        }
    }
}

fn instant_head(data: &Dataset, rows: &[usize], settings: &Settings) -> Head {
    let (features, labels) = data.rows(rows);
    let weights = match settings.head {
        HeadKind::Knn => {
            let unit = Head::prototypes(&features, &(0..labels.len()).collect::<Vec<_>>(), labels.len(), data.dim);
            HeadWeights::Knn { k: settings.k, features: unit, labels: labels.iter().map(|&l| l as u32).collect() }
        }
        _ => HeadWeights::Prototype { prototypes: Head::prototypes(&features, &labels, data.classes.len(), data.dim) },
    };
    Head { classes: data.classes.clone(), dim: data.dim as u32, weights }
}

/// Predicted class index of each row.
pub(crate) async fn predict_rows(head: &DeviceHead, data: &Dataset, rows: &[usize], device: &Device) -> Result<Vec<usize>, Error> {
    let (features, _) = data.rows(rows);
    let p = head.probabilities(data.upload(features, device)).await?;
    Ok(p.chunks(data.classes.len()).map(argmax).collect())
}

pub fn argmax(row: &[f32]) -> usize {
    (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0)
}

async fn evaluate_head(head: &Head, data: &Dataset, rows: &[usize], device: &Device) -> Result<Evaluation, Error> {
    let predicted = predict_rows(&DeviceHead::new(head, device), data, rows, device).await?;
    Ok(data.evaluate(rows, &predicted))
}

/// A new softmax head. The linear head starts from the class prototypes ("weight imprinting",
/// Qi et al. 2018), so that it predicts as well as the prototype head before its first step
/// and training only has to improve on that; the hidden-layer head starts at random.
fn init_softmax(data: &Dataset, train: &[usize], settings: &Settings, device: &Device) -> SoftmaxNet {
    let (c, d) = (data.classes.len(), data.dim);
    let (features, labels) = data.rows(train);
    if settings.hidden == 0 {
        let prototypes = Head::prototypes(&features, &labels, c, d);
        // Input is unit × √d, so weights prototype · scale / √d give logits scale · cos.
        let w = COSINE_SCALE / (d as f32).sqrt();
        let mut weight = vec![0.0; d * c];
        for class in 0..c {
            for j in 0..d {
                weight[j * c + class] = prototypes[class * d + j] * w;
            }
        }
        let output = Dense { inputs: d as u32, outputs: c as u32, weight, bias: vec![0.0; c] };
        SoftmaxNet::from_dense(None, &output, settings.dropout, device)
    } else {
        let h = settings.hidden as usize;
        SoftmaxNet {
            hidden: Some(burn::nn::LinearConfig::new(d, h).init(device)),
            output: burn::nn::LinearConfig::new(h, c).init(device),
            dropout: burn::nn::DropoutConfig::new(settings.dropout as f64).init(),
        }
    }
}

pub(crate) fn int_tensor(values: &[usize], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(values.iter().map(|&v| v as i64).collect::<Vec<_>>(), [values.len()]), device)
}

/// Mean cross-entropy loss (with label smoothing when `smoothing > 0`).
pub fn loss(logits: Tensor<2>, targets: Tensor<1, Int>, smoothing: f32) -> Tensor<1> {
    let config = CrossEntropyLossConfig::new().with_smoothing((smoothing > 0.0).then_some(smoothing));
    config.init(&logits.device()).forward(logits, targets)
}

/// Summed loss and correct count of a batch, as one `[2]` tensor (detached).
fn batch_stats(logits: Tensor<2>, targets: Tensor<1, Int>, loss: Tensor<1>) -> Tensor<1> {
    let n = targets.dims()[0] as f32;
    let correct = logits.argmax(1).squeeze_dim::<1>(1).equal(targets).int().sum().float();
    Tensor::cat(vec![loss * n, correct], 0)
}

async fn train_softmax(data: &Dataset, split: &Split, settings: &Settings, device: &Device, progress: &mut impl Progress) -> Result<Trained, Error> {
    let autodiff = device.clone().autodiff();
    autodiff.seed(settings.seed as u64);
    let net = init_softmax(data, &split.train, settings, &autodiff);
    let rows = |indices: &[usize], device: &Device| {
        let (x, y) = data.rows(indices);
        (SoftmaxNet::input(data.upload(x, device)), int_tensor(&y, device))
    };
    let train = rows(&split.train, &autodiff);
    let validation = (!split.validation.is_empty()).then(|| rows(&split.validation, device));
    let start = Start { epoch: 1, loss: None, learning_rate: settings.learning_rate };
    let fit = fit(net, SoftmaxNet::forward, train, validation, start, settings, device, progress).await?;
    let head = Head { classes: data.classes.clone(), dim: data.dim as u32, weights: fit.net.weights().await? };
    let evaluation = match split.validation.is_empty() {
        true => None,
        false => Some(evaluate_head(&head, data, &split.validation, device).await?),
    };
    Ok(Trained {
        head,
        history: fit.history,
        stop: fit.stop,
        best_epoch: fit.best_epoch,
        evaluation,
        fine_tuned: None,
        feature_mean: Some(data.mean()),
        transfer: None,
        auto: None,
    })
}

/// Longest stretch of training steps between two yields to the caller's event loop.
const YIELD_MS: f64 = 50.0;

/// Where an epoch loop starts: its first epoch's number, the validation loss to beat (that of
/// what it refines), and its learning rate.
pub(crate) struct Start {
    pub epoch: u32,
    pub loss: Option<f32>,
    pub learning_rate: f32,
}

/// What an epoch loop gives back: the best epoch's module (for inference), every epoch's
/// statistics, and whether any epoch beat [`Start::loss`].
pub(crate) struct Fit<M> {
    pub net: M,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    pub best_epoch: u32,
    pub improved: bool,
}

/// The epoch loop of the head and of fine-tuning: shuffled minibatches, AdamW, one validation
/// pass per epoch, early stopping on the validation loss with the best epoch kept. `net` lives on
/// an autodiff device with the training rows; the validation rows on the plain one.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn fit<M: Module, const D: usize>(
    mut net: M,
    forward: impl Fn(&M, Tensor<D>) -> Tensor<2>,
    (train_x, train_y): (Tensor<D>, Tensor<1, Int>),
    validation: Option<(Tensor<D>, Tensor<1, Int>)>,
    start: Start,
    settings: &Settings,
    device: &Device,
    progress: &mut impl Progress,
) -> Result<Fit<M>, Error> {
    let mut rng = Rng::new(settings.seed as u64 ^ (start.epoch - 1) as u64);
    let mut optimizer = AdamWConfig::new().with_weight_decay(settings.weight_decay).init();
    let rows = train_y.dims()[0];
    let mut history = Vec::new();
    let first = start.epoch;
    let mut best = (start.loss.unwrap_or(f32::INFINITY), first - 1, net.valid());
    let mut stop = Stop::Finished;
    let mut order: Vec<usize> = (0..rows).collect();
    let mut yielded = crate::clock::now_ms();
    for epoch in first..first + settings.epochs {
        rng.shuffle(&mut order);
        let mut sums = Tensor::<1>::zeros([2], device);
        for batch in order.chunks(settings.batch_size as usize) {
            let batch = int_tensor(batch, &train_y.device());
            let (x, y) = (train_x.clone().select(0, batch.clone()), train_y.clone().select(0, batch));
            let logits = forward(&net, x);
            let l = loss(logits.clone(), y.clone(), settings.label_smoothing);
            sums = sums + batch_stats(logits.inner(), y.inner(), l.clone().inner());
            let grads = GradientsParams::from_grads(l.backward(), &net);
            net = optimizer.step(start.learning_rate as f64, net, grads);
            // Fine-tuning steps take long enough to hold up a browser's other work: let it run
            // between them (a head's quick steps only yield between epochs).
            if crate::clock::now_ms() - yielded > YIELD_MS {
                progress.pause().await;
                yielded = crate::clock::now_ms();
            }
        }
        // One read per epoch: the only synchronisation with the device while training.
        let sums = read_floats(sums).await?;
        let n = rows as f32;
        let mut stats = EpochStats { epoch, train_loss: sums[0] / n, train_accuracy: sums[1] / n, validation_loss: None, validation_accuracy: None };
        let current = net.valid();
        if let Some((x, y)) = &validation {
            let logits = forward(&current, x.clone());
            let v = read_floats(batch_stats(logits.clone(), y.clone(), loss(logits, y.clone(), 0.0))).await?;
            let m = y.dims()[0] as f32;
            stats.validation_loss = Some(v[0] / m);
            stats.validation_accuracy = Some(v[1] / m);
        }
        // Without a validation split the last epoch is kept.
        let score = stats.validation_loss.unwrap_or(-(epoch as f32));
        if score < best.0 - 1e-4 || validation.is_none() {
            best = (score, epoch, current);
        }
        history.push(stats);
        if progress.epoch(history.last().expect("just pushed")).is_break() {
            return Err(Error::Cancelled);
        }
        if validation.is_some() && epoch - best.1 >= settings.patience.max(1) {
            stop = Stop::EarlyStopped;
            break;
        }
        progress.pause().await;
        yielded = crate::clock::now_ms();
    }
    let (_, best_epoch, net) = best;
    Ok(Fit { net, history, stop, best_epoch, improved: best_epoch >= first })
}
