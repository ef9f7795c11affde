//! What the user can choose about learning, with the defaults a newcomer gets.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::backbone::top::MAX_DEPTH;
use crate::learn::examples::augment::Augment;

/// What a project learns to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    /// Tell the classes apart.
    #[default]
    #[serde(rename = "classify")]
    Classify,
    /// Learn one class of normal things and flag frames unlike them (see `tasks::anomaly`).
    #[serde(rename = "anomaly")]
    SpotAnomalies,
    /// Find every object of the classes in the whole frame, where it is (see
    /// `tasks::counting`). Since format 7.
    #[serde(rename = "count")]
    Count,
}

impl Task {
    /// What a head was trained for, in words for a message.
    pub fn describe(self) -> &'static str {
        match self {
            Task::Classify => "to tell classes apart",
            Task::SpotAnomalies => "to detect anomalies",
            Task::Count => "to count and locate objects",
        }
    }
}

/// The kind of classifier on top of the backbone's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadKind {
    /// A trained linear layer (or one hidden layer) with a softmax.
    Softmax,
    /// Cosine similarity to each class's mean feature; no training.
    Prototype,
    /// Majority vote of the k most similar stored examples; no training.
    Knn,
}

/// The head a classifier gets: one the user fixed, or the one that scores best by
/// cross-validation at each training (see `heads::auto`). Written as one name: "softmax",
/// "prototype", "knn" or "auto".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "HeadName", into = "HeadName")]
pub enum HeadChoice {
    Fixed(HeadKind),
    Auto,
}

/// [`HeadChoice`] as it is written (the project file, the page's settings).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum HeadName {
    Softmax,
    Prototype,
    Knn,
    Auto,
}

impl From<HeadName> for HeadChoice {
    fn from(name: HeadName) -> Self {
        match name {
            HeadName::Softmax => Self::Fixed(HeadKind::Softmax),
            HeadName::Prototype => Self::Fixed(HeadKind::Prototype),
            HeadName::Knn => Self::Fixed(HeadKind::Knn),
            HeadName::Auto => Self::Auto,
        }
    }
}

impl From<HeadChoice> for HeadName {
    fn from(choice: HeadChoice) -> Self {
        match choice {
            HeadChoice::Fixed(HeadKind::Softmax) => Self::Softmax,
            HeadChoice::Fixed(HeadKind::Prototype) => Self::Prototype,
            HeadChoice::Fixed(HeadKind::Knn) => Self::Knn,
            HeadChoice::Auto => Self::Auto,
        }
    }
}

impl std::fmt::Display for HeadChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            HeadChoice::Fixed(HeadKind::Softmax) => "softmax",
            HeadChoice::Fixed(HeadKind::Prototype) => "prototype",
            HeadChoice::Fixed(HeadKind::Knn) => "knn",
            HeadChoice::Auto => "auto",
        };
        f.write_str(name)
    }
}

impl HeadChoice {
    pub const SOFTMAX: Self = Self::Fixed(HeadKind::Softmax);

    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "softmax" => Ok(Self::SOFTMAX),
            "prototype" | "prototypes" => Ok(Self::Fixed(HeadKind::Prototype)),
            "knn" => Ok(Self::Fixed(HeadKind::Knn)),
            "auto" => Ok(Self::Auto),
            other => Err(Error::Settings(format!("unknown head {other:?} (softmax, prototype, knn or auto)"))),
        }
    }
}

/// Learning settings, stored with the project. Missing fields take their defaults, so a page
/// can send only what the user changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Since format 6 (before, a detector was a kind of head).
    pub task: Task,
    /// The classifier's head; kept while the task is another, for switching back.
    pub head: HeadChoice,
    /// Width of the softmax head's hidden layer; 0 for a linear head.
    pub hidden: u32,
    pub epochs: u32,
    pub batch_size: u32,
    pub learning_rate: f32,
    pub weight_decay: f32,
    pub dropout: f32,
    pub label_smoothing: f32,
    /// Share of each class's captures held out to stop early and to evaluate.
    pub validation_fraction: f32,
    /// Epochs without a better validation loss before training stops.
    pub patience: u32,
    pub seed: u32,
    /// Neighbours that vote in the kNN head.
    pub k: u32,
    /// Below this top probability a prediction is "none of these".
    pub threshold: f32,
    pub augment: Augment,
    /// Layers at the top of the backbone retrained after the head (0: the head alone; 1: the
    /// 1×1 head conv; each more: one more block below it; see `backbone::top`). Since format 3.
    pub fine_tune: u32,
    /// Share of normal frames an anomaly detector may flag: sets its threshold. Since format 5.
    pub false_alarm_rate: f32,
    /// Once the held-out examples have chosen the epochs (and whether fine-tuning pays), train
    /// again on every example with those choices (see `heads::refit`). Since format 8.
    pub refit: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            task: Task::Classify,
            head: HeadChoice::SOFTMAX,
            hidden: 0,
            epochs: 50,
            batch_size: 32,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            dropout: 0.2,
            label_smoothing: 0.1,
            validation_fraction: 0.2,
            patience: 10,
            seed: 42,
            k: 5,
            threshold: 0.6,
            augment: Augment::default(),
            fine_tune: 0,
            false_alarm_rate: 0.05,
            refit: true,
        }
    }
}

impl Settings {
    /// The most epochs a training with these settings reports: the head's, and as many again
    /// when fine-tuning; a counter's.
    pub fn max_epochs(&self) -> u32 {
        match (self.task, self.head) {
            (Task::Classify, HeadChoice::Fixed(HeadKind::Softmax) | HeadChoice::Auto) => self.epochs * if self.fine_tune > 0 { 2 } else { 1 },
            (Task::Count, _) => self.epochs,
            _ => 1,
        }
    }

    /// Refuses values that would make training meaningless, naming the field.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |field: &str, why: &str| Err(Error::Settings(format!("{field} {why}")));
        if self.epochs == 0 || self.epochs > 10_000 {
            return bad("epochs", "must be between 1 and 10000");
        }
        if self.batch_size == 0 {
            return bad("batch size", "must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("learning rate", "must be in (0, 1]");
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad("dropout", "must be in [0, 1)");
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return bad("label smoothing", "must be in [0, 1)");
        }
        if !(0.0..=0.9).contains(&self.validation_fraction) {
            return bad("validation fraction", "must be in [0, 0.9]");
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return bad("weight decay", "must be zero or positive");
        }
        if self.k == 0 {
            return bad("k", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return bad("threshold", "must be in [0, 1]");
        }
        if self.fine_tune > MAX_DEPTH {
            return bad("fine-tuned layers", &format!("must be between 0 and {MAX_DEPTH}"));
        }
        if self.fine_tune > 0 && (self.task != Task::Classify || self.head != HeadChoice::SOFTMAX) {
            return bad("fine-tuning", "trains through the softmax head: choose it, or set fine-tuned layers to 0");
        }
        if !(self.false_alarm_rate > 0.0 && self.false_alarm_rate <= 0.5) {
            return bad("false-alarm rate", "must be in (0, 0.5]");
        }
        if self.hidden > 4096 {
            return bad("hidden width", "must be at most 4096");
        }
        self.augment.check()
    }
}
