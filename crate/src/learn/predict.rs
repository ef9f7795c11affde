//! Turning features into a prediction a person reads: class names, probabilities, "unknown".

use std::rc::Rc;

use serde::Serialize;

use crate::backbone::{Backbone, HeatMap, Lite0};
use crate::clock::now_ms;
use crate::device::read_floats;
use crate::learn::examples::ClassId;
use crate::learn::explain::Explainer;
use crate::learn::head::DeviceHead;
use crate::learn::train::argmax;
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
    /// In the head's class order.
    pub classes: Vec<ClassScore>,
    /// The most probable class, or `None` when its probability is below the threshold.
    pub best: Option<ClassId>,
    pub unknown: bool,
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

/// A prediction with the heat map of its most probable class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    pub prediction: Prediction,
    pub map: HeatMap,
}

/// A trained head on the device with its class names: owns everything it needs, so it can run
/// while the project changes.
#[derive(Debug, Clone)]
pub struct Predictor {
    pub(crate) head: Rc<DeviceHead>,
    pub(crate) explainer: Rc<Explainer>,
    pub(crate) classes: Vec<(ClassId, String)>,
    pub(crate) threshold: f32,
}

impl Predictor {
    pub async fn predict(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<Prediction>, Error> {
        let start = now_ms();
        let p = self.head.probabilities(backbone.features_tensor(frames)?).await?;
        let ms = (now_ms() - start) / frames.len() as f64;
        Ok(p.chunks(self.classes.len()).map(|row| self.prediction(row, ms)).collect())
    }

    /// Predictions, each with the heat map of its most probable class; `ms` includes the maps.
    pub async fn explain(&self, backbone: &Backbone, frames: &[Frame<'_>]) -> Result<Vec<Explained>, Error> {
        let start = now_ms();
        let maps = backbone.feature_map_tensor(frames)?;
        let p = self.head.probabilities(Lite0::pool(maps.clone())).await?;
        let maps = read_floats(maps).await?;
        let per_frame = maps.len() / frames.len();
        let mut explained: Vec<Explained> = p
            .chunks(self.classes.len())
            .zip(maps.chunks(per_frame))
            .map(|(row, map)| {
                let prediction = self.prediction(row, 0.0);
                let map = self.explainer.map(prediction.top_index(), map);
                Explained { prediction, map }
            })
            .collect();
        let ms = (now_ms() - start) / frames.len() as f64;
        explained.iter_mut().for_each(|e| e.prediction.ms = ms);
        Ok(explained)
    }

    fn prediction(&self, row: &[f32], ms: f64) -> Prediction {
        let best = argmax(row);
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
