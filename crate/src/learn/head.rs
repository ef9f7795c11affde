//! Heads: what classifies a feature. [`Head`] is the stored form (plain numbers, in the project
//! file); [`DeviceHead`] is the same head uploaded to the compute device for prediction.

use burn::module::Param;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::{relu, softmax};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::device::read_floats;
use crate::learn::anomaly::{self, AnomalyScore};
use crate::learn::examples::ClassId;
use crate::learn::settings::HeadKind;

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

    fn linear(&self, device: &Device) -> Linear {
        let (i, o) = (self.inputs as usize, self.outputs as usize);
        Linear {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(self.weight.clone(), [i, o]), device)),
            bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(self.bias.clone(), [o]), device))),
        }
    }

    async fn of(linear: &Linear) -> Result<Self, Error> {
        let [inputs, outputs] = linear.weight.val().dims();
        let bias = match &linear.bias {
            Some(b) => read_floats(b.val()).await?,
            None => vec![0.0; outputs],
        };
        Ok(Self { inputs: inputs as u32, outputs: outputs as u32, weight: read_floats(linear.weight.val()).await?, bias })
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
    /// An anomaly detector of one class (see `anomaly`): the normal examples' unit-length features
    /// (`examples × dim`) and their held-out scores, sorted. Since format 5.
    Anomaly {
        k: u32,
        features: Vec<f32>,
        calibration: Vec<f32>,
    },
}

impl HeadWeights {
    pub fn kind(&self) -> HeadKind {
        match self {
            HeadWeights::Softmax { .. } => HeadKind::Softmax,
            HeadWeights::Prototype { .. } => HeadKind::Prototype,
            HeadWeights::Knn { .. } => HeadKind::Knn,
            HeadWeights::Anomaly { .. } => HeadKind::Anomaly,
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
        if let HeadWeights::Anomaly { k, features, calibration } = &self.weights {
            let fits = c == 1 && *k > 0 && features.len() == calibration.len() * d && calibration.len() >= 2;
            let sorted = calibration.windows(2).all(|w| w[0] <= w[1]);
            if !fits || !sorted || features.iter().chain(calibration).any(|v| !v.is_finite()) {
                return bad("normal examples and their scores");
            }
            return Ok(());
        }
        if c < 2 {
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
            HeadWeights::Anomaly { .. } => unreachable!("checked above"),
        }
    }

    /// Class means of unit-length features, themselves made unit length.
    pub fn prototypes(features: &[f32], labels: &[usize], classes: usize, dim: usize) -> Vec<f32> {
        let mut sums = vec![0.0f32; classes * dim];
        for (row, &label) in features.chunks(dim).zip(labels) {
            let norm = l2(row);
            for (s, v) in sums[label * dim..(label + 1) * dim].iter_mut().zip(row) {
                *s += v / norm;
            }
        }
        for row in sums.chunks_mut(dim) {
            let norm = l2(row);
            row.iter_mut().for_each(|v| *v /= norm);
        }
        sums
    }
}

fn l2(row: &[f32]) -> f32 {
    row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12)
}

/// Rows scaled to unit length, on the device.
pub fn unit_rows(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    x / norm
}

/// The softmax head as a Burn module, trainable with autodiff. Its input is the unit-length
/// feature times √dim, so that every head sees the same geometry and the default `Linear`
/// initialisation sees inputs of unit variance.
#[derive(Module, Debug)]
pub struct SoftmaxNet {
    pub hidden: Option<Linear>,
    pub output: Linear,
    pub dropout: Dropout,
}

impl SoftmaxNet {
    pub fn from_dense(hidden: Option<&Dense>, output: &Dense, dropout: f32, device: &Device) -> Self {
        Self { hidden: hidden.map(|h| h.linear(device)), output: output.linear(device), dropout: DropoutConfig::new(dropout as f64).init() }
    }

    pub fn input(features: Tensor<2>) -> Tensor<2> {
        let dim = features.dims()[1] as f32;
        unit_rows(features) * dim.sqrt()
    }

    /// Logits from prepared inputs (see [`SoftmaxNet::input`]).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.dropout.forward(x);
        match &self.hidden {
            Some(hidden) => self.output.forward(self.dropout.forward(relu(hidden.forward(x)))),
            None => self.output.forward(x),
        }
    }

    pub async fn weights(&self) -> Result<HeadWeights, Error> {
        let hidden = match &self.hidden {
            Some(h) => Some(Dense::of(h).await?),
            None => None,
        };
        Ok(HeadWeights::Softmax { hidden, output: Dense::of(&self.output).await? })
    }
}

/// A head on the device, ready to turn features into class probabilities.
#[derive(Debug, Clone)]
pub struct DeviceHead {
    classes: usize,
    kind: DeviceKind,
}

#[derive(Debug, Clone)]
enum DeviceKind {
    Softmax(SoftmaxNet),
    /// `dim × classes`.
    Prototype(Tensor<2>),
    /// `dim × examples`.
    Knn {
        features: Tensor<2>,
        labels: Vec<usize>,
        k: usize,
    },
    /// `stored`: `dim × examples`.
    Anomaly {
        stored: Tensor<2>,
        k: usize,
        calibration: Vec<f32>,
    },
}

impl DeviceHead {
    pub fn new(head: &Head, device: &Device) -> Self {
        let (c, d) = (head.classes.len(), head.dim as usize);
        let columns = |rows: &[f32], n: usize| Tensor::<2>::from_data(TensorData::new(rows.to_vec(), [n, d]), device).transpose();
        let kind = match &head.weights {
            HeadWeights::Softmax { hidden, output } => DeviceKind::Softmax(SoftmaxNet::from_dense(hidden.as_ref(), output, 0.0, device)),
            HeadWeights::Prototype { prototypes } => DeviceKind::Prototype(columns(prototypes, c)),
            HeadWeights::Knn { k, features, labels } => {
                DeviceKind::Knn { features: columns(features, labels.len()), labels: labels.iter().map(|&l| l as usize).collect(), k: *k as usize }
            }
            HeadWeights::Anomaly { k, features, calibration } => {
                DeviceKind::Anomaly { stored: anomaly::stored(features, d, device), k: *k as usize, calibration: calibration.clone() }
            }
        };
        Self { classes: c, kind }
    }

    /// Each row's anomaly score against the threshold for false-alarm rate `rate`, with how
    /// ordinary it looks (see `anomaly::normality`); `None` for a classifier.
    pub async fn detect(&self, features: Tensor<2>, rate: f32) -> Result<Option<Vec<(AnomalyScore, f32)>>, Error> {
        let DeviceKind::Anomaly { stored, k, calibration } = &self.kind else { return Ok(None) };
        let threshold = anomaly::threshold(calibration, rate);
        let scores = anomaly::scores(features, stored, *k).await?;
        Ok(Some(
            scores.into_iter().map(|score| (AnomalyScore { score, threshold, anomaly: score > threshold }, anomaly::normality(calibration, score))).collect(),
        ))
    }

    /// Class probabilities, row-major `N × classes`; a detector's one column is how ordinary
    /// each row looks.
    pub async fn probabilities(&self, features: Tensor<2>) -> Result<Vec<f32>, Error> {
        match &self.kind {
            DeviceKind::Softmax(net) => read_floats(softmax(net.forward(SoftmaxNet::input(features)), 1)).await,
            DeviceKind::Prototype(prototypes) => read_floats(softmax(unit_rows(features).matmul(prototypes.clone()) * COSINE_SCALE, 1)).await,
            DeviceKind::Knn { features: stored, labels, k } => {
                let similarities = read_floats(unit_rows(features).matmul(stored.clone())).await?;
                Ok(similarities.chunks(labels.len()).flat_map(|row| knn_vote(row, labels, *k, self.classes)).collect())
            }
            DeviceKind::Anomaly { .. } => {
                let detected = self.detect(features, 0.5).await?.expect("a detector");
                Ok(detected.into_iter().map(|(_, normality)| normality).collect())
            }
        }
    }
}

/// Share of the `k` most similar examples in each class; ties between classes go to the one
/// whose neighbours are more similar in total (a small bonus that never outweighs a vote).
pub fn knn_vote(similarities: &[f32], labels: &[usize], k: usize, classes: usize) -> Vec<f32> {
    let mut order: Vec<usize> = (0..similarities.len()).collect();
    order.sort_by(|&a, &b| similarities[b].total_cmp(&similarities[a]));
    let k = k.min(order.len());
    let mut votes = vec![0.0f32; classes];
    let mut closeness = vec![0.0f32; classes];
    for &i in &order[..k] {
        votes[labels[i]] += 1.0;
        closeness[labels[i]] += similarities[i];
    }
    let winner = (0..classes).max_by(|&a, &b| votes[a].total_cmp(&votes[b]).then(closeness[a].total_cmp(&closeness[b]))).unwrap_or(0);
    let mut p: Vec<f32> = votes.iter().map(|v| v / k.max(1) as f32).collect();
    // A tie must not leave argmax to chance: nudge the winner by far less than one vote.
    p[winner] += 1e-4;
    let total: f32 = p.iter().sum();
    p.iter().map(|v| v / total).collect()
}
