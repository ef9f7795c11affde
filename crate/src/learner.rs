//! The learner: a project (examples, settings, trained head) and the operations a user performs
//! on it. Slow work (feature extraction, training, prediction) runs on owned snapshots, so the
//! caller can keep changing the project while it runs, and a failure leaves it untouched.

use std::rc::Rc;

use serde::Serialize;

use crate::backbone::Backbone;
use crate::clock::now_ms;
use crate::learn::augment::{views, Augment};
use crate::learn::examples::Thumbnail;
use crate::learn::rng::Rng;
use crate::learn::{Captured, ClassId, Dataset, DeviceHead, ExampleId, Examples, Settings, Trained};
use crate::project::{BackboneId, Kind, Project};
use crate::{Error, Frame};

/// Whether the stored head can classify with the current classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum HeadState {
    None,
    Current,
    /// Trained on other classes than the current ones: predictions would be about classes
    /// that are gone or miss new ones.
    Stale,
}

#[derive(Debug, Default)]
pub struct Learner {
    project: Project,
    head: Option<Rc<DeviceHead>>,
    captures: u64,
}

impl Learner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    pub fn examples(&self) -> &Examples {
        &self.project.examples
    }

    /// Class and example edits; they never touch the trained head (see [`Learner::head_state`]).
    pub fn examples_mut(&mut self) -> &mut Examples {
        &mut self.project.examples
    }

    pub fn settings(&self) -> &Settings {
        &self.project.settings
    }

    pub fn set_settings(&mut self, settings: Settings) -> Result<(), Error> {
        settings.check()?;
        self.project.settings = settings;
        Ok(())
    }

    pub fn trained(&self) -> Option<&Trained> {
        self.project.trained.as_ref()
    }

    pub fn head_state(&self) -> HeadState {
        match &self.project.trained {
            None => HeadState::None,
            Some(t) => {
                let mut now: Vec<ClassId> = self.project.examples.classes().iter().map(|c| c.id).collect();
                let mut then = t.head.classes.clone();
                now.sort_unstable();
                then.sort_unstable();
                if now == then { HeadState::Current } else { HeadState::Stale }
            }
        }
    }

    /// The augmentation to apply to the next capture and its own generator, so that captures are
    /// reproducible in order yet differ from each other.
    pub fn next_capture(&mut self) -> (Augment, Rng) {
        self.captures += 1;
        let seed = ((self.project.settings.seed as u64) << 32) ^ self.captures;
        (self.project.settings.augment, Rng::new(seed))
    }

    /// Stores the views of one capture; fails if the class was deleted meanwhile.
    pub fn add(&mut self, class: ClassId, captured: Vec<Captured>) -> Result<Vec<ExampleId>, Error> {
        self.project.examples.add(class, captured)
    }

    pub fn dataset(&self) -> Result<Dataset, Error> {
        Dataset::of(&self.project.examples)
    }

    /// Keeps a finished training, unless its classes were deleted while it ran.
    pub fn set_trained(&mut self, trained: Trained) -> Result<(), Error> {
        for &id in &trained.head.classes {
            self.project.examples.class(id).map_err(|_| Error::StaleHead)?;
        }
        self.project.trained = Some(trained);
        self.head = None;
        Ok(())
    }

    /// What predicts with the current head, on `backbone`'s device.
    pub fn predictor(&mut self, backbone: &Backbone) -> Result<Predictor, Error> {
        let trained = self.project.trained.as_ref().ok_or(Error::NotTrained)?;
        if self.head_state() == HeadState::Stale {
            return Err(Error::StaleHead);
        }
        let head = self.head.get_or_insert_with(|| Rc::new(DeviceHead::new(&trained.head, backbone.device()))).clone();
        let classes = trained
            .head
            .classes
            .iter()
            .map(|&id| Ok((id, self.project.examples.class(id)?.name.clone())))
            .collect::<Result<_, Error>>()?;
        Ok(Predictor { head, classes, threshold: self.project.settings.threshold })
    }

    pub fn save(&self) -> Vec<u8> {
        self.project.to_bytes(&BackboneId::lite0(), &crate::Preprocess::LITE)
    }

    pub fn export_model(&self) -> Result<Vec<u8>, Error> {
        if self.project.trained.is_none() {
            return Err(Error::NotTrained);
        }
        Ok(self.project.model_bytes(&BackboneId::lite0(), &crate::Preprocess::LITE))
    }

    /// Opens a project or model file. A whole project replaces the current one. A model-only
    /// file keeps the current examples of the classes it names (matched by name), so a model
    /// exported earlier can be re-imported and trained further. On error nothing changes.
    pub fn open(&mut self, bytes: &[u8]) -> Result<Kind, Error> {
        let (kind, mut project) = Project::from_bytes(bytes, &BackboneId::lite0(), &crate::Preprocess::LITE)?;
        if kind == Kind::ModelOnly {
            let current = &self.project.examples;
            let mut merged = project.examples.clone();
            for class in project.examples.classes() {
                if let Some(old) = current.classes().iter().find(|c| c.name == class.name) {
                    let captured = group_by_capture(&old.examples);
                    for views in captured {
                        merged.add(class.id, views)?;
                    }
                }
            }
            project.examples = merged;
        }
        self.project = project;
        self.head = None;
        Ok(kind)
    }
}

fn group_by_capture(examples: &[crate::learn::examples::Example]) -> Vec<Vec<Captured>> {
    let mut groups: Vec<(ExampleId, Vec<Captured>)> = Vec::new();
    for e in examples {
        let captured = Captured { feature: e.feature.clone(), thumbnail: e.thumbnail.clone() };
        match groups.iter_mut().find(|(c, _)| *c == e.capture) {
            Some((_, views)) => views.push(captured),
            None => groups.push((e.capture, vec![captured])),
        }
    }
    groups.into_iter().map(|(_, views)| views).collect()
}

/// Extracts the features and thumbnails of a capture and its augmented views, in one batch.
pub async fn capture(backbone: &Backbone, frame: Frame<'_>, augment: &Augment, rng: &mut Rng) -> Result<Vec<Captured>, Error> {
    let extra = views(frame, augment, rng);
    let frames: Vec<Frame<'_>> = std::iter::once(frame).chain(extra.iter().map(|v| v.frame())).collect();
    let features = backbone.features(&frames).await?;
    Ok(frames
        .iter()
        .zip(features.chunks(crate::backbone::FEATURE_DIM))
        .map(|(f, feature)| Captured { feature: feature.to_vec(), thumbnail: Thumbnail::of(*f) })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    pub id: ClassId,
    pub name: String,
    pub probability: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// In the head's class order.
    pub classes: Vec<ClassScore>,
    /// The most probable class, or `None` when its probability is below the threshold.
    pub best: Option<ClassId>,
    pub unknown: bool,
    /// Milliseconds from the frames to the probabilities, divided among the frames.
    pub ms: f64,
}

/// A trained head on the device with its class names: owns everything it needs, so it can run
/// while the project changes.
#[derive(Debug, Clone)]
pub struct Predictor {
    head: Rc<DeviceHead>,
    classes: Vec<(ClassId, String)>,
    threshold: f32,
}

impl Predictor {
    pub async fn predict(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<Prediction>, Error> {
        let start = now_ms();
        let p = self.head.probabilities(backbone.features_tensor(frames)?).await?;
        let ms = (now_ms() - start) / frames.len() as f64;
        Ok(p.chunks(self.classes.len()).map(|row| self.prediction(row, ms)).collect())
    }

    /// Predictions for features already extracted (row-major `N × 1280`).
    pub async fn predict_features(&self, backbone: &Backbone, features: &[f32]) -> Result<Vec<Prediction>, Error> {
        let start = now_ms();
        let n = features.len() / crate::backbone::FEATURE_DIM;
        if n == 0 {
            return Err(Error::NoFrames);
        }
        let x = burn::prelude::Tensor::from_data(
            burn::prelude::TensorData::new(features.to_vec(), [n, crate::backbone::FEATURE_DIM]),
            backbone.device(),
        );
        let p = self.head.probabilities(x).await?;
        let ms = (now_ms() - start) / n as f64;
        Ok(p.chunks(self.classes.len()).map(|row| self.prediction(row, ms)).collect())
    }

    fn prediction(&self, row: &[f32], ms: f64) -> Prediction {
        let best = crate::learn::train::argmax(row);
        let unknown = row[best] < self.threshold;
        Prediction {
            classes: self
                .classes
                .iter()
                .zip(row)
                .map(|((id, name), &probability)| ClassScore { id: *id, name: name.clone(), probability })
                .collect(),
            best: (!unknown).then_some(self.classes[best].0),
            unknown,
            ms,
        }
    }
}
