//! Turning features into a prediction a person reads: class names, probabilities, "unknown".

use std::rc::Rc;

use serde::Serialize;

use burn::prelude::Tensor;

use crate::backbone::top::Top;
use crate::backbone::{Backbone, EfficientNet, FEATURE_DIM, HeatMap, IMAGENET_CLASSES, imagenet};
use crate::clock::now_ms;
use crate::device::Backend;
use crate::device::read_floats;
use crate::learn::examples::store::ClassId;
use crate::learn::heads::on_device::DeviceHead;
use crate::learn::settings::Task;
use crate::learn::tasks::anomaly::AnomalyScore;
use crate::learn::tasks::counting::cells::{CellNet, Cells, cut_block};
use crate::learn::tasks::counting::grid::decode;
use crate::learn::tasks::explain::Explainer;
use crate::learn::tasks::zero_shot::{ZeroShot, mix};
use crate::learn::trained::Trained;
use crate::learn::vectors::argmax;
use crate::preprocess::View;
use crate::{Error, Frame};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    pub id: ClassId,
    pub name: String,
    pub probability: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// The trained classes in the head's order, then the zero-shot ones.
    pub classes: Vec<ClassScore>,
    /// The most probable class, or `None` when its probability is below the threshold.
    pub best: Option<ClassId>,
    pub unknown: bool,
    /// The probability of "none of these" in a project whose classes are all zero-shot (where
    /// it, not the threshold, decides what is unknown).
    pub none: Option<f32>,
    /// An anomaly detector's verdict (its one class is the normal one, its probability how
    /// ordinary the frame looks); `unknown` is then the anomaly.
    pub anomaly: Option<AnomalyScore>,
    /// A counter's objects, most probable first (each class's probability is then that of its
    /// most probable object, `best` the class with the most objects, `unknown` no object).
    pub objects: Option<Vec<Object>>,
    /// Milliseconds from the frames to the probabilities, divided among the frames.
    pub ms: f64,
}

impl Prediction {
    /// The most probable class, also when it is below the threshold.
    pub fn top(&self) -> &ClassScore {
        &self.classes[self.top_index()]
    }

    /// Index of the most probable class in the head's order.
    pub fn top_index(&self) -> usize {
        argmax(&self.classes.iter().map(|c| c.probability).collect::<Vec<_>>())
    }
}

/// An object found in a frame: its class, and its centre as fractions of the frame's width and
/// height.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object {
    pub class: ClassId,
    pub name: String,
    pub x: f32,
    pub y: f32,
    pub score: f32,
}

/// A prediction with the heat map of its most probable class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    pub prediction: Prediction,
    pub map: HeatMap,
}

/// A trained head ready on the device: for prediction, for heat maps, and its fine-tuned layers.
/// Made once per training and kept while only the classes' names or zero-shot classes change.
#[derive(Debug, Clone)]
pub struct UploadedHead {
    head: Rc<DeviceHead>,
    explainer: Rc<Explainer>,
    top: Option<Rc<Top>>,
}

impl UploadedHead {
    pub fn new(trained: &Trained, backbone: &Backbone) -> Result<Self, Error> {
        let top = match trained.fine_tuned.as_ref().and_then(|f| f.top.as_ref()) {
            Some(weights) => {
                let fused = backbone.compute().backend == Backend::Cpu;
                Some(Rc::new(Top::load(backbone.model(), weights, backbone.device(), fused)?))
            }
            None => None,
        };
        let head = Rc::new(DeviceHead::new(trained.head(), backbone.device())?);
        let explainer = Rc::new(Explainer::of(trained.head()).ok_or(Error::OtherTask { trained: Task::Count.describe(), now: Task::Classify.describe() })?);
        Ok(Self { head, explainer, top })
    }
}

/// Where a project's predictions come from (made by `Project::sources`).
pub struct Sources<'a> {
    pub trained: TrainedSource<'a>,
    /// Classes without examples: each with its name and the ImageNet classes its name covers.
    pub zero_shot: Vec<(ClassId, String, Vec<usize>)>,
    pub threshold: f32,
    pub false_alarm_rate: f32,
}

/// What answers for the classes with examples.
pub enum TrainedSource<'a> {
    /// No class has examples.
    Nothing,
    /// One class has: it is predicted alone, and its prototype shows where it is seen.
    Lone { id: ClassId, name: String, features: Vec<f32> },
    /// The trained head, the names of its classes in its order, and what is added to every
    /// feature before the head reads it (minus its centre, plus any adaptation to a new camera).
    Head { trained: &'a Trained, classes: Vec<(ClassId, String)>, shift: Option<Vec<f32>> },
    /// A per-cell head that counts and locates its classes' objects in the whole frame.
    Cells { cells: &'a Cells, classes: Vec<(ClassId, String)> },
}

/// What predicts a project's classes: the trained head for classes with examples (none when at
/// most one class has examples), the ImageNet classifier for the named classes without (see
/// `tasks::zero_shot` for how the two mix). Owns everything it needs, so it can run while the
/// project changes.
#[derive(Debug, Clone)]
pub struct Predictor {
    trained: Option<TrainedPart>,
    /// A counter reads the whole frame at the cut, and nothing else above applies.
    counter: Option<Rc<CellNet>>,
    zero_shot: ZeroShot,
    /// The trained classes (in the head's order), then the zero-shot ones.
    classes: Vec<(ClassId, String)>,
    threshold: f32,
    /// A detector's share of normal frames it may flag.
    false_alarm_rate: f32,
}

/// The classes with examples, as a predictor answers for them.
#[derive(Debug, Clone)]
struct TrainedPart {
    /// `None` for a lone class, which needs no head.
    head: Option<Rc<DeviceHead>>,
    /// The fine-tuned layers the head reads through, when training retrained some.
    top: Option<Rc<Top>>,
    /// Heat maps of the trained classes (a lone trained class gets its prototype's).
    explainer: Rc<Explainer>,
    /// Added to every feature (each position of the map) before the head reads it: minus the
    /// head's centre, plus the adaptation to a new domain (see `tasks::adapt`), `[1, C, 1, 1]`.
    shift: Option<Tensor<4>>,
}

impl Predictor {
    /// The predictor of `sources`; `uploaded` holds the trained head on the device, made here on
    /// first use.
    pub fn new(sources: Sources<'_>, backbone: &Backbone, uploaded: &mut Option<UploadedHead>) -> Result<Self, Error> {
        let mut counter = None;
        let (trained, mut classes) = match sources.trained {
            TrainedSource::Cells { cells, classes } => {
                counter = Some(Rc::new(CellNet::of(cells, backbone.device())));
                (None, classes)
            }
            TrainedSource::Nothing => (None, Vec::new()),
            TrainedSource::Lone { id, name, features } => {
                let explainer = Rc::new(Explainer::prototype(&features, FEATURE_DIM));
                (Some(TrainedPart { head: None, top: None, explainer, shift: None }), vec![(id, name)])
            }
            TrainedSource::Head { trained, classes, shift } => {
                let u = match uploaded {
                    Some(u) => u.clone(),
                    None => uploaded.insert(UploadedHead::new(trained, backbone)?).clone(),
                };
                let shift = shift.map(|v| Tensor::<1>::from_floats(v.as_slice(), backbone.device()).reshape([1, FEATURE_DIM, 1, 1]));
                (Some(TrainedPart { head: Some(u.head), top: u.top, explainer: u.explainer, shift }), classes)
            }
        };
        let covers: Vec<Vec<usize>> = sources.zero_shot.iter().map(|(_, _, covers)| covers.clone()).collect();
        classes.extend(sources.zero_shot.into_iter().map(|(id, name, _)| (id, name)));
        let (threshold, false_alarm_rate) = (sources.threshold, sources.false_alarm_rate);
        Ok(Self { trained, counter, zero_shot: ZeroShot::new(&covers), classes, threshold, false_alarm_rate })
    }

    /// The classes predictions are about `(id, name)`, in their order: the trained head's, then
    /// the zero-shot ones.
    pub fn classes(&self) -> &[(ClassId, String)] {
        &self.classes
    }
}

/// One batch's probabilities before they become predictions.
struct Scored {
    /// Per frame: the mixed probabilities, "none of these", the ImageNet probabilities.
    rows: Vec<(Vec<f32>, Option<f32>, Vec<f32>)>,
    /// Per frame, a detector's verdict.
    anomalies: Vec<Option<AnomalyScore>>,
}

impl Predictor {
    fn trained(&self) -> usize {
        self.classes.len() - self.zero_shot.len()
    }

    fn head(&self) -> Option<&DeviceHead> {
        self.trained.as_ref().and_then(|t| t.head.as_deref())
    }

    /// The last feature maps: the one the head reads (through the fine-tuned layers, if any, and
    /// adapted) and, when it differs and zero-shot classes need it, the original network's.
    fn maps(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<(Tensor<4>, Option<Tensor<4>>), Error> {
        let (head_map, original) = self.unadapted_maps(backbone, frames)?;
        Ok(match self.trained.as_ref().and_then(|t| t.shift.as_ref()) {
            None => (head_map, original),
            Some(shift) => {
                let original = original.or_else(|| (!self.zero_shot.is_empty()).then(|| head_map.clone()));
                (head_map + shift.clone(), original)
            }
        })
    }

    fn unadapted_maps(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<(Tensor<4>, Option<Tensor<4>>), Error> {
        match self.trained.as_ref().and_then(|t| t.top.as_ref()) {
            None => Ok((backbone.feature_map_tensor(frames)?, None)),
            Some(top) => {
                let block = top.first_block();
                let trunk = backbone.trunk(frames, block)?;
                let original = (!self.zero_shot.is_empty()).then(|| backbone.model().feature_map_from(trunk.clone(), block));
                Ok((top.feature_map(trunk), original))
            }
        }
    }

    /// The features the head reads for each frame, before adaptation (`frames × FEATURE_DIM`):
    /// what adapting to the frames' domain takes.
    pub async fn features(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<f32>, Error> {
        if self.head().is_none() {
            return Err(Error::NotTrained);
        }
        let (head_map, _) = self.unadapted_maps(backbone, frames)?;
        read_floats(EfficientNet::pool(head_map)).await
    }

    async fn score(&self, backbone: &Backbone, maps: &(Tensor<4>, Option<Tensor<4>>), frames: usize) -> Result<Scored, Error> {
        let (head_map, original) = maps;
        if let Some(head) = self.head() {
            if let Some(detected) = head.detect(EfficientNet::pool(head_map.clone()), self.false_alarm_rate).await? {
                let rows = detected.iter().map(|(_, normality)| (vec![*normality], None, Vec::new())).collect();
                return Ok(Scored { rows, anomalies: detected.into_iter().map(|(score, _)| Some(score)).collect() });
            }
        }
        let trained = match (self.head(), self.trained()) {
            (Some(head), t) => head.probabilities(EfficientNet::pool(head_map.clone())).await?.chunks(t).map(<[f32]>::to_vec).collect(),
            (None, t) => vec![vec![1.0; t]; frames],
        };
        let imagenet: Vec<Vec<f32>> = match self.zero_shot.is_empty() {
            true => vec![Vec::new(); frames],
            false => {
                let features = EfficientNet::pool(original.as_ref().unwrap_or(head_map).clone());
                read_floats(backbone.model().classify(features)).await?.chunks(IMAGENET_CLASSES).map(imagenet::probabilities).collect()
            }
        };
        let rows = trained
            .into_iter()
            .zip(imagenet)
            .map(|(q, p)| {
                let (masses, other) = if p.is_empty() { (Vec::new(), 0.0) } else { (self.zero_shot.masses(&p), self.zero_shot.strongest_other(&p)) };
                let (mixed, none) = mix(&q, &masses, other);
                (mixed, none, p)
            })
            .collect();
        Ok(Scored { rows, anomalies: vec![None; frames] })
    }

    pub async fn predict(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<Prediction>, Error> {
        if let Some(net) = &self.counter {
            return Ok(self.count(net, backbone, frames).await?.into_iter().map(|(p, _)| p).collect());
        }
        let start = now_ms();
        let scored = self.score(backbone, &self.maps(backbone, frames)?, frames.len()).await?;
        let ms = (now_ms() - start) / frames.len() as f64;
        Ok(scored.rows.iter().zip(&scored.anomalies).map(|((row, none, _), anomaly)| self.prediction(row, *none, *anomaly, ms)).collect())
    }

    /// Predictions, each with the heat map of its most probable class; `ms` includes the maps.
    /// A zero-shot class's map is that of the ImageNet class giving it the most mass.
    pub async fn explain(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<Explained>, Error> {
        if let Some(net) = &self.counter {
            return Ok(self.count(net, backbone, frames).await?.into_iter().map(|(prediction, map)| Explained { prediction, map }).collect());
        }
        let start = now_ms();
        let maps = self.maps(backbone, frames)?;
        let scored = self.score(backbone, &maps, frames.len()).await?;
        let (head_map, original) = maps;
        let head_maps = read_floats(head_map).await?;
        let original_maps = match original {
            Some(m) => Some(read_floats(m).await?),
            None => None,
        };
        let per_frame = head_maps.len() / frames.len();
        let mut explained = Vec::with_capacity(frames.len());
        for (i, (row, none, imagenet)) in scored.rows.iter().enumerate() {
            let prediction = self.prediction(row, *none, scored.anomalies[i], 0.0);
            let top = prediction.top_index();
            let frame_map = |maps: &[f32]| maps[i * per_frame..(i + 1) * per_frame].to_vec();
            let map = match self.trained.as_ref().filter(|_| top < self.trained()) {
                Some(trained) => trained.explainer.map(top, &frame_map(&head_maps)),
                None => {
                    let original = frame_map(original_maps.as_deref().unwrap_or(&head_maps));
                    backbone.imagenet_map(self.zero_shot.strongest(top - self.trained(), imagenet), &original).await?
                }
            };
            explained.push(Explained { prediction, map });
        }
        let ms = (now_ms() - start) / frames.len() as f64;
        explained.iter_mut().for_each(|e| e.prediction.ms = ms);
        Ok(explained)
    }

    /// A counter's predictions, each with its cell map (each cell's probability of holding an
    /// object's centre, over the whole frame).
    async fn count(&self, net: &CellNet, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<(Prediction, HeatMap)>, Error> {
        let start = now_ms();
        let maps = backbone.trunk_of(frames, cut_block(backbone.network()), View::Whole)?;
        let side = maps.dims()[2];
        let probabilities = net.probabilities(maps).await?;
        let ms = (now_ms() - start) / frames.len() as f64;
        let ids: Vec<ClassId> = self.classes.iter().map(|(id, _)| *id).collect();
        let k = ids.len() + 1;
        Ok(probabilities
            .chunks(probabilities.len() / frames.len())
            .map(|cells| {
                let found = decode(cells, side, &ids, self.threshold);
                let name = |id: ClassId| self.classes.iter().find(|(c, _)| *c == id).map(|(_, n)| n.clone()).unwrap_or_default();
                let objects: Vec<Object> = found.iter().map(|f| Object { class: f.class, name: name(f.class), x: f.x, y: f.y, score: f.score }).collect();
                let counts: Vec<usize> = ids.iter().map(|&id| objects.iter().filter(|o| o.class == id).count()).collect();
                let classes = self
                    .classes
                    .iter()
                    .map(|(id, name)| ClassScore {
                        id: *id,
                        name: name.clone(),
                        probability: objects.iter().filter(|o| o.class == *id).map(|o| o.score).fold(0.0, f32::max),
                    })
                    .collect();
                let most = counts.iter().enumerate().max_by_key(|&(i, c)| (*c, std::cmp::Reverse(i))).filter(|(_, c)| **c > 0);
                let values = cells.chunks(k).map(|p| 1.0 - p[0]).collect();
                let prediction =
                    Prediction { classes, best: most.map(|(i, _)| ids[i]), unknown: objects.is_empty(), none: None, anomaly: None, objects: Some(objects), ms };
                (prediction, HeatMap { side, values })
            })
            .collect())
    }

    fn prediction(&self, row: &[f32], none: Option<f32>, anomaly: Option<AnomalyScore>, ms: f64) -> Prediction {
        let best = argmax(row);
        // Only zero-shot classes: "none of these" winning is the unknown answer (see `zero_shot`).
        let unknown = match (anomaly, none) {
            (Some(a), _) => a.anomaly,
            (None, Some(none)) => none >= row[best],
            (None, None) => row[best] < self.threshold,
        };
        Prediction {
            classes: self.classes.iter().zip(row).map(|((id, name), &probability)| ClassScore { id: *id, name: name.clone(), probability }).collect(),
            best: (!unknown).then_some(self.classes[best].0),
            unknown,
            none,
            anomaly,
            objects: None,
            ms,
        }
    }
}
