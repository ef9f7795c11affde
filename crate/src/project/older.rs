//! Projects as formats 1 to 7 wrote them, read into today's [`Project`]. Postcard stores fields
//! in order without names, so every struct that gained a field keeps its old layout here.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Project;
use crate::learn::examples::augment::Augment;
use crate::learn::examples::store::{Activation, ClassId, ExampleId, Examples};
use crate::learn::heads::auto::AutoChoice;
use crate::learn::heads::fine_tune::FineTuned;
use crate::learn::heads::fit::Fitted;
use crate::learn::settings::{HeadChoice, HeadKind, Settings, Task};
use crate::learn::tasks::adapt::Adaptation;
use crate::learn::tasks::counting::score::CountEvaluation;
use crate::learn::tasks::counting::{Point, Scene};
use crate::learn::tasks::negative_transfer::Transfer;
use crate::learn::trained::Trained;
use crate::learn::vectors::mean;

/// Format 1: without the senses chosen for names.
#[derive(Debug, Deserialize)]
pub struct ProjectV1 {
    examples: Examples,
    settings: SettingsV2,
    trained: Option<TrainedV2>,
}

/// Format 2: without fine-tuning (its setting, its layers, the cached activations).
#[derive(Debug, Deserialize)]
pub struct ProjectV2 {
    examples: Examples,
    settings: SettingsV2,
    trained: Option<TrainedV2>,
    senses: BTreeMap<ClassId, u32>,
}

/// Format 3: without adaptation, the trained features' mean it needs, and the transfer check.
#[derive(Debug, Deserialize)]
pub struct ProjectV3 {
    examples: Examples,
    settings: SettingsV4,
    trained: Option<TrainedV3>,
    senses: BTreeMap<ClassId, u32>,
    activations: BTreeMap<ExampleId, Activation>,
}

/// Formats 4 to 6 (and the start of 7), which differ in their settings and trained head.
#[derive(Debug, Deserialize)]
pub struct Layout4<S, T> {
    examples: Examples,
    settings: S,
    trained: Option<T>,
    senses: BTreeMap<ClassId, u32>,
    activations: BTreeMap<ExampleId, Activation>,
    adaptation: Option<Adaptation>,
}

/// Format 7: without the refit on every example (its setting, what it did, the held-out scores
/// behind keeping fine-tuning) and the centre of the features the head reads.
/// Postcard writes a struct's fields in order with nothing around them, so format 6's layout
/// followed by the counting fields is format 7's.
#[derive(Debug, Deserialize)]
pub struct ProjectV7 {
    layout: Layout4<SettingsV7, TrainedV7>,
    scenes: BTreeMap<ExampleId, Scene>,
    points: BTreeMap<ExampleId, Vec<Point>>,
}

/// The settings of formats 6 and 7.
#[derive(Debug, Deserialize)]
pub struct SettingsV7 {
    task: Task,
    head: HeadChoice,
    common: Common,
    fine_tune: u32,
    false_alarm_rate: f32,
}

impl From<SettingsV7> for Settings {
    fn from(s: SettingsV7) -> Self {
        s.common.settings(s.task, s.head, s.fine_tune, s.false_alarm_rate)
    }
}

/// The trained head of format 7: format 6's and a counter's evaluation.
#[derive(Debug, Deserialize)]
pub struct TrainedV7 {
    trained: TrainedV6,
    counted: Option<CountEvaluation>,
}

impl From<TrainedV7> for Trained {
    fn from(t: TrainedV7) -> Self {
        Trained { counted: t.counted, ..t.trained.into() }
    }
}

impl From<ProjectV7> for Project {
    fn from(p: ProjectV7) -> Self {
        let ProjectV7 { layout: Layout4 { examples, settings, trained, senses, activations, adaptation }, scenes, points } = p;
        Project { examples, settings: settings.into(), trained: trained.map(Into::into), senses, activations, adaptation, scenes, points }
    }
}

/// Format 6: without the frames captured for counting and their points.
pub type ProjectV6 = Layout4<SettingsV7, TrainedV6>;

/// Format 5: the task (spotting anomalies) was a kind of head.
pub type ProjectV5 = Layout4<SettingsV5, TrainedV6>;

/// The trained head of formats 5 and 6, without a counter's evaluation.
#[derive(Debug, Deserialize)]
pub struct TrainedV6 {
    fitted: Fitted,
    fine_tuned: Option<FineTuned>,
    feature_mean: Option<Vec<f32>>,
    transfer: Option<Transfer>,
    auto: Option<AutoChoice>,
}

impl From<TrainedV6> for Trained {
    fn from(t: TrainedV6) -> Self {
        let TrainedV6 { fitted, fine_tuned, feature_mean, transfer, auto } = t;
        Trained { fitted, fine_tuned, feature_mean, transfer, auto, counted: None, refit: None, tuning: None, centre: None }
    }
}

impl<S: Into<Settings>> Layout4<S, TrainedV6> {
    fn project(self) -> Project {
        let Layout4 { examples, settings, trained, senses, activations, adaptation } = self;
        let (scenes, points) = (BTreeMap::new(), BTreeMap::new());
        Project { examples, settings: settings.into(), trained: trained.map(Into::into), senses, activations, adaptation, scenes, points }
    }
}

impl From<ProjectV6> for Project {
    fn from(p: ProjectV6) -> Self {
        p.project()
    }
}

/// Format 4: without anomaly detection's false-alarm rate and auto's choice.
pub type ProjectV4 = Layout4<SettingsV4, TrainedV4>;

/// The heads of format 5, among them a task (anomaly) and a search (auto).
#[derive(Debug, Clone, Copy, Deserialize)]
enum HeadKindV5 {
    Softmax,
    Prototype,
    Knn,
    Anomaly,
    Auto,
}

/// The settings of every format, after the head, in their order.
#[derive(Debug, Deserialize)]
struct Common {
    hidden: u32,
    epochs: u32,
    batch_size: u32,
    learning_rate: f32,
    weight_decay: f32,
    dropout: f32,
    label_smoothing: f32,
    validation_fraction: f32,
    patience: u32,
    seed: u32,
    k: u32,
    threshold: f32,
    augment: Augment,
}

impl Common {
    fn settings(self, task: Task, head: HeadChoice, fine_tune: u32, false_alarm_rate: f32) -> Settings {
        let Common {
            hidden,
            epochs,
            batch_size,
            learning_rate,
            weight_decay,
            dropout,
            label_smoothing,
            validation_fraction,
            patience,
            seed,
            k,
            threshold,
            augment,
        } = self;
        Settings {
            task,
            head,
            hidden,
            epochs,
            batch_size,
            learning_rate,
            weight_decay,
            dropout,
            label_smoothing,
            validation_fraction,
            patience,
            seed,
            k,
            threshold,
            augment,
            fine_tune,
            false_alarm_rate,
            refit: Settings::default().refit,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SettingsV5 {
    head: HeadKindV5,
    common: Common,
    fine_tune: u32,
    false_alarm_rate: f32,
}

impl From<SettingsV5> for Settings {
    fn from(s: SettingsV5) -> Self {
        // A detector's classifier head was not kept: it gets the default.
        let (task, head) = match s.head {
            HeadKindV5::Softmax => (Task::Classify, HeadChoice::Fixed(HeadKind::Softmax)),
            HeadKindV5::Prototype => (Task::Classify, HeadChoice::Fixed(HeadKind::Prototype)),
            HeadKindV5::Knn => (Task::Classify, HeadChoice::Fixed(HeadKind::Knn)),
            HeadKindV5::Auto => (Task::Classify, HeadChoice::Auto),
            HeadKindV5::Anomaly => (Task::SpotAnomalies, Settings::default().head),
        };
        s.common.settings(task, head, s.fine_tune, s.false_alarm_rate)
    }
}

impl From<ProjectV5> for Project {
    fn from(p: ProjectV5) -> Self {
        p.project()
    }
}

#[derive(Debug, Deserialize)]
pub struct TrainedV4 {
    fitted: Fitted,
    fine_tuned: Option<FineTuned>,
    feature_mean: Option<Vec<f32>>,
    transfer: Option<TransferV4>,
}

/// Format 4's transfer check, without the intermediate layer.
#[derive(Debug, Clone, Copy, Deserialize)]
struct TransferV4 {
    features: f32,
    pixels: f32,
}

/// Settings of formats 3 and 4.
#[derive(Debug, Deserialize)]
pub struct SettingsV4 {
    head: HeadKind,
    common: Common,
    fine_tune: u32,
}

#[derive(Debug, Deserialize)]
struct TrainedV3 {
    fitted: Fitted,
    fine_tuned: Option<FineTuned>,
}

#[derive(Debug, Deserialize)]
struct SettingsV2 {
    head: HeadKind,
    common: Common,
}

#[derive(Debug, Deserialize)]
struct TrainedV2 {
    fitted: Fitted,
}

impl From<SettingsV2> for SettingsV4 {
    fn from(s: SettingsV2) -> Self {
        SettingsV4 { head: s.head, common: s.common, fine_tune: 0 }
    }
}

impl From<SettingsV4> for Settings {
    fn from(s: SettingsV4) -> Self {
        s.common.settings(Task::Classify, HeadChoice::Fixed(s.head), s.fine_tune, Settings::default().false_alarm_rate)
    }
}

impl From<ProjectV4> for Project {
    fn from(p: ProjectV4) -> Self {
        let Layout4 { examples, settings, trained, senses, activations, adaptation } = p;
        let trained = trained.map(|t| {
            let TrainedV4 { fitted, fine_tuned, feature_mean, transfer } = t;
            let transfer = transfer.map(|t| Transfer { features: t.features, pixels: t.pixels, intermediate: None });
            TrainedV6 { fitted, fine_tuned, feature_mean, transfer, auto: None }
        });
        Layout4 { examples, settings: Settings::from(settings), trained, senses, activations, adaptation }.project()
    }
}

impl From<TrainedV2> for TrainedV3 {
    fn from(t: TrainedV2) -> Self {
        TrainedV3 { fitted: t.fitted, fine_tuned: None }
    }
}

impl From<ProjectV3> for ProjectV4 {
    /// The trained features' mean is the mean of the head's classes' examples, as training now
    /// computes it, unless the head reads through fine-tuned layers (whose features of the
    /// examples would need the backbone) or the file has no examples.
    fn from(p: ProjectV3) -> Self {
        let trained = p.trained.map(|t| {
            let tuned = t.fine_tuned.as_ref().is_some_and(|f| f.top.is_some());
            let features: Vec<f32> = p
                .examples
                .classes()
                .iter()
                .filter(|c| t.fitted.head.classes.contains(&c.id))
                .flat_map(|c| c.examples.iter().flat_map(|e| e.feature.iter().copied()))
                .collect();
            let feature_mean = (!tuned && !features.is_empty()).then(|| mean(&features, t.fitted.head.dim as usize));
            TrainedV4 { fitted: t.fitted, fine_tuned: t.fine_tuned, feature_mean, transfer: None }
        });
        Layout4 { examples: p.examples, settings: p.settings, trained, senses: p.senses, activations: p.activations, adaptation: None }
    }
}

impl From<ProjectV2> for ProjectV3 {
    fn from(p: ProjectV2) -> Self {
        let trained = p.trained.map(Into::into);
        ProjectV3 { examples: p.examples, settings: p.settings.into(), trained, senses: p.senses, activations: BTreeMap::new() }
    }
}

impl From<ProjectV1> for ProjectV2 {
    fn from(p: ProjectV1) -> Self {
        ProjectV2 { examples: p.examples, settings: p.settings, trained: p.trained, senses: BTreeMap::new() }
    }
}
