//! A finished training as the project keeps it, and as a front end shows it (without the
//! weights, with its outcome in words made here, so that every front end says the same).

use serde::{Deserialize, Serialize};

use crate::backbone::{Network, top};
use crate::learn::examples::store::ClassId;
use crate::learn::heads::auto::AutoChoice;
use crate::learn::heads::fine_tune::{FineTuned, TuneCheck};
use crate::learn::heads::fit::Fitted;
use crate::learn::heads::stored::{Head, HeadWeights};
use crate::learn::metrics::Evaluation;
use crate::learn::progress::EpochStats;
use crate::learn::settings::{HeadKind, Task};
use crate::learn::tasks::counting::score::CountEvaluation;
use crate::learn::tasks::negative_transfer::Transfer;
use crate::learn::train::Stop;

/// What the refit retrained on every example. Since format 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refit {
    /// Every example, the held-out ones among them.
    pub examples: u32,
    /// The head's epochs: up to the one the held-out split kept.
    pub head_epochs: u32,
    /// Fine-tuning's epochs, likewise; 0 without fine-tuning, or when it was not kept.
    pub tune_epochs: u32,
}

/// A trained head and how training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trained {
    /// The head and its epochs (with the fine-tuning epochs, when there were some).
    pub fitted: Fitted,
    /// The fine-tuning run after the head, if the settings asked for one. Since format 3.
    pub fine_tuned: Option<FineTuned>,
    /// Mean of the features the head was trained on (every example's, through the fine-tuned
    /// layers if any): where adaptation moves a new domain's features (see `tasks::adapt`).
    /// Since format 4; `None` for a fine-tuned or model-only older file, which cannot be adapted.
    pub feature_mean: Option<Vec<f32>>,
    /// The head alone on the pretrained features against the same head on raw pixels, on the
    /// held-out examples (see `tasks::negative_transfer`). Since format 4.
    pub transfer: Option<Transfer>,
    /// What `head: auto` tried and chose, when it chose this head. Since format 5.
    pub auto: Option<AutoChoice>,
    /// How well a counter finds the objects of the frames held out. Since format 7.
    pub counted: Option<CountEvaluation>,
    /// What was trained again on every example once the held-out ones had chosen (see
    /// `heads::refit`); `fitted.evaluation` scores the model before. Since format 8.
    pub refit: Option<Refit>,
    /// The held-out scores that decided whether fine-tuning was kept. Since format 8.
    pub tuning: Option<TuneCheck>,
    /// Subtracted from every feature before a classifier's head reads it: the mean of the
    /// features it was trained on (SimpleShot's centring, Wang et al. 2019), fixed at training.
    /// `None` for detectors, counters and the heads of older files. Since format 8.
    pub centre: Option<Vec<f32>>,
}

impl Trained {
    pub fn head(&self) -> &Head {
        &self.fitted.head
    }

    /// The outcome without the head's weights, which a page has no use for.
    pub fn summary(&self, network: &Network, false_alarm_rate: f32) -> TrainingSummary {
        let fitted = &self.fitted;
        let summary = TrainingSummary {
            task: fitted.head.weights.task(),
            head: fitted.head.weights.kind(),
            classes: fitted.head.classes.clone(),
            history: fitted.history.clone(),
            stop: fitted.stop,
            best_epoch: fitted.best_epoch,
            evaluation: fitted.evaluation.clone(),
            fine_tuned: self.fine_tuned.as_ref().map(|f| FineTuneSummary {
                depth: f.depth,
                first_epoch: f.first_epoch,
                kept: f.top.is_some(),
                layers: top::describe(network, f.depth),
                check: self.tuning,
            }),
            transfer: self.transfer.map(|t| TransferSummary { accuracy: t, negative: t.negative(), intermediate_better: t.intermediate_better() }),
            normal_examples: match &fitted.head.weights {
                HeadWeights::Anomaly(detector) => Some(detector.calibration.len() as u32),
                _ => None,
            },
            auto: self.auto.clone(),
            counted: self.counted.clone(),
            refit: self.refit,
            report: Report::default(),
        };
        TrainingSummary { report: summary.report(false_alarm_rate), ..summary }
    }
}

/// A training's outcome as a page shows it: [`Trained`] without the head's weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingSummary {
    pub task: Task,
    /// The classifier's head; `None` for a detector.
    pub head: Option<HeadKind>,
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
    /// For a counter: how well it finds the objects held out.
    pub counted: Option<CountEvaluation>,
    /// What was trained again on every example; `evaluation` scores the model before.
    pub refit: Option<Refit>,
    /// The outcome in words.
    pub report: Report,
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
    /// False when the head alone did clearly better on the held-out split (and was kept).
    pub kept: bool,
    /// Which layers were retrained, in words.
    pub layers: String,
    /// The held-out scores behind `kept`; `None` when nothing was held out (or an older file).
    pub check: Option<TuneCheck>,
}

/// A training's outcome in sentences, each empty when there is nothing to say.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// What was trained and how well it does on the examples held out.
    pub outcome: String,
    /// What `head: auto` tried and chose.
    pub auto: String,
    /// Whether the pretrained features help (see `tasks::negative_transfer`).
    pub transfer: String,
    /// True when `transfer` warns: raw pixels did better.
    pub transfer_warns: bool,
    /// An intermediate layer did better than the final features.
    pub layer: String,
}

impl FineTuneSummary {
    /// Whether fine-tuning was kept and on what evidence, as a clause of the outcome.
    fn describe(&self) -> String {
        let scores = |c: &TuneCheck| format!("{} on the {} held-out examples against {} for the head alone", percent(c.tuned), c.examples, percent(c.head));
        match (self.kept, &self.check) {
            (true, None) => format!(", fine-tuning {} too", self.layers),
            (true, Some(c)) => format!(", fine-tuning {} too ({})", self.layers, scores(c)),
            (false, Some(c)) => format!(
                "; fine-tuning {} scored {}, more than the margin of {:.1} points (1/√{}) below it, so the head alone is kept",
                self.layers,
                scores(c),
                c.margin() * 100.0,
                c.examples
            ),
            // Older files, whose fine-tuning had to beat the head's held-out loss.
            (false, None) => format!("; fine-tuning {} did not beat the head alone on the held-out examples, so the head alone is kept", self.layers),
        }
    }
}

fn percent(x: f32) -> String {
    format!("{:.1} %", x * 100.0)
}

impl TrainingSummary {
    fn report(&self, false_alarm_rate: f32) -> Report {
        let outcome = match self.normal_examples {
            Some(n) => format!(
                "Trained: an anomaly detector from {n} normal examples, flagging about {:.0} % of normal things (see Settings).",
                false_alarm_rate * 100.0
            ),
            None => {
                let epochs = match (self.history.len(), self.stop) {
                    (0, _) => String::new(),
                    (_, Stop::EarlyStopped) => format!(" in {} epochs, keeping the best (epoch {})", self.history.len(), self.best_epoch),
                    (n, Stop::Finished) => format!(" in {n} epochs"),
                };
                let layers = match &self.fine_tuned {
                    None => String::new(),
                    Some(f) => f.describe(),
                };
                let score = match (&self.evaluation, &self.counted) {
                    (_, Some(c)) => format!(
                        " On the {} frames held out to check it, it finds the objects with an F1 of {:.2} (precision {:.2}, recall {:.2}) and counts {} of the frames exactly.",
                        c.frames,
                        c.f1,
                        c.precision,
                        c.recall,
                        percent(c.exact_counts)
                    ),
                    (_, None) if self.task == Task::Count => " Too few frames to hold some out to check it: label more frames.".into(),
                    (Some(e), _) => match &self.refit {
                        None => format!(" It classifies {} of the {} examples held out to check it correctly.", percent(e.accuracy), e.examples),
                        Some(r) => {
                            let tuned = if r.tune_epochs > 0 { format!(" and {} of fine-tuning", r.tune_epochs) } else { String::new() };
                            format!(
                                " It classified {} of the {} examples held out to check it correctly; then it learned from all {} examples with the epochs they chose ({} of the head{tuned}).",
                                percent(e.accuracy),
                                e.examples,
                                r.examples,
                                r.head_epochs
                            )
                        }
                    },
                    (None, _) => " Every class has a single capture, so none was held out to check it.".into(),
                };
                format!("Trained{epochs}{layers}.{score}")
            }
        };
        let (transfer, transfer_warns) = match self.transfer.filter(|_| self.evaluation.is_some()) {
            None => (String::new(), false),
            Some(t) if t.negative => (
                format!(
                    "Raw pixels do better than the pretrained features here ({} against {} for the head alone): the network does not see what tells these classes apart. Try fine-tuning the network (Settings), or make sure the classes differ in what the camera shows.",
                    percent(t.accuracy.pixels),
                    percent(t.accuracy.features)
                ),
                true,
            ),
            Some(t) if t.accuracy.features > t.accuracy.pixels => (
                format!(
                    "The pretrained features help: the head alone reaches {} on them, {} on raw pixels.",
                    percent(t.accuracy.features),
                    percent(t.accuracy.pixels)
                ),
                false,
            ),
            Some(t) => (
                format!(
                    "The pretrained features and raw pixels do equally well on the held-out examples ({}): too few, or too easy, to tell whether the features help.",
                    percent(t.accuracy.features)
                ),
                false,
            ),
        };
        let layer = match self.transfer.filter(|t| t.intermediate_better).and_then(|t| t.accuracy.intermediate.map(|i| (i, t.accuracy.features))) {
            Some((intermediate, features)) => format!(
                "An intermediate layer of the network does better than its final features ({} against {}): its last layers specialised away from your task. Fine-tuning 2 or more layers (Settings) retrains them.",
                percent(intermediate),
                percent(features)
            ),
            None => String::new(),
        };
        Report { outcome, auto: self.auto.as_ref().map(AutoChoice::describe).unwrap_or_default(), transfer, transfer_warns, layer }
    }
}
