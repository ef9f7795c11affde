//! Fitting a head of a chosen kind to a dataset, with the held-out split scoring it.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::split::stratified;
use crate::learn::heads::instant::{neighbours, prototypes};
use crate::learn::heads::on_device::DeviceHead;
use crate::learn::heads::softmax;
use crate::learn::heads::stored::{Head, HeadWeights};
use crate::learn::metrics::Evaluation;
use crate::learn::progress::{EpochStats, Progress, Run};
use crate::learn::settings::{HeadKind, Settings};
use crate::learn::train::Stop;
use crate::learn::vectors::argmax;

/// A head fitted to examples, and how its epochs went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fitted {
    pub head: Head,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    /// The epoch whose weights were kept (0 for heads without training).
    pub best_epoch: u32,
    /// On the held-out split; `None` when every class had a single capture.
    pub evaluation: Option<Evaluation>,
}

/// Fits a `kind` head to `data` with `settings`' hyper-parameters, holding out
/// `settings.validation_fraction` of each class's captures to stop early and to score it.
pub async fn fit(data: &Dataset, kind: HeadKind, settings: &Settings, device: &Device, run: &mut Run<'_, impl Progress>) -> Result<Fitted, Error> {
    let split = stratified(&data.labels, &data.captures, settings.validation_fraction, settings.seed);
    let head = |weights| Head { classes: data.classes.clone(), dim: data.dim as u32, weights };
    let score = async |weights: HeadWeights| match split.validation.is_empty() {
        true => Ok(None),
        false => evaluate(&head(weights), data, &split.validation, device).await.map(Some),
    };
    match kind {
        HeadKind::Softmax => {
            let fit = softmax::train(data, &split, settings, device, run).await?;
            let weights = fit.net.weights().await?;
            let evaluation = score(weights.clone()).await?;
            Ok(Fitted { head: head(weights), history: fit.history, stop: fit.stop, best_epoch: fit.best_epoch, evaluation })
        }
        // No training: the head scored sees only the training split; the head kept uses every
        // example, since that costs nothing and only helps.
        HeadKind::Prototype | HeadKind::Knn => {
            let instant = |rows: &[usize]| match kind {
                HeadKind::Knn => neighbours(data, rows, settings.k),
                _ => prototypes(data, rows),
            };
            let evaluation = score(instant(&split.train)).await?;
            let all: Vec<usize> = (0..data.len()).collect();
            Ok(Fitted { head: head(instant(&all)), history: Vec::new(), stop: Stop::Finished, best_epoch: 0, evaluation })
        }
    }
}

/// Predicted class index of each row of `rows`.
pub async fn predict_rows(head: &DeviceHead, data: &Dataset, rows: &[usize], device: &Device) -> Result<Vec<usize>, Error> {
    let (features, _) = data.rows(rows);
    let p = head.probabilities(data.upload(features, device)).await?;
    Ok(p.chunks(data.classes.len()).map(argmax).collect())
}

async fn evaluate(head: &Head, data: &Dataset, rows: &[usize], device: &Device) -> Result<Evaluation, Error> {
    let predicted = predict_rows(&DeviceHead::new(head, device)?, data, rows, device).await?;
    Ok(data.evaluate(rows, &predicted))
}
