//! Is transfer helping? The head the settings name is trained again, the same way on the same
//! split, on the examples' thumbnails' raw pixels and on an intermediate layer's pooled
//! activations (the 192 channels after block 11, cached at capture for fine-tuning). When raw
//! pixels do better on the held-out examples than the pretrained features, the features do not
//! see what tells the classes apart (negative transfer); when the intermediate layer does better,
//! the last layers have specialised away from it (retraining them, fine-tuning, may help). The
//! page and the CLI say so.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::backbone::{Network, top};
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::store::{Activation, Class, ExampleId, THUMBNAIL_SIZE};
use crate::learn::heads::fit::fit;
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::{HeadKind, Settings};
use crate::learn::vectors::mean;

/// Held-out accuracy of the same head on the pretrained features and on raw pixels. Since
/// format 4.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub features: f32,
    pub pixels: f32,
    /// On the intermediate layer; `None` where an example lacks its activation (older files).
    /// Since format 5.
    pub intermediate: Option<f32>,
}

impl Transfer {
    /// Raw pixels beat the pretrained features: they do not fit this task. A tie (both perfect,
    /// commonly) is not negative.
    pub fn negative(&self) -> bool {
        self.pixels > self.features
    }

    /// The intermediate layer beats the final features.
    pub fn intermediate_better(&self) -> bool {
        self.intermediate.is_some_and(|a| a > self.features)
    }
}

/// The block whose input is the intermediate layer the check compares: the output of the last
/// stride-2 block, which fine-tuning caches anyway (Lite0: block 12, 192×7×7).
pub fn intermediate_block(network: &Network) -> usize {
    top::cached_block(network, 1)
}

/// `data` (the examples of `classes`, as `Dataset::of` lays them out) with their thumbnails'
/// pixels (0..1, centred on their mean, so that a cosine head compares how images differ rather
/// than their common brightness) as features.
pub fn pixel_dataset(data: &Dataset, classes: &[&Class]) -> Dataset {
    let dim = (THUMBNAIL_SIZE * THUMBNAIL_SIZE * 3) as usize;
    let mut rows = Vec::with_capacity(data.len() * dim);
    for class in classes {
        for e in &class.examples {
            rows.extend(e.thumbnail.rgb.iter().map(|&v| v as f32 / 255.0));
        }
    }
    let mean = mean(&rows, dim);
    for row in rows.chunks_mut(dim) {
        row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
    }
    data.with_features(rows, dim)
}

/// `data` with each example's intermediate activation, averaged over its positions, for
/// features; `None` when an example has none at that layer.
pub fn intermediate_dataset(network: &Network, data: &Dataset, cached: impl Fn(ExampleId) -> Option<Activation>) -> Option<Dataset> {
    let block = intermediate_block(network);
    let [channels, side, _] = top::boundary_shape(network, block);
    let mut rows = Vec::with_capacity(data.len() * channels);
    for &id in &data.ids {
        let activation = cached(id).filter(|a| a.block as usize == block)?;
        rows.extend(activation.floats().chunks(side * side).map(|plane| plane.iter().sum::<f32>() / plane.len() as f32));
    }
    Some(data.with_features(rows, channels))
}

/// The baselines the check compares with the head's held-out accuracy on the final features.
pub struct Baselines {
    pub pixels: Dataset,
    pub intermediate: Option<Dataset>,
}

/// Trains a `kind` head again on each baseline and compares it with the head's held-out accuracy
/// `features`; `None` without held-out examples (then no baselines are needed). Its epochs are
/// not the user's training and are not reported.
pub async fn check(
    features: Option<f32>,
    baselines: Option<&Baselines>,
    kind: HeadKind,
    settings: &Settings,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Option<Transfer>, Error> {
    let (Some(features), Some(baselines)) = (features, baselines) else { return Ok(None) };
    let Some(pixels) = held_out(&baselines.pixels, kind, settings, device, run).await? else { return Ok(None) };
    let intermediate = match &baselines.intermediate {
        Some(data) => held_out(data, kind, settings, device, run).await?,
        None => None,
    };
    Ok(Some(Transfer { features, pixels, intermediate }))
}

async fn held_out(data: &Dataset, kind: HeadKind, settings: &Settings, device: &Device, run: &mut Run<'_, impl Progress>) -> Result<Option<f32>, Error> {
    Ok(fit(data, kind, settings, device, &mut run.unreported()).await?.evaluation.map(|e| e.accuracy))
}
