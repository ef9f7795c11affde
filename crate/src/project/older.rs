//! Projects as formats 1 and 2 wrote them, read into today's [`Project`]. Postcard stores fields
//! in order without names, so every struct that gained a field keeps its old layout here.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Project;
use crate::learn::augment::Augment;
use crate::learn::metrics::Evaluation;
use crate::learn::settings::HeadKind;
use crate::learn::train::{EpochStats, Stop};
use crate::learn::{ClassId, Examples, Head, Settings, Trained};

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

impl From<SettingsV2> for Settings {
    fn from(s: SettingsV2) -> Self {
        let SettingsV2 { head, hidden, epochs, batch_size, learning_rate, weight_decay, dropout, label_smoothing, validation_fraction, patience, seed, k, threshold, augment } = s;
        let fine_tune = 0;
        Settings { head, hidden, epochs, batch_size, learning_rate, weight_decay, dropout, label_smoothing, validation_fraction, patience, seed, k, threshold, augment, fine_tune }
    }
}

impl From<TrainedV2> for Trained {
    fn from(t: TrainedV2) -> Self {
        Trained { head: t.head, history: t.history, stop: t.stop, best_epoch: t.best_epoch, evaluation: t.evaluation, fine_tuned: None }
    }
}

impl From<ProjectV2> for Project {
    fn from(p: ProjectV2) -> Self {
        Project { examples: p.examples, settings: p.settings.into(), trained: p.trained.map(Into::into), senses: p.senses, activations: BTreeMap::new() }
    }
}

impl From<ProjectV1> for Project {
    fn from(p: ProjectV1) -> Self {
        ProjectV2 { examples: p.examples, settings: p.settings, trained: p.trained, senses: BTreeMap::new() }.into()
    }
}
