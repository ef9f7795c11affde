//! Whether the CPU path's thread pool pays on this device: measured, not assumed. A pool of Web
//! Workers on a phone's slow little cores, or on a machine busy with other work, can lose to one
//! thread; on two free cores it measured 1.5× faster.

use serde::Serialize;

use super::Backbone;
use crate::Error;
use crate::clock::now_ms;
use crate::device::Backend;
use crate::parallel;
use crate::preprocess::Frame;

/// What [`Backbone::choose_threads`] measured and chose.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Threads {
    /// The threads the CPU path uses from now on.
    pub threads: usize,
    /// Median milliseconds of a pass on the pool, and on the calling thread alone; `None` where
    /// there was no choice to make (a GPU, or a build or device with one thread).
    pub pooled_ms: Option<f64>,
    pub alone_ms: Option<f64>,
}

/// Timed passes each way, after one each to warm up.
const ROUNDS: usize = 3;

impl Backbone {
    /// Times a frame's features with the CPU kernels on the pool and on the calling thread alone,
    /// alternately (so that a busy moment weighs on both), and keeps the faster for every later
    /// pass. The pool keeps ties. Costs about eight passes.
    pub async fn choose_threads(&self) -> Result<Threads, Error> {
        parallel::set_pooled(true);
        let available = parallel::threads();
        if self.compute().backend != Backend::Cpu || available == 1 {
            return Ok(Threads { threads: if self.compute().backend == Backend::Cpu { available } else { 1 }, pooled_ms: None, alone_ms: None });
        }
        let grey = vec![128u8; 224 * 224 * 4];
        let frame = Frame::new(&grey, 224, 224)?;
        let (mut pooled, mut alone) = (Vec::with_capacity(ROUNDS + 1), Vec::with_capacity(ROUNDS + 1));
        for _ in 0..=ROUNDS {
            for (on, times) in [(true, &mut pooled), (false, &mut alone)] {
                parallel::set_pooled(on);
                let start = now_ms();
                let done = self.features(&[frame]).await;
                times.push(now_ms() - start);
                if let Err(e) = done {
                    parallel::set_pooled(true);
                    return Err(e);
                }
            }
        }
        let median = |mut times: Vec<f64>| {
            times.remove(0); // the warm-up
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        };
        let (pooled_ms, alone_ms) = (median(pooled), median(alone));
        let pays = pooled_ms <= alone_ms;
        parallel::set_pooled(pays);
        Ok(Threads { threads: if pays { available } else { 1 }, pooled_ms: Some(pooled_ms), alone_ms: Some(alone_ms) })
    }
}
