//! The product API: one project open on one backbone, and every action a user takes on it as
//! one method. The page's JS API and the CLI are thin wrappers over this type.
//!
//! Slow work (feature extraction, training, prediction) runs on snapshots taken at its start,
//! so the project can keep changing while it runs (a user captures during training), and a
//! failure leaves the project untouched. Methods take `&self`; no borrow is held across an await.

use std::cell::{Cell, Ref, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;

use serde::Serialize;

use crate::backbone::concepts::{Meaning, Sense, meaning};
use crate::backbone::{Backbone, FEATURE_DIM};
use crate::clock::now_ms;
use burn::prelude::Tensor;

use crate::backbone::top::{self, Top};
use crate::device::{Backend, read_floats};
use crate::learn::adapt::AdaptationSummary;
use crate::learn::anomaly::{self, AnomalyEvaluation};
use crate::learn::augment::{Augment, views};
use crate::learn::auto;
use crate::learn::examples::Activation;
use crate::learn::examples::{Class, Thumbnail};
use crate::learn::explain::Explainer;
use crate::learn::fine_tune::{fine_tune, probe};
use crate::learn::metrics::evaluate;
use crate::learn::predict::{Explained, Prediction, Predictor};
use crate::learn::rng::Rng;
use crate::learn::train::TrainingSummary;
use crate::learn::transfer;
use crate::learn::zero_shot::ZeroShot;
use crate::learn::{Captured, ClassId, DeviceHead, EpochStats, Evaluation, ExampleId, HeadKind, Progress, Settings, train};
use crate::project::{HeadState, Kind, Project, Proposal};
use crate::{Error, Frame};

/// A class as a list shows it: its examples by id, oldest first, and what its name covers
/// (used while it has no examples).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassSummary {
    pub id: ClassId,
    pub name: String,
    pub examples: Vec<ExampleId>,
    /// The senses of its name, most common first; empty when no ImageNet class matches it.
    pub senses: Vec<Sense>,
    /// The sense in use (the first unless the user picked another).
    pub sense: Option<u32>,
}

/// What fine-tuning would cost per epoch, measured on this device.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FineTuneEstimate {
    pub depth: u32,
    pub ms_per_example: f64,
    /// The examples there are now, every one trained on in an epoch.
    pub examples: usize,
    pub seconds_per_epoch: f64,
}

/// What one capture added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Added {
    /// The capture's example first, then its augmented views.
    pub ids: Vec<ExampleId>,
    /// Milliseconds from the frame to the stored examples.
    pub ms: f64,
}

/// A trained head ready on the device: for prediction, for heat maps, and its fine-tuned layers.
#[derive(Debug, Clone)]
struct Uploaded {
    head: Rc<DeviceHead>,
    explainer: Rc<Explainer>,
    top: Option<Rc<Top>>,
}

#[derive(Debug, Default)]
struct State {
    project: Project,
    /// The trained head uploaded to the device and prepared for heat maps, made on the first
    /// prediction after training.
    head: Option<Uploaded>,
    /// The last predictor, until the project changes.
    predictor: Option<Predictor>,
    /// Captures so far, so that each draws its own augmentations.
    captures: u64,
    /// The last deleted class and its position, for undo.
    deleted: Option<(usize, Class)>,
}

pub struct Session {
    backbone: Rc<Backbone>,
    state: RefCell<State>,
    training: Cell<bool>,
    cancel: Cell<bool>,
}

impl Session {
    /// An empty project (no classes) on `backbone`.
    pub fn new(backbone: Rc<Backbone>) -> Self {
        Self { backbone, state: RefCell::default(), training: Cell::new(false), cancel: Cell::new(false) }
    }

    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    /// The project as it is now. Do not hold it across an await.
    pub fn project(&self) -> Ref<'_, Project> {
        Ref::map(self.state.borrow(), |s| &s.project)
    }

    fn edit<T>(&self, f: impl FnOnce(&mut State) -> Result<T, Error>) -> Result<T, Error> {
        let mut state = self.state.borrow_mut();
        state.predictor = None;
        f(&mut state)
    }

    /// `busy` while a training runs: what would replace the project waits for it.
    fn idle(&self, busy: Error) -> Result<(), Error> {
        if self.training.get() { Err(busy) } else { Ok(()) }
    }

    /// Replaces the project with a new one holding two empty classes.
    pub fn new_project(&self) -> Result<(), Error> {
        self.idle(Error::Busy("Cancel the training first."))?;
        *self.state.borrow_mut() = State { project: Project::starter(), ..State::default() };
        Ok(())
    }

    // Classes and examples. Edits never touch the trained head (see `head_state`).

    /// Classes in display order.
    pub fn classes(&self) -> Vec<ClassSummary> {
        let project = self.project();
        project
            .examples
            .classes()
            .iter()
            .map(|c| {
                let (senses, sense) = match project.meaning(c.id) {
                    Ok((meaning, sense)) => (meaning.senses, Some(sense.id)),
                    Err(_) => (Vec::new(), None),
                };
                ClassSummary { id: c.id, name: c.name.clone(), examples: c.examples.iter().map(|e| e.id).collect(), senses, sense }
            })
            .collect()
    }

    /// What a name would cover as a class name: for showing it as it is typed.
    pub fn meaning(&self, name: &str) -> Result<Meaning, Error> {
        meaning(name)
    }

    /// Picks which sense of its name predicts a class while it has no examples.
    pub fn set_sense(&self, id: ClassId, sense: u32) -> Result<(), Error> {
        self.edit(|s| s.project.set_sense(id, sense))
    }

    /// Adds a class; without a name it is called "Class N" with the first free N.
    pub fn add_class(&self, name: Option<&str>) -> Result<ClassId, Error> {
        self.edit(|s| {
            let name = name.map(str::to_string).unwrap_or_else(|| s.project.examples.unused_name());
            s.project.examples.add_class(&name)
        })
    }

    /// Renames a class; a sense picked for the old name is dropped.
    pub fn rename_class(&self, id: ClassId, name: &str) -> Result<(), Error> {
        self.edit(|s| {
            s.project.examples.rename_class(id, name)?;
            s.project.senses.remove(&id);
            Ok(())
        })
    }

    /// Deletes a class with its examples; [`Session::undo_delete`] brings the last one back.
    pub fn delete_class(&self, id: ClassId) -> Result<(), Error> {
        self.edit(|s| {
            s.deleted = Some(s.project.examples.delete_class(id)?);
            Ok(())
        })
    }

    /// Restores the last deleted class; false when there is none to restore.
    pub fn undo_delete(&self) -> Result<bool, Error> {
        self.edit(|s| match s.deleted.take() {
            Some((at, class)) => s.project.examples.restore_class(at, class).map(|()| true),
            None => Ok(false),
        })
    }

    pub fn move_class(&self, id: ClassId, position: usize) -> Result<(), Error> {
        self.edit(|s| s.project.examples.move_class(id, position))
    }

    pub fn clear_class(&self, id: ClassId) -> Result<(), Error> {
        self.edit(|s| s.project.examples.clear_class(id))
    }

    pub fn delete_example(&self, id: ExampleId) -> Result<(), Error> {
        self.edit(|s| s.project.examples.delete_example(id))
    }

    /// Proposes groups of similar captures among the examples of `class` (a heap of unlabelled
    /// captures), to be named and made classes with [`Session::sort_into`]: `groups` of them, or
    /// as many as separate best.
    pub fn group(&self, class: ClassId, groups: Option<usize>) -> Result<Proposal, Error> {
        self.project().group(class, groups)
    }

    /// Moves examples of `from` into classes by name (made where missing); `from` goes when
    /// emptied. Returns the classes, in the order of `groups`.
    pub fn sort_into(&self, from: ClassId, groups: &[(String, Vec<ExampleId>)]) -> Result<Vec<ClassId>, Error> {
        self.edit(|s| s.project.sort_into(from, groups))
    }

    /// The example's thumbnail as RGBA bytes.
    pub fn thumbnail(&self, id: ExampleId) -> Result<Vec<u8>, Error> {
        Ok(self.project().examples.example(id)?.thumbnail.rgba())
    }

    /// Captures one frame into a class: its features and thumbnail, plus the augmented views the
    /// settings ask for, extracted as one batch.
    pub async fn capture(&self, class: ClassId, frame: Frame<'_>) -> Result<Added, Error> {
        let start = now_ms();
        let (settings, mut rng) = self.edit(|s| {
            s.project.examples.class(class)?;
            s.captures += 1;
            let seed = ((s.project.settings.seed as u64) << 32) ^ s.captures;
            Ok((s.project.settings.clone(), Rng::new(seed)))
        })?;
        let captured = extract(&self.backbone, frame, &settings.augment, settings.fine_tune, &mut rng).await?;
        // Fails if the class was deleted while the features were extracted.
        let ids = self.edit(|s| s.project.add(class, captured))?;
        Ok(Added { ids, ms: now_ms() - start })
    }

    // Settings and training.

    pub fn settings(&self) -> Settings {
        self.project().settings.clone()
    }

    pub fn set_settings(&self, settings: Settings) -> Result<(), Error> {
        self.edit(|s| s.project.set_settings(settings))
    }

    pub fn head_state(&self) -> HeadState {
        self.project().head_state()
    }

    /// True while a training runs.
    pub fn training(&self) -> bool {
        self.training.get()
    }

    /// The last training, without the head's weights.
    pub fn last_training(&self) -> Option<TrainingSummary> {
        self.project().trained.as_ref().map(|t| t.summary())
    }

    /// Trains the head the settings name on every example, reporting each epoch to `progress`.
    /// [`Session::cancel_training`] stops it after the current epoch; the previous head stays.
    pub async fn train(&self, progress: &mut impl Progress) -> Result<TrainingSummary, Error> {
        if self.training.replace(true) {
            return Err(Error::Busy("training is already running"));
        }
        self.cancel.set(false);
        let result = self.run_training(progress).await;
        self.training.set(false);
        result
    }

    async fn run_training(&self, progress: &mut impl Progress) -> Result<TrainingSummary, Error> {
        let (data, baselines, settings) = {
            let project = self.project();
            let data = project.dataset()?;
            // The transfer check needs held-out examples; without them its baselines go unused.
            let baselines = (project.settings.validation_fraction > 0.0 && !project.detects()).then(|| project.baselines(&data));
            (data, baselines, project.settings.clone())
        };
        let mut progress = Cancellable { inner: progress, cancel: &self.cancel };
        let device = self.backbone.device();
        let auto = match settings.head {
            HeadKind::Auto => Some(auto::choose(&data, &settings, device, &mut progress).await?),
            _ => None,
        };
        let settings = match &auto {
            Some(a) => a.settings(&settings),
            None => settings,
        };
        let mut trained = train(&data, &settings, device, &mut progress).await?;
        trained.auto = auto;
        let accuracy = trained.evaluation.as_ref().map(|e| e.accuracy);
        trained.transfer = transfer::check(accuracy, baselines.as_ref(), &settings, device, &mut progress).await?;
        if settings.fine_tune > 0 {
            trained = fine_tune(trained, &data, self.backbone.model(), &settings, device, &mut progress).await?;
        }
        let summary = trained.summary();
        self.edit(|s| {
            s.project.set_trained(trained)?;
            s.head = None;
            Ok(summary)
        })
    }

    /// What fine-tuning `depth` layers would cost per epoch on this device with the examples there
    /// are now (one training step is timed; about a second on a phone-class CPU).
    pub async fn fine_tune_cost(&self, depth: u32) -> Result<FineTuneEstimate, Error> {
        let ms_per_example = probe(self.backbone.model(), depth, self.backbone.device()).await?;
        let examples = self.project().examples.example_count();
        let seconds_per_epoch = ms_per_example * examples as f64 / 1e3;
        Ok(FineTuneEstimate { depth, ms_per_example, examples, seconds_per_epoch })
    }

    pub fn cancel_training(&self) {
        self.cancel.set(true);
    }

    // Prediction.

    /// Classifies frames with the trained head, as one batch.
    pub async fn predict(&self, frames: &[Frame<'_>]) -> Result<Vec<Prediction>, Error> {
        let predictor = self.predictor()?;
        predictor.predict(&self.backbone, frames).await
    }

    /// Classifies frames and shows where each one's most probable class was seen.
    pub async fn explain(&self, frames: &[Frame<'_>]) -> Result<Vec<Explained>, Error> {
        let predictor = self.predictor()?;
        predictor.explain(&self.backbone, frames).await
    }

    // Adapting to a new camera or scene.

    /// The features the trained head reads for each frame, before any adaptation (`frames ×
    /// 1280`): collect them from the new camera, then pass them to [`Session::adapt`].
    pub async fn features(&self, frames: &[Frame<'_>]) -> Result<Vec<f32>, Error> {
        let predictor = self.predictor()?;
        predictor.features(&self.backbone, frames).await
    }

    /// Adapts predictions to the camera or scene `features` came from (see `learn::adapt`);
    /// `made` is the time, in milliseconds since 1970. Replaces an earlier adaptation.
    pub fn adapt(&self, features: &[f32], made: f64) -> Result<AdaptationSummary, Error> {
        self.edit(|s| s.project.adapt(features, made))
    }

    /// Predictions as before adapting; false when there was no adaptation.
    pub fn remove_adaptation(&self) -> bool {
        self.edit(|s| Ok(s.project.adaptation.take().is_some())).unwrap_or(false)
    }

    pub fn adaptation(&self) -> Option<AdaptationSummary> {
        self.project().adaptation()
    }

    /// Ok when every class can be predicted (see [`Project::plan`]), else why not.
    pub fn ready(&self) -> Result<(), Error> {
        self.predictor().map(|_| ())
    }

    fn predictor(&self) -> Result<Predictor, Error> {
        let mut s = self.state.borrow_mut();
        if let Some(p) = &s.predictor {
            return Ok(p.clone());
        }
        let plan = s.project.plan()?;
        let detects = s.project.detects();
        if detects && plan.trained.is_empty() {
            return Err(Error::TooFewNormal { found: 0, needed: crate::learn::anomaly::MIN_CAPTURES });
        }
        let (uploaded, explainer, mut classes) = match plan.trained.as_slice() {
            [] => (None, None, Vec::new()),
            &[lone] if !detects => {
                let class = s.project.examples.class(lone)?;
                let features: Vec<f32> = class.examples.iter().flat_map(|e| e.feature.iter().copied()).collect();
                (None, Some(Rc::new(Explainer::prototype(&features, FEATURE_DIM))), vec![(lone, class.name.clone())])
            }
            _ => {
                let trained = s.project.trained.as_ref().ok_or(Error::NotTrained)?;
                let trained_detector = trained.head.weights.kind() == HeadKind::Anomaly;
                if trained_detector != detects {
                    return Err(Error::OtherMode { trained: mode(trained_detector), now: mode(detects) });
                }
                if s.project.head_state() == HeadState::Stale {
                    return Err(Error::StaleHead);
                }
                let uploaded = match &s.head {
                    Some(u) => u.clone(),
                    None => {
                        let device = self.backbone.device();
                        let top = match trained.fine_tuned.as_ref().and_then(|f| f.top.as_ref()) {
                            Some(weights) => {
                                let fused = self.backbone.compute().backend == Backend::Cpu;
                                Some(Rc::new(Top::load(self.backbone.model(), weights, device, fused)?))
                            }
                            None => None,
                        };
                        let head = Rc::new(DeviceHead::new(&trained.head, device));
                        let u = Uploaded { head, explainer: Rc::new(Explainer::of(&trained.head)), top };
                        s.head = Some(u.clone());
                        u
                    }
                };
                let explainer = uploaded.explainer.clone();
                (Some(uploaded), Some(explainer), trained_classes(&s.project)?)
            }
        };
        let covers: Vec<Vec<usize>> = plan.zero_shot.iter().map(|(_, sense)| sense.classes.clone()).collect();
        for (id, _) in &plan.zero_shot {
            classes.push((*id, s.project.examples.class(*id)?.name.clone()));
        }
        let (head, top, shift) = match uploaded {
            Some(u) => {
                let shift = s.project.feature_shift().map(|v| Tensor::<1>::from_floats(v.as_slice(), self.backbone.device()).reshape([1, FEATURE_DIM, 1, 1]));
                (Some(u.head), u.top, shift)
            }
            None => (None, None, None),
        };
        let predictor = Predictor {
            head,
            top,
            explainer,
            shift,
            zero_shot: ZeroShot::new(&covers),
            classes,
            threshold: s.project.settings.threshold,
            false_alarm_rate: s.project.settings.false_alarm_rate,
        };
        s.predictor = Some(predictor.clone());
        Ok(predictor)
    }

    /// The classes predictions are about `(id, name)`, in their order: the trained head's, then
    /// the zero-shot ones.
    pub fn head_classes(&self) -> Result<Vec<(ClassId, String)>, Error> {
        Ok(self.predictor()?.classes)
    }

    /// Scores predictions against the true classes (`(index into head_classes, prediction)`).
    pub fn evaluate(&self, labelled: &[(usize, Prediction)]) -> Result<Evaluation, Error> {
        let ids: Vec<ClassId> = self.head_classes()?.into_iter().map(|(id, _)| id).collect();
        let truth: Vec<usize> = labelled.iter().map(|(label, _)| *label).collect();
        let predicted: Vec<usize> = labelled.iter().map(|(_, p)| p.top_index()).collect();
        let examples: Vec<ExampleId> = (1..=labelled.len() as u32).collect();
        Ok(evaluate(&ids, &truth, &predicted, &examples))
    }

    /// Scores a detector's predictions of frames known to be normal or anomalous (`(is an
    /// anomaly, prediction)`).
    pub fn evaluate_anomalies(&self, labelled: &[(bool, Prediction)]) -> Result<AnomalyEvaluation, Error> {
        let scores = labelled
            .iter()
            .map(|(anomaly, p)| p.anomaly.map(|s| (*anomaly, s)).ok_or(Error::OtherMode { trained: mode(false), now: mode(true) }))
            .collect::<Result<Vec<_>, _>>()?;
        anomaly::evaluate(&scores)
    }

    // Files.

    /// The whole project as a `.glimpse` file.
    pub fn save(&self) -> Vec<u8> {
        self.project().save()
    }

    /// Classes and trained head only, for classifying elsewhere.
    pub fn export_model(&self) -> Result<Vec<u8>, Error> {
        self.project().export_model()
    }

    /// The project as the page stores it: a skeleton, and a record per example written once
    /// (see `project::stored`).
    pub fn save_skeleton(&self) -> Vec<u8> {
        self.project().save_skeleton()
    }

    pub fn example_ids(&self) -> Vec<ExampleId> {
        self.project().examples.classes().iter().flat_map(|c| c.examples.iter().map(|e| e.id)).collect()
    }

    pub fn save_example(&self, id: ExampleId) -> Result<Vec<u8>, Error> {
        self.project().record_bytes(id)
    }

    /// Replaces the project with the one stored as `skeleton` and `records`. On error nothing
    /// changes.
    pub fn open_stored(&self, skeleton: &[u8], records: &[impl AsRef<[u8]>]) -> Result<(), Error> {
        self.idle(Error::Busy("wait for training to finish (or cancel it) before opening a project"))?;
        let project = Project::open_stored(skeleton, records)?;
        self.replace(project);
        Ok(())
    }

    /// Opens a project (replaces this one) or a model-only file (keeps the examples of classes
    /// with the same names; see [`Project::open`]). On error nothing changes.
    pub fn open(&self, bytes: &[u8]) -> Result<Kind, Error> {
        self.idle(Error::Busy("wait for training to finish (or cancel it) before opening a file"))?;
        let (kind, project) = self.project().open(bytes)?;
        self.replace(project);
        Ok(kind)
    }

    fn replace(&self, project: Project) {
        let mut s = self.state.borrow_mut();
        s.project = project;
        s.head = None;
        s.predictor = None;
        s.deleted = None;
    }
}

/// What a head was trained for, in words for an error.
fn mode(detector: bool) -> &'static str {
    if detector { "to detect anomalies" } else { "to tell classes apart" }
}

fn trained_classes(project: &Project) -> Result<Vec<(ClassId, String)>, Error> {
    let trained = project.trained.as_ref().ok_or(Error::NotTrained)?;
    trained.head.classes.iter().map(|&id| Ok((id, project.examples.class(id)?.name.clone()))).collect()
}

/// The features and thumbnails of a frame and of its augmented views, in one batch, with what
/// the frozen layers computed at the boundary fine-tuning `fine_tune` layers needs. That is kept
/// also while fine-tuning is off (its boundary is then depth 1's, which serves depths 1–5), so
/// that turning it on later works with every example captured before.
async fn extract(backbone: &Backbone, frame: Frame<'_>, augment: &Augment, fine_tune: u32, rng: &mut Rng) -> Result<Vec<Captured>, Error> {
    let extra = views(frame, augment, rng);
    let frames: Vec<Frame<'_>> = std::iter::once(frame).chain(extra.iter().map(|v| v.frame())).collect();
    let block = top::cached_block(fine_tune.max(1));
    let trunk = backbone.trunk(&frames, block)?;
    let features = read_floats(backbone.model().features_from(trunk.clone(), block)).await?;
    let trunk = read_floats(trunk).await?;
    let size = trunk.len() / frames.len();
    Ok(frames
        .iter()
        .zip(features.chunks(FEATURE_DIM))
        .zip(trunk.chunks(size))
        .map(|((f, feature), activation)| Captured {
            feature: feature.to_vec(),
            thumbnail: Thumbnail::of(*f),
            activation: Some(Activation::of(block, activation)),
        })
        .collect())
}

/// The caller's progress, stopped when the session is asked to cancel.
struct Cancellable<'a, P> {
    inner: &'a mut P,
    cancel: &'a Cell<bool>,
}

impl<P: Progress> Progress for Cancellable<'_, P> {
    fn epoch(&mut self, stats: &EpochStats) -> ControlFlow<()> {
        let flow = self.inner.epoch(stats);
        if self.cancel.get() { ControlFlow::Break(()) } else { flow }
    }

    fn fine_tuning(&mut self, layers: &str) {
        self.inner.fine_tuning(layers)
    }

    fn stage(&mut self, what: &str) {
        self.inner.stage(what)
    }

    fn cancelled(&mut self) -> ControlFlow<()> {
        if self.cancel.get() { ControlFlow::Break(()) } else { self.inner.cancelled() }
    }

    async fn pause(&mut self) {
        self.inner.pause().await
    }
}
