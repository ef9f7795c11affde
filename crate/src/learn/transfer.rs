//! Is transfer helping? The head the settings name is trained a second time, the same way on the
//! same split, on the examples' thumbnails' raw pixels; when that does better on the held-out
//! examples than the pretrained features, the features do not see what tells the classes apart
//! (negative transfer), and the page and the CLI say so.

use serde::{Deserialize, Serialize};

use crate::learn::examples::{Class, THUMBNAIL_SIZE};
use crate::learn::settings::Settings;
use crate::learn::train::{train, Dataset, Progress};
use crate::Error;

/// Held-out accuracy of the same head on the pretrained features and on raw pixels. Since
/// format 4.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub features: f32,
    pub pixels: f32,
}

impl Transfer {
    /// Raw pixels beat the pretrained features: they do not fit this task. A tie (both perfect,
    /// commonly) is not negative.
    pub fn negative(&self) -> bool {
        self.pixels > self.features
    }
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
    let mean = crate::learn::adapt::mean(&rows, dim);
    for row in rows.chunks_mut(dim) {
        row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
    }
    Dataset {
        classes: data.classes.clone(),
        dim,
        features: rows,
        labels: data.labels.clone(),
        ids: data.ids.clone(),
        captures: data.captures.clone(),
        activations: Vec::new(),
    }
}

/// Trains the baseline on `pixels` (the rows of the dataset the head was trained on, as pixels)
/// and compares it with the head's held-out accuracy `features`; `None` without held-out
/// examples (then no pixels are needed). `progress` may cancel; its epochs are not the user's
/// training and are not reported.
pub async fn check(features: Option<f32>, pixels: Option<&Dataset>, settings: &Settings, device: &burn::prelude::Device, progress: &mut impl Progress) -> Result<Option<Transfer>, Error> {
    let (Some(features), Some(pixels)) = (features, pixels) else { return Ok(None) };
    let settings = Settings { fine_tune: 0, ..settings.clone() };
    let baseline = train(pixels, &settings, device, &mut Unreported(progress)).await?;
    Ok(baseline.evaluation.map(|e| Transfer { features, pixels: e.accuracy }))
}

/// Passes pauses and cancelling through, but not the baseline's epochs.
struct Unreported<'a, P>(&'a mut P);

impl<P: Progress> Progress for Unreported<'_, P> {
    fn epoch(&mut self, _: &crate::learn::EpochStats) -> std::ops::ControlFlow<()> {
        self.0.cancelled()
    }

    async fn pause(&mut self) {
        self.0.pause().await
    }
}
