//! Timing capture, training and prediction of the heads, natively and in the browser.

use std::rc::Rc;

use burn::prelude::*;
use serde::Serialize;

use super::backbone::median;
use crate::backbone::{Backbone, FEATURE_DIM};
use crate::clock::now_ms;
use crate::learn::heads::fit::fit;
use crate::learn::heads::on_device::DeviceHead;
use crate::learn::progress::{Interrupter, Quiet, Run};
use crate::learn::settings::{HeadKind, Settings};
use crate::synthetic::clusters;
use crate::{Error, Frame, Session};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnTiming {
    pub examples: usize,
    pub epochs: usize,
    pub ms_per_epoch: f64,
    pub ms_total: f64,
    /// Warm median of one feature row through the trained head, readback included.
    pub ms_per_prediction: f64,
}

/// Median milliseconds of capturing `frame` into a class (features, thumbnail, storing), after
/// one capture that warms up.
pub async fn time_capture(backbone: Rc<Backbone>, frame: Frame<'_>, iterations: usize) -> Result<f64, Error> {
    let session = Session::new(backbone);
    let class = session.add_class(None)?;
    session.capture(class, frame).await?;
    let mut times = Vec::new();
    for _ in 0..iterations.max(1) {
        times.push(session.capture(class, frame).await?.ms);
    }
    Ok(median(times))
}

/// Trains the default softmax head for 50 epochs (no early stop) on `examples` synthetic
/// features, then times single predictions.
pub async fn time_learning(examples: usize, device: &Device) -> Result<LearnTiming, Error> {
    // Training cost depends on shapes, not content.
    let data = clusters(&[1, 2, 3, 4, 5], examples, 0.5, 5);
    let settings = Settings { epochs: 50, patience: 1000, ..Settings::default() };
    let start = now_ms();
    let fitted = fit(&data, HeadKind::Softmax, &settings, device, &mut Run::new(&mut Quiet, &Interrupter::default())).await?;
    let ms_total = now_ms() - start;
    let head = DeviceHead::new(&fitted.head, device)?;
    let row = || Tensor::<2>::from_data(TensorData::new(data.features[..FEATURE_DIM].to_vec(), [1, FEATURE_DIM]), device);
    head.probabilities(row()).await?;
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = now_ms();
        head.probabilities(row()).await?;
        times.push(now_ms() - t);
    }
    let epochs = fitted.history.len();
    Ok(LearnTiming { examples, epochs, ms_per_epoch: ms_total / epochs as f64, ms_total, ms_per_prediction: median(times) })
}
