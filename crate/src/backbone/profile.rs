//! Timing the backbone the same way natively and in the browser. The caller passes its clock
//! (`Instant` natively, `performance.now()` in a page), so the numbers mean the same thing.

use burn::prelude::Tensor;
use burn::tensor::Distribution;

use super::efficientnet::{INPUT_SIZE, lite0_blocks};
use super::Backbone;
use crate::device::read_floats;
use crate::preprocess::Frame;
use crate::Error;

/// Milliseconds from an arbitrary origin.
pub type Clock<'a> = &'a dyn Fn() -> f64;

/// Timings of one batch size on one device, per frame.
#[derive(Debug, Clone)]
pub struct Timing {
    pub batch: usize,
    /// The first call: shader compilation, allocations and upload included.
    pub cold_ms_per_frame: f64,
    /// Median of the warm calls.
    pub warm_ms_per_frame: f64,
    /// Share of a warm call spent in the depthwise convolutions, each timed alone at its shape.
    pub depthwise_share: f64,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times `frames.len()`-sized batches: preprocessing, upload, forward and readback of features.
pub async fn time_features(backbone: &Backbone, frames: &[Frame<'_>], iterations: usize, clock: Clock<'_>) -> Result<Timing, Error> {
    let batch = frames.len() as f64;
    let start = clock();
    backbone.features(frames).await?;
    let cold = clock() - start;
    let mut warm = Vec::with_capacity(iterations);
    for _ in 0..iterations.max(1) {
        let start = clock();
        backbone.features(frames).await?;
        warm.push(clock() - start);
    }
    let warm = median(warm);
    let depthwise = time_depthwise(backbone, frames.len(), iterations, clock).await?;
    Ok(Timing {
        batch: frames.len(),
        cold_ms_per_frame: cold / batch,
        warm_ms_per_frame: warm / batch,
        depthwise_share: (depthwise / warm).min(1.0),
    })
}

/// Median time of one pass through all 16 depthwise convolutions, each on a random input of the
/// shape it sees in the network, reading back one value to wait for the device.
async fn time_depthwise(backbone: &Backbone, batch: usize, iterations: usize, clock: Clock<'_>) -> Result<f64, Error> {
    let device = backbone.device();
    let mut size = INPUT_SIZE / 2; // after the stride-2 stem
    let mut inputs = Vec::new();
    for shape in lite0_blocks() {
        inputs.push(Tensor::<4>::random([batch, shape.hidden, size, size], Distribution::Default, device));
        size = size.div_ceil(shape.stride);
    }
    let blocks = &backbone.model().blocks;
    let mut samples = Vec::new();
    for round in 0..=iterations.max(1) {
        let mut total = 0.0;
        for (block, input) in blocks.iter().zip(&inputs) {
            let start = clock();
            let out = block.depthwise.forward(input.clone());
            read_floats(out.slice([0..1, 0..1, 0..1, 0..1])).await?;
            total += clock() - start;
        }
        if round > 0 {
            samples.push(total); // round 0 compiles the kernels
        }
    }
    Ok(median(samples))
}
