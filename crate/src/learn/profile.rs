//! Timing training and prediction of the heads, for the benchmarks (native and in the browser).

use burn::prelude::*;

use crate::backbone::FEATURE_DIM;
use crate::learn::rng::Rng;
use crate::learn::{train, Dataset, DeviceHead, Quiet, Settings};
use crate::Error;

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnTiming {
    pub examples: usize,
    pub epochs: usize,
    pub ms_per_epoch: f64,
    pub ms_total: f64,
    /// Warm median of one feature row through the trained head, readback included.
    pub ms_per_prediction: f64,
}

/// Synthetic features: one random centre per class, examples taken in turn from each class at
/// up to `spread` from its centre, each its own capture. Used where the right answer is known
/// (tests) or only the shapes matter (timing).
pub fn clusters(classes: &[u32], examples: usize, spread: f32, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let n = classes.len();
    let centres: Vec<Vec<f32>> = (0..n).map(|_| (0..FEATURE_DIM).map(|_| rng.range(0.0, 1.0)).collect()).collect();
    let mut data = Dataset { classes: classes.to_vec(), dim: FEATURE_DIM, features: Vec::new(), labels: Vec::new(), ids: Vec::new(), captures: Vec::new() };
    for i in 0..examples {
        data.features.extend(centres[i % n].iter().map(|v| v + rng.range(-spread, spread)));
        data.labels.push(i % n);
        data.ids.push(i as u32 + 1);
        data.captures.push(i as u32 + 1);
    }
    data
}

/// Trains the default softmax head for 50 epochs (no early stop) on `examples` synthetic
/// features, then times single predictions.
pub async fn time_learning(examples: usize, device: &Device, clock: &dyn Fn() -> f64) -> Result<LearnTiming, Error> {
    // Training cost depends on shapes, not content.
    let data = clusters(&[1, 2, 3, 4, 5], examples, 0.5, 5);
    let settings = Settings { epochs: 50, patience: 1000, ..Settings::default() };
    let start = clock();
    let trained = train(&data, &settings, device, &mut Quiet).await?;
    let ms_total = clock() - start;
    let head = DeviceHead::new(&trained.head, device);
    let row = || Tensor::<2>::from_data(TensorData::new(data.features[..FEATURE_DIM].to_vec(), [1, FEATURE_DIM]), device);
    head.probabilities(row()).await?;
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = clock();
        head.probabilities(row()).await?;
        times.push(clock() - t);
    }
    times.sort_by(f64::total_cmp);
    let epochs = trained.history.len();
    Ok(LearnTiming { examples, epochs, ms_per_epoch: ms_total / epochs as f64, ms_total, ms_per_prediction: times[times.len() / 2] })
}
