//! A stored head uploaded to the compute device, ready to turn features into class
//! probabilities (or a detector's verdicts).

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::Error;
use crate::device::read_floats;
use crate::learn::heads::instant::knn_vote;
use crate::learn::heads::softmax::SoftmaxNet;
use crate::learn::heads::stored::{COSINE_SCALE, Head, HeadWeights};
use crate::learn::settings::Task;
use crate::learn::tasks::anomaly::{AnomalyScore, DeviceDetector};
use crate::learn::vectors::unit_rows;

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
    Anomaly(DeviceDetector),
}

impl DeviceHead {
    /// The head on `device`; a per-cell head reads maps, not features (see
    /// `tasks::counting::counter`), and is refused.
    pub fn new(head: &Head, device: &Device) -> Result<Self, Error> {
        let (c, d) = (head.classes.len(), head.dim as usize);
        let columns = |rows: &[f32], n: usize| Tensor::<2>::from_data(TensorData::new(rows.to_vec(), [n, d]), device).transpose();
        let kind = match &head.weights {
            HeadWeights::Softmax { hidden, output } => DeviceKind::Softmax(SoftmaxNet::from_dense(hidden.as_ref(), output, 0.0, device)),
            HeadWeights::Prototype { prototypes } => DeviceKind::Prototype(columns(prototypes, c)),
            HeadWeights::Knn { k, features, labels } => {
                DeviceKind::Knn { features: columns(features, labels.len()), labels: labels.iter().map(|&l| l as usize).collect(), k: *k as usize }
            }
            HeadWeights::Anomaly(detector) => DeviceKind::Anomaly(DeviceDetector::new(detector, d, device)),
            HeadWeights::Cells(_) => return Err(Error::OtherTask { trained: Task::Count.describe(), now: Task::Classify.describe() }),
        };
        Ok(Self { classes: c, kind })
    }

    /// Each row's anomaly verdict at false-alarm rate `rate`, with how ordinary it looks; `None`
    /// for a classifier.
    pub async fn detect(&self, features: Tensor<2>, rate: f32) -> Result<Option<Vec<(AnomalyScore, f32)>>, Error> {
        match &self.kind {
            DeviceKind::Anomaly(detector) => Ok(Some(detector.detect(features, rate).await?)),
            _ => Ok(None),
        }
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
            DeviceKind::Anomaly(detector) => Ok(detector.detect(features, 0.5).await?.into_iter().map(|(_, normality)| normality).collect()),
        }
    }
}
