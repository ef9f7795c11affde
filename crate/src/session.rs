//! The product API: one project open on one backbone, and every action a user takes on it as
//! one method. The page's JS API and the CLI are thin wrappers over this type.
//!
//! Slow work (feature extraction, training, prediction) runs on snapshots taken at its start,
//! so the project can keep changing while it runs (a user captures during training), and a
//! failure leaves the project untouched. Methods take `&self`; no borrow is held across an await.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use serde::Serialize;

use crate::backbone::concepts::{Meaning, Sense, meaning};
use crate::backbone::top;
use crate::backbone::{Backbone, FEATURE_DIM, Network};
use crate::clock::now_ms;
use crate::device::read_floats;
use crate::export::Exported;
use crate::learn::examples::augment::{Augment, views};
use crate::learn::examples::store::{Activation, Captured, Class, ClassId, ExampleId, Examples, Thumbnail};
use crate::learn::heads::fine_tune::probe;
use crate::learn::metrics::{Evaluation, evaluate};
use crate::learn::predict::{Explained, Prediction, Predictor, UploadedHead};
use crate::learn::progress::{Interrupter, Progress, Run};
use crate::learn::recipe;
use crate::learn::rng::Rng;
use crate::learn::settings::{Settings, Task};
use crate::learn::tasks::adapt::AdaptationSummary;
use crate::learn::tasks::anomaly::{self, AnomalyEvaluation};
use crate::learn::tasks::counting::grid::Found;
use crate::learn::tasks::counting::score::{self, CountEvaluation};
use crate::learn::tasks::counting::{Picture, Point, Scene};
use crate::learn::trained::TrainingSummary;
use crate::project::{HEADER_LEN, HeadState, Kind, MAGIC, Project, Proposal, check_header};
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
    /// What the class card says under its name (empty once it has examples).
    pub hint: Hint,
    /// Its frames captured for counting, each with the number of objects marked on it (of any
    /// class).
    pub frames: Vec<(ExampleId, usize)>,
}

/// A line for the person, and whether it warns: something they did needs fixing (a first
/// screen invites rather than warns).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hint {
    pub text: String,
    pub warning: bool,
}

impl Hint {
    fn invite(text: impl Into<String>) -> Self {
        Self { text: text.into(), warning: false }
    }

    fn warn(text: impl Into<String>) -> Self {
        Self { text: text.into(), warning: true }
    }
}

/// Whether the project can predict live, and what to do when it cannot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// Empty when ready.
    pub hint: Hint,
    /// Whether there is anything to train (two classes with examples, or normal examples for a
    /// detector): a project of named classes only needs no training.
    pub trainable: bool,
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

#[derive(Debug, Default)]
struct State {
    project: Project,
    /// The trained head uploaded to the device and prepared for heat maps, made on the first
    /// prediction after training.
    head: Option<UploadedHead>,
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
    interrupter: Interrupter,
}

impl Session {
    /// Frames of a new camera or scene needed to adapt to it.
    pub const MIN_ADAPT_FRAMES: usize = crate::learn::tasks::adapt::MIN_FRAMES;
    /// Captures of normal things an anomaly detector needs.
    pub const MIN_NORMAL_CAPTURES: usize = anomaly::MIN_CAPTURES;

    /// An empty project (no classes) on `backbone`.
    pub fn new(backbone: Rc<Backbone>) -> Self {
        Self { backbone, state: RefCell::default(), training: Cell::new(false), interrupter: Interrupter::default() }
    }

    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    /// The network the project's features come from.
    pub fn network(&self) -> &'static Network {
        self.backbone.network()
    }

    /// This project on another backbone: its classes and settings, without its trained head.
    /// Refused while it has examples: their features came from this network, and its pictures
    /// are kept only as thumbnails, too small to read again.
    pub fn moved_to(&self, backbone: Rc<Backbone>) -> Result<Session, Error> {
        self.idle(Error::Busy("Cancel the training first."))?;
        let project = self.project();
        if project.examples.classes().iter().any(|c| !c.examples.is_empty()) {
            return Err(Error::NetworkHasExamples(self.network().title));
        }
        let moved = Session::new(backbone);
        moved.replace(Project { trained: None, adaptation: None, ..project.clone() });
        Ok(moved)
    }

    /// The project as it is now. Do not hold it across an await.
    pub(crate) fn project(&self) -> Ref<'_, Project> {
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
                // A counter learns a class from the marks placed for it, not from its name.
                let counting = project.settings.task == Task::Count;
                let (senses, sense) = match project.meaning(c.id) {
                    Ok((meaning, sense)) if !counting => (meaning.senses, Some(sense)),
                    _ => (Vec::new(), None),
                };
                let hint = match (&sense, c.examples.is_empty()) {
                    _ if counting => Hint::invite(""),
                    (_, false) => Hint::invite(""),
                    (Some(sense), true) => Hint::invite(format!("No examples yet: predicted from its name, which covers {}.", sense.covers)),
                    (None, true) if Examples::is_unnamed(&c.name) => Hint::invite("Capture a few examples, or give it a name such as “bird”."),
                    (None, true) => {
                        Hint::warn("No examples yet, and no ImageNet class matches this name: capture examples, or name it after a thing (e.g. “bird”, “cup”).")
                    }
                };
                let examples = c.examples.iter().map(|e| e.id).collect();
                let frames =
                    c.examples.iter().filter(|e| project.scenes.contains_key(&e.id)).map(|e| (e.id, project.points.get(&e.id).map_or(0, Vec::len))).collect();
                ClassSummary { id: c.id, name: c.name.clone(), examples, senses, sense: sense.map(|s| s.id), hint, frames }
            })
            .collect()
    }

    /// What a name would cover as a class name: for showing it as it is typed. Needs no
    /// backbone: the names' table is built in.
    pub fn meaning(name: &str) -> Result<Meaning, Error> {
        meaning(name)
    }

    /// What `name` would cover as a class name, in a line shown as it is typed.
    pub fn name_preview(name: &str) -> Hint {
        match meaning(name) {
            Ok(m) => {
                let more = if m.senses.len() > 1 { format!(" ({} meanings: pick one after renaming)", m.senses.len()) } else { String::new() };
                Hint::invite(format!("“{}” covers {}{more}", name.trim(), m.senses[0].covers))
            }
            Err(e) => Hint::warn(e.to_string()),
        }
    }

    /// Whether `bytes` start like a project or model file (a guess for telling a project from an
    /// image on a command line; opening checks the rest).
    pub fn is_project_file(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// How many bytes of a file to read before checking it: its header.
    pub const FILE_HEADER_LEN: usize = HEADER_LEN;

    /// Checks a file's header (its first [`Session::FILE_HEADER_LEN`] bytes, or all it has)
    /// against its length, before the rest is read: a damaged, foreign or huge file is refused
    /// without reading it, with the same message as opening it would give.
    pub fn check_file(header: &[u8], length: u64) -> Result<(), Error> {
        check_header(header, length)?;
        Ok(())
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
        // A frame to count in keeps the whole frame's map instead of augmented views of its centre.
        let counting = settings.task == Task::Count;
        let augment = if counting { Augment::default() } else { settings.augment };
        let captured = extract(&self.backbone, frame, &augment, settings.fine_tune, &mut rng).await?;
        let scene = if counting { Some(Scene::of(&self.backbone, frame).await?) } else { None };
        // Fails if the class was deleted while the features were extracted.
        let ids = self.edit(|s| s.project.add(class, captured, scene))?;
        Ok(Added { ids, ms: now_ms() - start })
    }

    /// A frame captured for counting as the labelling view shows it: its picture.
    pub fn picture(&self, id: ExampleId) -> Result<Picture, Error> {
        let project = self.project();
        project.examples.example(id)?;
        project.scenes.get(&id).map(|s| s.picture.clone()).ok_or(Error::NotAScene(id))
    }

    /// The objects' centres placed on a frame captured for counting.
    pub fn points(&self, id: ExampleId) -> Result<Vec<Point>, Error> {
        let project = self.project();
        project.examples.example(id)?;
        if !project.scenes.contains_key(&id) {
            return Err(Error::NotAScene(id));
        }
        Ok(project.points.get(&id).cloned().unwrap_or_default())
    }

    /// Places the objects' centres on a frame captured for counting, replacing those it had.
    pub fn set_points(&self, id: ExampleId, points: Vec<Point>) -> Result<(), Error> {
        self.edit(|s| s.project.set_points(id, points))
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
        let project = self.project();
        project.trained.as_ref().map(|t| t.summary(self.network(), project.settings.false_alarm_rate))
    }

    /// The most epochs a training with the current settings reports (for a progress bar).
    pub fn max_epochs(&self) -> u32 {
        self.project().settings.max_epochs()
    }

    /// Trains what the settings ask for on every example, reporting each epoch to `progress`.
    /// [`Session::cancel_training`] stops it after the current step; the previous head stays.
    pub async fn train(&self, progress: &mut impl Progress) -> Result<TrainingSummary, Error> {
        if self.training.replace(true) {
            return Err(Error::Busy("training is already running"));
        }
        self.interrupter.reset();
        let result = self.run_training(progress).await;
        self.training.set(false);
        result
    }

    async fn run_training(&self, progress: &mut impl Progress) -> Result<TrainingSummary, Error> {
        let (lessons, settings) = {
            let project = self.project();
            (project.lessons(self.network())?, project.settings.clone())
        };
        let mut run = Run::new(progress, &self.interrupter);
        let trained = recipe::train(lessons, &settings, self.backbone.model(), self.backbone.device(), &mut run).await?;
        let summary = trained.summary(self.network(), settings.false_alarm_rate);
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
        self.interrupter.stop();
    }

    // Prediction.

    /// Classifies frames with the trained head, as one batch.
    pub async fn predict(&self, frames: &[Frame<'_>]) -> Result<Vec<Prediction>, Error> {
        let predictor = self.predictor()?;
        self.backbone.choosing_threads(frames.len(), predictor.predict(&self.backbone, frames)).await
    }

    /// Classifies frames and shows where each one's most probable class was seen.
    pub async fn explain(&self, frames: &[Frame<'_>]) -> Result<Vec<Explained>, Error> {
        let predictor = self.predictor()?;
        self.backbone.choosing_threads(frames.len(), predictor.explain(&self.backbone, frames)).await
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

    /// Why the project cannot predict yet (see [`Project::sources`]); `None` when it can.
    pub fn unready(&self) -> Option<Error> {
        self.predictor().err()
    }

    /// Whether the project can predict live, and otherwise what to do, in words: an invitation
    /// where nothing is wrong yet (a new project, a head to train), a warning otherwise.
    pub fn readiness(&self) -> Readiness {
        let trainable = self.project().lessons(self.network()).is_ok();
        let hint = match self.unready() {
            None => Hint::invite(""),
            Some(Error::EmptyClass(name)) if Examples::is_unnamed(&name) => {
                Hint::invite("Capture a few examples for each class (or name a class after a thing, such as “bird”) to see live predictions.")
            }
            Some(Error::NotTrained) => Hint::invite("Train to see live predictions."),
            Some(e @ Error::StaleHead) => Hint::invite(format!("Live predictions resume when you train again: {e}.")),
            Some(e) => Hint::warn(format!("Live predictions need every class ready: {e}.")),
        };
        Readiness { ready: hint.text.is_empty(), hint, trainable }
    }

    fn predictor(&self) -> Result<Predictor, Error> {
        let mut s = self.state.borrow_mut();
        if let Some(p) = &s.predictor {
            return Ok(p.clone());
        }
        let State { project, head, .. } = &mut *s;
        let predictor = Predictor::new(project.sources()?, &self.backbone, head)?;
        s.predictor = Some(predictor.clone());
        Ok(predictor)
    }

    /// The classes predictions are about `(id, name)`, in their order: the trained head's, then
    /// the zero-shot ones.
    pub fn head_classes(&self) -> Result<Vec<(ClassId, String)>, Error> {
        Ok(self.predictor()?.classes().to_vec())
    }

    /// Scores predictions against the true classes (`(index into head_classes, prediction)`).
    pub fn evaluate(&self, labelled: &[(usize, Prediction)]) -> Result<Evaluation, Error> {
        let ids: Vec<ClassId> = self.head_classes()?.into_iter().map(|(id, _)| id).collect();
        let truth: Vec<usize> = labelled.iter().map(|(label, _)| *label).collect();
        let predicted: Vec<usize> = labelled.iter().map(|(_, p)| p.top_index()).collect();
        let examples: Vec<ExampleId> = (1..=labelled.len() as u32).collect();
        Ok(evaluate(&ids, &truth, &predicted, &examples))
    }

    /// How well a counter's `predictions` find the objects at `truth`, frame by frame (see
    /// `tasks::counting::score`).
    pub fn evaluate_counts(&self, truth: &[Vec<Point>], predictions: &[Prediction]) -> Result<CountEvaluation, Error> {
        let classes: Vec<ClassId> = self.head_classes()?.into_iter().map(|(id, _)| id).collect();
        let found: Vec<Vec<Found>> =
            predictions.iter().map(|p| p.objects.iter().flatten().map(|o| Found { class: o.class, x: o.x, y: o.y, score: o.score }).collect()).collect();
        Ok(score::evaluate(&classes, truth, &found))
    }

    /// Scores a detector's predictions of frames known to be normal or anomalous (`(is an
    /// anomaly, prediction)`).
    pub fn evaluate_anomalies(&self, labelled: &[(bool, Prediction)]) -> Result<AnomalyEvaluation, Error> {
        let scores = labelled
            .iter()
            .map(|(anomaly, p)| {
                p.anomaly.map(|s| (*anomaly, s)).ok_or(Error::OtherTask { trained: Task::Classify.describe(), now: Task::SpotAnomalies.describe() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        anomaly::evaluate(&scores)
    }

    // Files.

    /// The whole project as a `.glimpse` file.
    pub fn save(&self) -> Vec<u8> {
        self.project().to_bytes(self.network())
    }

    /// Classes and trained head only, for classifying elsewhere.
    pub fn export_model(&self) -> Result<Vec<u8>, Error> {
        self.project().export_model(self.network())
    }

    /// The model as an ONNX file (see `export`): what `predict` does, for any ONNX engine.
    pub async fn export_onnx(&self) -> Result<Exported, Error> {
        let project = self.project().clone();
        crate::export::onnx(&project, &self.backbone).await
    }

    /// The project as the page stores it: a skeleton, and a record per example written once
    /// (see `project::stored`).
    pub fn save_skeleton(&self) -> Vec<u8> {
        self.project().skeleton_bytes(self.network())
    }

    pub fn example_ids(&self) -> Vec<ExampleId> {
        self.project().examples.classes().iter().flat_map(|c| c.examples.iter().map(|e| e.id)).collect()
    }

    /// One example's record as the page stores it beside the skeleton.
    pub fn example_record(&self, id: ExampleId) -> Result<Vec<u8>, Error> {
        self.project().record_bytes(id)
    }

    /// Replaces the project with the one stored as `skeleton` and `records`. On error nothing
    /// changes.
    pub fn open_stored(&self, skeleton: &[u8], records: &[impl AsRef<[u8]>]) -> Result<(), Error> {
        self.idle(Error::Busy("wait for training to finish (or cancel it) before opening a project"))?;
        let project = Project::from_stored(skeleton, records, self.network())?;
        self.replace(project);
        Ok(())
    }

    /// Opens a project (replaces this one) or a model-only file (keeps the examples of classes
    /// with the same names; see [`Project::open`]). On error nothing changes.
    pub fn open(&self, bytes: &[u8]) -> Result<Kind, Error> {
        self.idle(Error::Busy("wait for training to finish (or cancel it) before opening a file"))?;
        let (kind, project) = self.project().open(bytes, self.network())?;
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

/// The features and thumbnails of a frame and of its augmented views, in one batch, with what
/// the frozen layers computed at the boundary fine-tuning `fine_tune` layers needs. That is kept
/// also while fine-tuning is off (its boundary is then depth 1's, which serves depths 1–5), so
/// that turning it on later works with every example captured before.
async fn extract(backbone: &Backbone, frame: Frame<'_>, augment: &Augment, fine_tune: u32, rng: &mut Rng) -> Result<Vec<Captured>, Error> {
    let extra = views(frame, augment, rng);
    let frames: Vec<Frame<'_>> = std::iter::once(frame).chain(extra.iter().map(|v| v.frame())).collect();
    let block = top::cached_block(backbone.network(), fine_tune.max(1));
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
