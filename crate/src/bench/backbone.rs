//! Timing the backbone the same way natively and in the browser, on `clock::now_ms`
//! (`Instant` natively, `performance.now()` in a page), so the numbers mean the same thing.

use burn::prelude::Tensor;
use serde::Serialize;

use crate::Error;
use crate::backbone::Backbone;
use crate::clock::now_ms as clock;
use crate::device::read_floats;
use crate::preprocess::Frame;

/// Timings of one batch size on one device, per frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    pub batch: usize,
    /// The first call: shader compilation, allocations and upload included.
    pub cold_ms_per_frame: f64,
    /// Median of the warm calls.
    pub warm_ms_per_frame: f64,
    /// Where a warm call's time goes, per op kind.
    pub ops: OpKinds,
}

/// Median milliseconds per batch spent in each kind of op of one forward pass, each op timed
/// alone (followed by a wait for the device, whose own cost is measured and taken off).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpKinds {
    /// Resize, crop and normalise on the CPU, then upload.
    pub input: f64,
    /// The stem's dense 3×3 convolution.
    pub stem: f64,
    /// 1×1 convolutions: expand, project and the head.
    pub pointwise: f64,
    /// The depthwise stages with their two ReLU6s (one kernel on the CPU).
    pub depthwise: f64,
    /// The stem's ReLU6 and the residual additions.
    pub elementwise: f64,
    /// Global average pooling.
    pub pool: f64,
    /// Reading the pooled features back.
    pub readback: f64,
    /// What one wait for the device costs on its own (already taken off the above).
    pub sync: f64,
    /// Every op of the pass in order, to set beside another engine's layer by layer.
    pub steps: Vec<Step>,
}

/// One op of a profiled pass.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub kind: &'static str,
    /// Its input and output shapes, `[N, C, H, W]`.
    pub input: [usize; 4],
    pub output: [usize; 4],
    pub ms: f64,
}

impl OpKinds {
    pub fn total(&self) -> f64 {
        self.input + self.stem + self.pointwise + self.depthwise + self.elementwise + self.pool + self.readback
    }

    /// `(name, ms)` per kind, in the order of the forward pass.
    pub fn kinds(&self) -> [(&'static str, f64); 7] {
        [
            ("input", self.input),
            ("stem", self.stem),
            ("pointwise", self.pointwise),
            ("depthwise", self.depthwise),
            ("elementwise", self.elementwise),
            ("pool", self.pool),
            ("readback", self.readback),
        ]
    }

    fn median(rounds: Vec<OpKinds>) -> OpKinds {
        let m = |f: fn(&OpKinds) -> f64| median(rounds.iter().map(f).collect());
        OpKinds {
            input: m(|o| o.input),
            stem: m(|o| o.stem),
            pointwise: m(|o| o.pointwise),
            depthwise: m(|o| o.depthwise),
            elementwise: m(|o| o.elementwise),
            pool: m(|o| o.pool),
            readback: m(|o| o.readback),
            sync: m(|o| o.sync),
            steps: rounds[0]
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| Step { ms: median(rounds.iter().map(|o| o.steps[i].ms).collect()), ..step.clone() })
                .collect(),
        }
    }
}

pub(crate) fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times `frames.len()`-sized batches: preprocessing, upload, forward and readback of features.
pub async fn time_features(backbone: &Backbone, frames: &[Frame<'_>], iterations: usize) -> Result<Timing, Error> {
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
    Ok(Timing {
        batch: frames.len(),
        cold_ms_per_frame: cold / batch,
        warm_ms_per_frame: median(warm) / batch,
        ops: time_op_kinds(backbone, frames, iterations).await?,
    })
}

/// Waits until `x` is computed by reading one value of it.
async fn sync(x: &Tensor<4>) -> Result<(), Error> {
    read_floats(x.clone().slice([0..1, 0..1, 0..1, 0..1])).await.map(drop)
}

/// One forward pass, op by op, the same as `EfficientNet::features` (a test holds their outputs
/// equal), adding each op's time to its kind. Returns the times and the features.
pub async fn profile_pass(backbone: &Backbone, frames: &[Frame<'_>]) -> Result<(OpKinds, Vec<f32>), Error> {
    let mut o = OpKinds::default();
    let start = clock();
    let x = backbone.input(frames)?;
    sync(&x).await?;
    o.input = clock() - start;
    // A second wait on a tensor that is already there: the cost of waiting alone.
    let start = clock();
    sync(&x).await?;
    o.sync = clock() - start;
    let sync_cost = o.sync;

    macro_rules! timed {
        ($kind:ident, $input:expr, $op:expr) => {{
            let input = $input.dims();
            let start = clock();
            let y = $op;
            sync(&y).await?;
            let ms = (clock() - start - sync_cost).max(0.0);
            o.$kind += ms;
            o.steps.push(Step { kind: stringify!($kind), input, output: y.dims(), ms });
            y
        }};
    }
    let model = backbone.model();
    // The stem's ReLU6 counts as stem: the CPU kernel applies it as it writes.
    let mut x = timed!(stem, x, model.stem_stage(x));
    for block in &model.blocks {
        let input = x.clone();
        let h = match &block.expand {
            Some(_) => timed!(pointwise, x, block.expand(x)),
            None => x,
        };
        let h = timed!(depthwise, h, block.depthwise_stage(h));
        let h = timed!(pointwise, h, block.projection(h));
        x = if block.residual() { timed!(elementwise, h, h + input) } else { h };
    }
    // The head's ReLU6 counts as pointwise: the CPU kernel applies it as it writes.
    let x = timed!(pointwise, x, model.head_stage(x));
    let [n, c, _, _] = x.dims();
    let pooled = timed!(pool, x, x.mean_dim(3).mean_dim(2));
    let start = clock();
    let features = read_floats(pooled.reshape([n, c])).await?;
    o.readback = clock() - start;
    debug_assert!(o.steps.len() > 40);
    Ok((o, features))
}

/// Median per op kind over `iterations` passes after one that warms up.
pub async fn time_op_kinds(backbone: &Backbone, frames: &[Frame<'_>], iterations: usize) -> Result<OpKinds, Error> {
    profile_pass(backbone, frames).await?;
    let mut rounds = Vec::with_capacity(iterations);
    for _ in 0..iterations.max(1) {
        rounds.push(profile_pass(backbone, frames).await?.0);
    }
    Ok(OpKinds::median(rounds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_kinds_add_up_and_name_every_kind() {
        let step = |ms| Step { kind: "pointwise", input: [1, 16, 7, 7], output: [1, 32, 7, 7], ms };
        let o =
            OpKinds { input: 1.0, stem: 2.0, pointwise: 3.0, depthwise: 4.0, elementwise: 5.0, pool: 6.0, readback: 7.0, sync: 100.0, steps: vec![step(3.0)] };
        assert_eq!(o.total(), 28.0, "the wait's own cost is not part of the pass");
        assert_eq!(o.kinds().iter().map(|k| k.1).sum::<f64>(), o.total());
        let m = OpKinds::median(vec![
            o.clone(),
            OpKinds { depthwise: 40.0, steps: vec![step(30.0)], ..o.clone() },
            OpKinds { depthwise: 0.5, steps: vec![step(1.0)], ..o },
        ]);
        assert_eq!(m.depthwise, 4.0);
        assert_eq!(m.steps.len(), 1);
        assert_eq!(m.steps[0].ms, 3.0, "each step is its own median");
    }
}
