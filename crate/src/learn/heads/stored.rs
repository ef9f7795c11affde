//! A trained head as the project file stores it: plain numbers, the classes it answers for in
//! the order of its outputs. `on_device` uploads it for prediction.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::device::read_floats;
use crate::learn::examples::store::ClassId;
use crate::learn::settings::{HeadKind, Task};
use crate::learn::tasks::anomaly::Detector;
use crate::learn::tasks::counting::cells::Cells;

/// Logit scale of the cosine heads: `softmax(scale · cos)`. 10 turns a cosine margin of 0.3
/// (typical between distinct objects in Lite0's feature space) into odds of about 20:1.
pub const COSINE_SCALE: f32 = 10.0;

/// A dense layer's numbers, laid out as Burn's `Linear` holds them: `weight` is
/// `inputs × outputs`, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    pub inputs: u32,
    pub outputs: u32,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Dense {
    fn check(&self, inputs: usize, outputs: usize) -> Result<(), Error> {
        let ok = self.inputs as usize == inputs
            && self.outputs as usize == outputs
            && self.weight.len() == inputs * outputs
            && self.bias.len() == outputs
            && self.weight.iter().chain(&self.bias).all(|v| v.is_finite());
        if ok { Ok(()) } else { Err(Error::Inconsistent(format!("a {inputs}→{outputs} layer has the wrong shape or values"))) }
    }

    pub fn linear(&self, device: &Device) -> Linear {
        let (i, o) = (self.inputs as usize, self.outputs as usize);
        Linear {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(self.weight.clone(), [i, o]), device)),
            bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(self.bias.clone(), [o]), device))),
        }
    }

    pub async fn of(linear: &Linear) -> Result<Self, Error> {
        let [inputs, outputs] = linear.weight.val().dims();
        let bias = match &linear.bias {
            Some(b) => read_floats(b.val()).await?,
            None => vec![0.0; outputs],
        };
        Ok(Self { inputs: inputs as u32, outputs: outputs as u32, weight: read_floats(linear.weight.val()).await?, bias })
    }

    /// The weights as one row per output (`outputs × inputs`).
    pub fn rows(&self) -> Vec<f32> {
        let (inputs, outputs) = (self.inputs as usize, self.outputs as usize);
        (0..outputs).flat_map(|o| (0..inputs).map(move |i| self.weight[i * outputs + o])).collect()
    }
}

/// The trained part of a head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HeadWeights {
    Softmax {
        hidden: Option<Dense>,
        output: Dense,
    },
    /// One unit-length mean feature per class, `classes × dim`.
    Prototype {
        prototypes: Vec<f32>,
    },
    /// The stored examples' unit-length features (`examples × dim`) and their class indices.
    Knn {
        k: u32,
        features: Vec<f32>,
        labels: Vec<u32>,
    },
    /// Not a classifier: an anomaly detector of one class of normal examples. Since format 5.
    Anomaly(Detector),
    /// Not a classifier of frames: a classifier of each cell of the map at the cut, which
    /// counts and locates objects (`dim` is the map's channels). Since format 7.
    Cells(Cells),
}

impl HeadWeights {
    /// What the head was trained to do.
    pub fn task(&self) -> Task {
        match self {
            HeadWeights::Anomaly(_) => Task::SpotAnomalies,
            HeadWeights::Cells(_) => Task::Count,
            _ => Task::Classify,
        }
    }

    /// The kind of classifier; `None` for a detector.
    pub fn kind(&self) -> Option<HeadKind> {
        match self {
            HeadWeights::Softmax { .. } => Some(HeadKind::Softmax),
            HeadWeights::Prototype { .. } => Some(HeadKind::Prototype),
            HeadWeights::Knn { .. } => Some(HeadKind::Knn),
            HeadWeights::Anomaly(_) | HeadWeights::Cells(_) => None,
        }
    }
}

/// A head with the classes it was trained on, in the order of its outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub classes: Vec<ClassId>,
    pub dim: u32,
    pub weights: HeadWeights,
}

impl Head {
    pub fn validate(&self) -> Result<(), Error> {
        let (c, d) = (self.classes.len(), self.dim as usize);
        let bad = |what: &str| Err(Error::Inconsistent(format!("the head's {what} do not fit its {c} classes")));
        // A detector learns one class; a classifier tells two or more apart.
        if self.weights.task() == Task::Classify && c < 2 {
            return bad("outputs");
        }
        match &self.weights {
            HeadWeights::Softmax { hidden: None, output } => output.check(d, c),
            HeadWeights::Softmax { hidden: Some(h), output } => {
                h.check(d, h.outputs as usize)?;
                output.check(h.outputs as usize, c)
            }
            HeadWeights::Prototype { prototypes } if prototypes.len() == c * d => Ok(()),
            HeadWeights::Prototype { .. } => bad("prototypes"),
            HeadWeights::Knn { k, features, labels } => {
                if *k == 0 || features.len() != labels.len() * d || labels.iter().any(|&l| l as usize >= c) {
                    return bad("stored neighbours");
                }
                Ok(())
            }
            HeadWeights::Anomaly(detector) if c == 1 && detector.fits(d) => Ok(()),
            HeadWeights::Anomaly(_) => bad("normal examples and their scores"),
            HeadWeights::Cells(cells) if c >= 1 && cells.fits(d, c) => Ok(()),
            HeadWeights::Cells(_) => bad("per-cell layers"),
        }
    }
}
