//! A trained head as the project file stores it: plain numbers, the classes it answers for in
//! the order of its outputs. `on_device` uploads it for prediction.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::learn::examples::store::ClassId;
use crate::learn::heads::dense::Dense;
use crate::learn::settings::{HeadKind, Task};
use crate::learn::tasks::anomaly::Detector;
use crate::learn::tasks::counting::cells::Cells;

/// Logit scale of the cosine heads: `softmax(scale · cos)`. 10 turns a cosine margin of 0.3
/// (typical between distinct objects in Lite0's feature space) into odds of about 20:1.
pub const COSINE_SCALE: f32 = 10.0;

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
