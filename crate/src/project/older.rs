//! Projects as formats 1 to 4 wrote them, read into today's [`Project`]. Postcard stores fields
//! in order without names, so every struct that gained a field keeps its old layout here.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Project;
use crate::learn::adapt::{Adaptation, mean};
use crate::learn::augment::Augment;
use crate::learn::examples::Activation;
use crate::learn::metrics::Evaluation;
use crate::learn::settings::HeadKind;
use crate::learn::train::{EpochStats, FineTuned, Stop};
use crate::learn::transfer::Transfer;
use crate::learn::{ClassId, ExampleId, Examples, Head, Settings, Trained};

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

/// Format 4: without anomaly detection's false-alarm rate and auto's choice.
#[derive(Debug, Deserialize)]
pub struct ProjectV4 {
    examples: Examples,
    settings: SettingsV4,
    trained: Option<TrainedV4>,
    senses: BTreeMap<ClassId, u32>,
    activations: BTreeMap<ExampleId, Activation>,
    adaptation: Option<Adaptation>,
}

#[derive(Debug, Deserialize)]
struct TrainedV4 {
    head: Head,
    history: Vec<EpochStats>,
    stop: Stop,
    best_epoch: u32,
    evaluation: Option<Evaluation>,
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
struct SettingsV4 {
    head: HeadKind,
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
    fine_tune: u32,
}

#[derive(Debug, Deserialize)]
struct TrainedV3 {
    head: Head,
    history: Vec<EpochStats>,
    stop: Stop,
    best_epoch: u32,
    evaluation: Option<Evaluation>,
    fine_tuned: Option<FineTuned>,
}

#[derive(Debug, Deserialize)]
struct SettingsV2 {
    head: HeadKind,
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

#[derive(Debug, Deserialize)]
struct TrainedV2 {
    head: Head,
    history: Vec<EpochStats>,
    stop: Stop,
    best_epoch: u32,
    evaluation: Option<Evaluation>,
}

impl From<SettingsV2> for SettingsV4 {
    fn from(s: SettingsV2) -> Self {
        let SettingsV2 {
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
        } = s;
        let fine_tune = 0;
        SettingsV4 {
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
        }
    }
}

impl From<SettingsV4> for Settings {
    fn from(s: SettingsV4) -> Self {
        let SettingsV4 {
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
        } = s;
        let false_alarm_rate = Settings::default().false_alarm_rate;
        Settings {
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
        }
    }
}

impl From<ProjectV4> for Project {
    fn from(p: ProjectV4) -> Self {
        let ProjectV4 { examples, settings, trained, senses, activations, adaptation } = p;
        let trained = trained.map(|t| {
            let TrainedV4 { head, history, stop, best_epoch, evaluation, fine_tuned, feature_mean, transfer } = t;
            let transfer = transfer.map(|t| Transfer { features: t.features, pixels: t.pixels, intermediate: None });
            Trained { head, history, stop, best_epoch, evaluation, fine_tuned, feature_mean, transfer, auto: None }
        });
        Project { examples, settings: settings.into(), trained, senses, activations, adaptation }
    }
}

impl From<TrainedV2> for TrainedV3 {
    fn from(t: TrainedV2) -> Self {
        TrainedV3 { head: t.head, history: t.history, stop: t.stop, best_epoch: t.best_epoch, evaluation: t.evaluation, fine_tuned: None }
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
                .filter(|c| t.head.classes.contains(&c.id))
                .flat_map(|c| c.examples.iter().flat_map(|e| e.feature.iter().copied()))
                .collect();
            let feature_mean = (!tuned && !features.is_empty()).then(|| mean(&features, t.head.dim as usize));
            let TrainedV3 { head, history, stop, best_epoch, evaluation, fine_tuned } = t;
            TrainedV4 { head, history, stop, best_epoch, evaluation, fine_tuned, feature_mean, transfer: None }
        });
        ProjectV4 { examples: p.examples, settings: p.settings, trained, senses: p.senses, activations: p.activations, adaptation: None }
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
