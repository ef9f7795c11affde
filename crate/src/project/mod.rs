//! A project: what a user made (classes, examples, settings, the trained head and its
//! evaluation) and the rules that keep it consistent. `file` is how it is written to disk, the
//! same in the browser and the CLI.

mod file;
mod older;
mod stored;

#[cfg(all(test, not(target_family = "wasm")))]
pub use file::ProjectError;
pub use file::{FORMAT_VERSION, HEADER_LEN, Kind, MAGIC, check_header, network_of};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::backbone::concepts::{Meaning, Sense, meaning};
use crate::backbone::{FEATURE_DIM, Network};
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::store::{Activation, Captured, Class, ClassId, Example, ExampleId, Examples};
use crate::learn::heads::stored::HeadWeights;
use crate::learn::predict::{Sources, TrainedSource};
use crate::learn::recipe::Lessons;
use crate::learn::settings::{Settings, Task};
use crate::learn::tasks::adapt::{Adaptation, AdaptationSummary};
use crate::learn::tasks::anomaly;
use crate::learn::tasks::counting::cells::{Frames, map_shape};
use crate::learn::tasks::counting::{Point, Scene};
use crate::learn::tasks::grouping;
use crate::learn::tasks::negative_transfer::{Baselines, intermediate_dataset, pixel_dataset};
use crate::learn::trained::Trained;
use crate::learn::vectors::mean;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub examples: Examples,
    pub settings: Settings,
    pub trained: Option<Trained>,
    /// The sense a user picked for a class's name (a WordNet offset, see `concepts`); classes
    /// not here take their name's most common sense. Since format 2.
    pub senses: BTreeMap<ClassId, u32>,
    /// What the frozen layers computed for each example at capture (see `learn::fine_tune`);
    /// examples from older files have none. Entries of deleted examples are dropped when the file
    /// is written. Since format 3.
    pub activations: BTreeMap<ExampleId, Activation>,
    /// The new domain (camera, light) predictions are adapted to, if the user adapted. Since
    /// format 4.
    pub adaptation: Option<Adaptation>,
    /// What each frame captured for counting keeps (see `tasks::counting`). Since format 7.
    pub scenes: BTreeMap<ExampleId, Scene>,
    /// The objects' centres placed on each such frame (none: all background). Since format 7.
    pub points: BTreeMap<ExampleId, Vec<Point>>,
}

/// How a project predicts: which classes the trained head answers for, and which are zero-shot.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Classes with examples or that the head learned, in display order.
    pub trained: Vec<ClassId>,
    /// Classes without examples, with the sense of their name that predicts them.
    pub zero_shot: Vec<(ClassId, Sense)>,
}

/// Groups proposed for a class's captures (see [`Project::group`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// Each group's example ids (every view of its captures), the largest group first.
    pub groups: Vec<Vec<ExampleId>>,
    /// `(k, mean silhouette)` of every number of groups tried; the proposal has the best.
    pub silhouettes: Vec<(usize, f32)>,
}

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

/// How many classes a new project starts with, so that a first-time user sees what to fill in.
const STARTER_CLASSES: usize = 2;

impl Project {
    /// A new project with two empty classes named "Class 1" and "Class 2".
    pub fn starter() -> Self {
        let mut project = Self::default();
        for _ in 0..STARTER_CLASSES {
            let name = project.examples.unused_name();
            project.examples.add_class(&name).expect("an unused name is a valid name");
        }
        project
    }

    pub fn set_settings(&mut self, settings: Settings) -> Result<(), Error> {
        settings.check()?;
        self.settings = settings;
        Ok(())
    }

    /// What the project is set to learn.
    pub fn task(&self) -> Task {
        self.settings.task
    }

    /// Whether the head fits the trained classes (see [`Project::plan`]).
    pub fn head_state(&self) -> HeadState {
        match &self.trained {
            None => HeadState::None,
            Some(t) => {
                let mut now: Vec<ClassId> = self.trained_classes().iter().map(|c| c.id).collect();
                let mut then = t.head().classes.clone();
                now.sort_unstable();
                then.sort_unstable();
                if now == then { HeadState::Current } else { HeadState::Stale }
            }
        }
    }

    fn with_examples(&self) -> Vec<&Class> {
        self.examples.classes().iter().filter(|c| !c.examples.is_empty()).collect()
    }

    /// Classes with examples, and those the head learned (a model-only file has no examples).
    fn trained_classes(&self) -> Vec<&Class> {
        // A counter counts every class, those without frames of their own too.
        if self.task() == Task::Count {
            return self.examples.classes().iter().collect();
        }
        let known = |id| self.trained.as_ref().is_some_and(|t| t.head().classes.contains(&id));
        self.examples.classes().iter().filter(|c| !c.examples.is_empty() || known(c.id)).collect()
    }

    /// What a class's name covers, in the sense chosen for it.
    pub fn meaning(&self, class: ClassId) -> Result<(Meaning, Sense), Error> {
        let class = self.examples.class(class)?;
        let meaning = meaning(&class.name)?;
        let sense = meaning.sense(self.senses.get(&class.id).copied()).clone();
        Ok((meaning, sense))
    }

    /// Which classes the head predicts (those with examples or that it learned) and which are
    /// zero-shot (the rest); fails when one of the rest has no name that covers ImageNet classes.
    pub fn plan(&self) -> Result<Plan, Error> {
        let classes = self.examples.classes();
        if classes.is_empty() {
            return Err(Error::NoClasses);
        }
        let trained: Vec<ClassId> = self.trained_classes().iter().map(|c| c.id).collect();
        // A detector learns what is normal: the other classes, empty, play no part; a counter
        // counts every class by the points placed for it, not by its name.
        if self.task() != Task::Classify {
            return Ok(Plan { trained, zero_shot: Vec::new() });
        }
        let mut zero_shot = Vec::new();
        for class in classes.iter().filter(|c| !trained.contains(&c.id)) {
            let (_, sense) = self.meaning(class.id).map_err(|_| Error::EmptyClass(class.name.clone()))?;
            zero_shot.push((class.id, sense));
        }
        Ok(Plan { trained, zero_shot })
    }

    /// The examples of the classes that have some; the others must be zero-shot.
    pub fn dataset(&self, network: &Network) -> Result<Dataset, Error> {
        if self.task() == Task::SpotAnomalies {
            return match self.with_examples().as_slice() {
                [normal] => Dataset::normal(normal),
                [] => Err(Error::TooFewNormal { found: 0, needed: anomaly::MIN_CAPTURES }),
                more => Err(Error::NotOneNormalClass(more.len())),
            };
        }
        if let Some(empty) = self.examples.classes().iter().find(|c| c.examples.is_empty() && meaning(&c.name).is_err()) {
            return Err(Error::EmptyClass(empty.name.clone()));
        }
        let trained = self.with_examples();
        if trained.len() < 2 {
            return Err(Error::NotEnoughClasses(trained.len()));
        }
        let data = Dataset::of(&trained)?;
        match self.settings.fine_tune {
            0 => Ok(data),
            depth => data.with_activations(network, depth, |id| self.activations.get(&id).cloned()),
        }
    }

    /// `data` (from [`Project::dataset`]) as the transfer check's baselines see it: its examples'
    /// thumbnails' pixels, and their intermediate layer's activations (see `learn::transfer`).
    /// `None` where the check does not run: for a detector, and without held-out examples.
    pub fn baselines(&self, data: &Dataset, network: &Network) -> Option<Baselines> {
        if self.task() != Task::Classify || self.settings.validation_fraction == 0.0 {
            return None;
        }
        Some(Baselines {
            pixels: pixel_dataset(data, &self.with_examples()),
            intermediate: intermediate_dataset(network, data, |id| self.activations.get(&id).cloned()),
        })
    }

    /// Stores the views of one capture in a class, with their activations when they have them.
    pub fn add(&mut self, class: ClassId, mut views: Vec<Captured>, scene: Option<Scene>) -> Result<Vec<ExampleId>, Error> {
        let activations: Vec<Option<Activation>> = views.iter_mut().map(|v| v.activation.take()).collect();
        let ids = self.examples.add(class, views)?;
        for (id, activation) in ids.iter().zip(activations) {
            if let Some(a) = activation {
                self.activations.insert(*id, a);
            }
        }
        if let (Some(scene), Some(&first)) = (scene, ids.first()) {
            self.scenes.insert(first, scene);
        }
        Ok(ids)
    }

    /// Proposes groups of the captures in `class` (see `learn::cluster`), `groups` of them or as
    /// many as separate best: each group's example ids, the largest group first, with every k
    /// tried and its silhouette.
    pub fn group(&self, class: ClassId, groups: Option<usize>) -> Result<Proposal, Error> {
        let captures = by_capture(&self.examples.class(class)?.examples);
        // A capture is one point: the mean of its views' features.
        let dim = FEATURE_DIM;
        let means: Vec<f32> = captures.iter().flat_map(|views| mean(&views.iter().flat_map(|e| e.feature.iter().copied()).collect::<Vec<_>>(), dim)).collect();
        let grouping = grouping::group(&means, dim, groups, self.settings.seed as u64)?;
        let mut groups = vec![Vec::new(); grouping.k];
        for (views, &g) in captures.iter().zip(&grouping.groups) {
            groups[g].extend(views.iter().map(|e| e.id));
        }
        groups.retain(|g| !g.is_empty());
        Ok(Proposal { groups, silhouettes: grouping.silhouettes })
    }

    /// Sorts examples of `from` into classes by name, made where no class has the name; `from`
    /// goes when nothing is left in it. Nothing changes on error.
    pub fn sort_into(&mut self, from: ClassId, groups: &[(String, Vec<ExampleId>)]) -> Result<Vec<ClassId>, Error> {
        let mut examples = self.examples.clone();
        let source = examples.class(from)?.name.clone();
        let mut ids = Vec::new();
        for (name, members) in groups {
            let name = name.trim();
            let to = match examples.classes().iter().find(|c| c.name == name) {
                Some(c) => c.id,
                None => examples.add_class(name)?,
            };
            for &id in members {
                if !examples.class(from)?.examples.iter().any(|e| e.id == id) {
                    return Err(Error::Inconsistent(format!("example {id} is not in {source:?}")));
                }
                examples.move_example(id, to)?;
            }
            ids.push(to);
        }
        if examples.class(from)?.examples.is_empty() && !ids.contains(&from) {
            examples.delete_class(from)?;
        }
        self.examples = examples;
        Ok(ids)
    }

    /// Picks the sense of a class's name that predicts it while it has no examples.
    pub fn set_sense(&mut self, class: ClassId, sense: u32) -> Result<(), Error> {
        let (meaning, _) = self.meaning(class)?;
        if !meaning.senses.iter().any(|s| s.id == sense) {
            return Err(Error::ClassName(format!("“{}” has no sense {sense}", meaning.name)));
        }
        self.senses.insert(class, sense);
        Ok(())
    }

    /// The fine-tuned layers (0: none) the trained head reads through.
    fn head_layers(&self) -> u32 {
        self.trained.as_ref().and_then(|t| t.fine_tuned.as_ref()).filter(|f| f.top.is_some()).map_or(0, |f| f.depth)
    }

    /// Adapts predictions to the domain `features` (the head's features of its frames, see
    /// `Session::features`) come from; replaces an earlier adaptation.
    pub fn adapt(&mut self, features: &[f32], made: f64) -> Result<AdaptationSummary, Error> {
        let trained = self.trained.as_ref().ok_or(Error::NotTrained)?;
        trained.feature_mean.as_ref().ok_or(Error::NotAdaptable)?;
        let adaptation = Adaptation::of(features, made, self.head_layers())?;
        let summary = adaptation.summary(self.head_layers());
        self.adaptation = Some(adaptation);
        Ok(summary)
    }

    pub fn adaptation(&self) -> Option<AdaptationSummary> {
        self.adaptation.as_ref().map(|a| a.summary(self.head_layers()))
    }

    /// What to add to every feature before the head reads it: minus the head's centre, plus the
    /// adaptation when one applies to the trained head; `None` when neither is there.
    pub fn feature_shift(&self) -> Option<Vec<f32>> {
        let trained = self.trained.as_ref()?;
        let adaptation = self.adaptation.as_ref().filter(|a| a.layers == self.head_layers());
        let adapted = trained.feature_mean.as_deref().zip(adaptation).map(|(mean, a)| a.shift_towards(mean));
        if adapted.is_none() && trained.centre.is_none() {
            return None;
        }
        let mut shift = adapted.unwrap_or_else(|| vec![0.0; FEATURE_DIM]);
        for (s, c) in shift.iter_mut().zip(trained.centre.iter().flatten()) {
            *s -= c;
        }
        Some(shift)
    }

    /// Where predictions come from, or why the project cannot predict yet: a class that is
    /// neither trained nor named after a thing, no normal examples for a detector, a head
    /// trained for another task or on other classes.
    pub fn sources(&self) -> Result<Sources<'_>, Error> {
        let plan = self.plan()?;
        let name = |id| self.examples.class(id).map(|c| c.name.clone());
        let trained = match (plan.trained.as_slice(), self.task()) {
            ([], Task::SpotAnomalies) => return Err(Error::TooFewNormal { found: 0, needed: anomaly::MIN_CAPTURES }),
            ([], Task::Classify) => TrainedSource::Nothing,
            (_, Task::Count) => {
                let trained = self.trained.as_ref().ok_or(Error::NotTrained)?;
                let HeadWeights::Cells(cells) = &trained.head().weights else {
                    return Err(Error::OtherTask { trained: trained.head().weights.task().describe(), now: Task::Count.describe() });
                };
                if self.head_state() == HeadState::Stale {
                    return Err(Error::StaleHead);
                }
                let classes = trained.head().classes.iter().map(|&id| Ok((id, name(id)?))).collect::<Result<_, Error>>()?;
                return Ok(Sources {
                    trained: TrainedSource::Cells { cells, classes },
                    zero_shot: Vec::new(),
                    threshold: self.settings.threshold,
                    false_alarm_rate: self.settings.false_alarm_rate,
                });
            }
            (&[lone], Task::Classify) => {
                let class = self.examples.class(lone)?;
                let features = class.examples.iter().flat_map(|e| e.feature.iter().copied()).collect();
                TrainedSource::Lone { id: lone, name: class.name.clone(), features }
            }
            (_, task) => {
                let trained = self.trained.as_ref().ok_or(Error::NotTrained)?;
                let was = trained.head().weights.task();
                if was != task {
                    return Err(Error::OtherTask { trained: was.describe(), now: task.describe() });
                }
                if self.head_state() == HeadState::Stale {
                    return Err(Error::StaleHead);
                }
                let classes = trained.head().classes.iter().map(|&id| Ok((id, name(id)?))).collect::<Result<_, Error>>()?;
                TrainedSource::Head { trained, classes, shift: self.feature_shift() }
            }
        };
        let zero_shot = plan.zero_shot.into_iter().map(|(id, sense)| Ok((id, name(id)?, sense.classes))).collect::<Result<_, Error>>()?;
        Ok(Sources { trained, zero_shot, threshold: self.settings.threshold, false_alarm_rate: self.settings.false_alarm_rate })
    }

    /// What training on the project as it is learns from, for its task.
    pub fn lessons(&self, network: &Network) -> Result<Lessons, Error> {
        if self.task() == Task::Count {
            let (frames, classes) = self.count_frames(network)?;
            return Ok(Lessons::Scenes { frames, classes });
        }
        let data = self.dataset(network)?;
        let baselines = self.baselines(&data, network);
        Ok(Lessons::Examples { data, baselines })
    }

    /// The frames captured for counting, with their points, and the classes they count (every
    /// class, in display order). Refuses a project with no point placed yet.
    pub fn count_frames(&self, network: &Network) -> Result<(Frames, Vec<ClassId>), Error> {
        let classes: Vec<ClassId> = self.examples.classes().iter().map(|c| c.id).collect();
        if classes.is_empty() {
            return Err(Error::NoClasses);
        }
        let mut frames = Frames { shape: map_shape(network), maps: Vec::new(), points: Vec::new(), ids: Vec::new(), captures: Vec::new() };
        for e in self.examples.classes().iter().flat_map(|c| &c.examples) {
            if let Some(scene) = self.scenes.get(&e.id) {
                frames.maps.extend(scene.map.floats());
                frames.points.push(self.points.get(&e.id).cloned().unwrap_or_default());
                frames.ids.push(e.id);
                frames.captures.push(e.capture);
            }
        }
        if frames.points.iter().all(Vec::is_empty) {
            return Err(Error::NoPoints(frames.ids.len()));
        }
        Ok((frames, classes))
    }

    /// Places the objects' centres on a frame captured for counting (replacing those it had).
    pub fn set_points(&mut self, id: ExampleId, points: Vec<Point>) -> Result<(), Error> {
        self.examples.example(id)?;
        if !self.scenes.contains_key(&id) {
            return Err(Error::NotAScene(id));
        }
        for p in &points {
            p.check()?;
            self.examples.class(p.class)?;
        }
        self.points.insert(id, points);
        Ok(())
    }

    /// Keeps a finished training, unless its classes were deleted while it ran.
    pub fn set_trained(&mut self, trained: Trained) -> Result<(), Error> {
        for &id in &trained.head().classes {
            self.examples.class(id).map_err(|_| Error::StaleHead)?;
        }
        self.trained = Some(trained);
        Ok(())
    }

    /// Classes, settings and head without examples: a few KB to classify with elsewhere.
    pub fn export_model(&self, network: &Network) -> Result<Vec<u8>, Error> {
        if self.trained.is_none() {
            return Err(Error::NotTrained);
        }
        Ok(self.model_bytes(network))
    }

    /// Reads a project or model file. A whole project comes back as it is. A model-only file
    /// gets the examples this project has for the classes it names (matched by name), so that a
    /// model exported earlier can be re-imported and trained further.
    pub fn open(&self, bytes: &[u8], network: &Network) -> Result<(Kind, Project), Error> {
        let (kind, mut opened) = Project::from_bytes(bytes, network)?;
        if kind == Kind::ModelOnly {
            let mut merged = opened.examples.clone();
            // This project's class ids as the opened file numbers the same names.
            let renumbered: BTreeMap<ClassId, ClassId> = self
                .examples
                .classes()
                .iter()
                .filter_map(|old| opened.examples.classes().iter().find(|c| c.name == old.name).map(|c| (old.id, c.id)))
                .collect();
            for class in opened.examples.classes() {
                if let Some(old) = self.examples.classes().iter().find(|c| c.name == class.name) {
                    for (views, first) in group_by_capture(&old.examples, &self.activations).into_iter().zip(by_capture(&old.examples).iter().map(|v| v[0].id))
                    {
                        let activations: Vec<Option<Activation>> = views.iter().map(|v| v.activation.clone()).collect();
                        let ids = merged.add(class.id, views)?;
                        if let Some(scene) = self.scenes.get(&first) {
                            opened.scenes.insert(ids[0], scene.clone());
                            let points = self.points.get(&first).into_iter().flatten();
                            let points = points.filter_map(|p| Some(Point { class: *renumbered.get(&p.class)?, ..*p })).collect();
                            opened.points.insert(ids[0], points);
                        }
                        opened.activations.extend(ids.into_iter().zip(activations).filter_map(|(id, a)| Some((id, a?))));
                    }
                }
            }
            opened.examples = merged;
        }
        Ok((kind, opened))
    }

    /// Drops what belongs to examples that are gone (entries are kept while an undo may bring
    /// them back, and dropped when the project is written).
    pub fn forget_deleted(&mut self) {
        let examples = &self.examples;
        self.activations.retain(|id, _| examples.example(*id).is_ok());
        self.scenes.retain(|id, _| examples.example(*id).is_ok());
        self.points.retain(|id, _| examples.example(*id).is_ok());
    }

    /// What a decoder cannot check: ids, shapes, and a head that fits the classes.
    pub fn validate(&self, network: &Network) -> Result<(), Error> {
        self.examples.validate()?;
        self.settings.check()?;
        for (id, activation) in &self.activations {
            self.examples.example(*id)?;
            activation.check(network)?;
        }
        if let Some(adaptation) = &self.adaptation {
            adaptation.check()?;
        }
        for (id, scene) in &self.scenes {
            self.examples.example(*id)?;
            scene.check(network)?;
        }
        for (id, points) in &self.points {
            if !self.scenes.contains_key(id) {
                return Err(Error::Inconsistent(format!("example {id} has points but was not captured for counting")));
            }
            for p in points {
                p.check().map_err(|e| Error::Inconsistent(e.to_string()))?;
                self.examples.class(p.class).map_err(|_| Error::Inconsistent(format!("a point of example {id} is of a class that is gone")))?;
            }
        }
        if let Some(trained) = &self.trained {
            let head = trained.head();
            head.validate()?;
            if trained.feature_mean.as_ref().is_some_and(|m| m.len() != head.dim as usize || m.iter().any(|v| !v.is_finite())) {
                return Err(Error::Inconsistent("the trained features' mean does not fit the head".into()));
            }
            if trained.centre.as_ref().is_some_and(|c| c.len() != head.dim as usize || c.iter().any(|v| !v.is_finite())) {
                return Err(Error::Inconsistent("the centre of the head's features does not fit the head".into()));
            }
            if trained.transfer.is_some_and(|t| ![Some(t.features), Some(t.pixels), t.intermediate].iter().flatten().all(|a| (0.0..=1.0).contains(a))) {
                return Err(Error::Inconsistent("the transfer check holds accuracies outside 0–1".into()));
            }
            if let Some(top) = trained.fine_tuned.as_ref().and_then(|f| f.top.as_ref()) {
                top.check(network)?;
            }
            // A counter reads the map at the cut, every other head the pooled features.
            let [channels, side, _] = map_shape(network);
            let dim = if head.weights.task() == Task::Count { channels } else { FEATURE_DIM };
            if let HeadWeights::Cells(cells) = &head.weights {
                if cells.side as usize != side {
                    return Err(Error::Inconsistent(format!("the counter reads a {0}×{0} grid, the backbone gives {side}×{side}", cells.side)));
                }
            }
            if head.dim as usize != dim {
                return Err(Error::Inconsistent(format!("the head reads {} features, the backbone gives {dim}", head.dim)));
            }
            if let Some(c) = &trained.counted {
                if c.classes.iter().map(|f| f.class).ne(head.classes.iter().copied())
                    || ![c.f1, c.precision, c.recall, c.exact_counts].iter().all(|v| (0.0..=1.0).contains(v))
                {
                    return Err(Error::Inconsistent("the counter's evaluation does not fit it".into()));
                }
            }
            if let Some(e) = &trained.fitted.evaluation {
                if e.confusion.len() != head.classes.len() {
                    return Err(Error::Inconsistent("the evaluation does not fit the head".into()));
                }
            }
        }
        Ok(())
    }
}

/// The examples as the captures they came from (the original first, then its views).
fn by_capture(examples: &[Example]) -> Vec<Vec<&Example>> {
    let mut groups: Vec<(u32, Vec<&Example>)> = Vec::new();
    for e in examples {
        match groups.iter_mut().find(|(c, _)| *c == e.capture) {
            Some((_, views)) => views.push(e),
            None => groups.push((e.capture, vec![e])),
        }
    }
    groups.into_iter().map(|(_, views)| views).collect()
}

/// [`by_capture`], each view with its activation, as a capture adds them.
fn group_by_capture(examples: &[Example], activations: &BTreeMap<ExampleId, Activation>) -> Vec<Vec<Captured>> {
    by_capture(examples)
        .into_iter()
        .map(|views| {
            views
                .into_iter()
                .map(|e| Captured { feature: e.feature.clone(), thumbnail: e.thumbnail.clone(), activation: activations.get(&e.id).cloned() })
                .collect()
        })
        .collect()
}
