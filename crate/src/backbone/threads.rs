//! Whether the CPU path's thread pool pays on this device: measured while it works, not assumed.
//! A pool of Web Workers on a phone's slow little cores, or on a machine busy with other work,
//! can lose to one thread; on two free cores it measured 1.5× faster. A measurement at start-up
//! swings with what else the machine is doing in that second (it chose one thread under the test
//! command's load), so every timed call counts: one in [`EXPLORE`] runs the other way, and each
//! way keeps a moving average of its time per frame.

use std::cell::Cell;

use serde::Serialize;

use super::Backbone;
use crate::Error;
use crate::clock::now_ms;
use crate::device::Backend;
use crate::parallel;

/// One timed call in this many runs the way not chosen (about 4 % of the calls, at most that
/// much slower).
pub const EXPLORE: u32 = 24;
/// Calls each way before the choice may leave the pool.
const SAMPLES: u32 = 3;
/// The weight of the newest call in a moving average.
const WEIGHT: f64 = 0.25;
/// The pool is left only for a clearly faster single thread: 10 % (a pool costs the browser
/// workers and memory).
const MARGIN: f64 = 1.1;

/// What the CPU path uses now, and what it measured each way.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Threads {
    /// The threads the CPU path uses for the calls it chose for (1 where it has no pool).
    pub threads: usize,
    /// Moving averages of milliseconds per frame on the pool and on one thread; `None` until
    /// measured, and where there is no choice (a GPU, a build or device with one thread).
    pub pooled_ms: Option<f64>,
    pub alone_ms: Option<f64>,
}

/// The running choice (see the module's comment).
#[derive(Debug, Default)]
pub(super) struct Chooser {
    calls: Cell<u32>,
    pooled: Average,
    alone: Average,
}

#[derive(Debug, Default)]
struct Average {
    ms: Cell<Option<f64>>,
    samples: Cell<u32>,
}

impl Average {
    fn add(&self, ms: f64) {
        self.ms.set(Some(self.ms.get().map_or(ms, |m| m + WEIGHT * (ms - m))));
        self.samples.set(self.samples.get() + 1);
    }
}

impl Chooser {
    fn pool_pays(&self) -> bool {
        match (self.pooled.ms.get(), self.alone.ms.get()) {
            (Some(pooled), Some(alone)) if self.pooled.samples.get() >= SAMPLES && self.alone.samples.get() >= SAMPLES => pooled <= alone * MARGIN,
            _ => true,
        }
    }

    /// Whether the next call runs on the pool: the choice, except one call in [`EXPLORE`].
    fn next(&self) -> bool {
        let call = self.calls.get();
        self.calls.set(call.wrapping_add(1));
        // The first calls warm the pool up (its workers start on first use).
        let explore = call >= 2 && call % EXPLORE == EXPLORE / 2;
        self.pool_pays() != explore
    }

    fn record(&self, pooled: bool, ms: f64) {
        if pooled { &self.pooled } else { &self.alone }.add(ms);
    }
}

impl Backbone {
    fn has_choice(&self) -> bool {
        self.compute().backend == Backend::Cpu && parallel::available() > 1
    }

    /// Runs `work` (on `frames` frames), timed, on the pool or on one thread as measured so far,
    /// and counts its time towards the choice. Elsewhere (a GPU, one thread) it just runs it.
    pub async fn choosing_threads<T>(&self, frames: usize, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        if !self.has_choice() || frames == 0 {
            return work.await;
        }
        let pooled = self.chooser.next();
        parallel::set_pooled(pooled);
        let start = now_ms();
        let done = work.await;
        let ms = (now_ms() - start) / frames as f64;
        parallel::set_pooled(self.chooser.pool_pays());
        if done.is_ok() {
            self.chooser.record(pooled, ms);
        }
        done
    }

    /// What the CPU path uses now, and what it measured.
    pub fn threads(&self) -> Threads {
        if !self.has_choice() {
            let threads = if self.compute().backend == Backend::Cpu { parallel::available() } else { 1 };
            return Threads { threads, pooled_ms: None, alone_ms: None };
        }
        let c = &self.chooser;
        Threads { threads: if c.pool_pays() { parallel::available() } else { 1 }, pooled_ms: c.pooled.ms.get(), alone_ms: c.alone.ms.get() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which way each of `calls` calls ran, each timed `pooled_ms` or `alone_ms` per frame.
    fn run(chooser: &Chooser, calls: u32, pooled_ms: f64, alone_ms: f64) -> Vec<bool> {
        (0..calls)
            .map(|_| {
                let pooled = chooser.next();
                chooser.record(pooled, if pooled { pooled_ms } else { alone_ms });
                pooled
            })
            .collect()
    }

    #[test]
    fn the_faster_way_is_kept_and_the_other_is_tried_one_call_in_explore() {
        let chooser = Chooser::default();
        // A pool twice as fast: kept, with one call in EXPLORE alone.
        let ways = run(&chooser, 4 * EXPLORE, 20.0, 40.0);
        assert!(ways[..2].iter().all(|&p| p), "the first calls warm the pool up");
        assert_eq!(ways.iter().filter(|&&p| !p).count(), 4, "one call in {EXPLORE} alone: {ways:?}");
        assert!(chooser.pool_pays());
        // The machine gets busy and the pool slows to 60 ms: the moving average follows, and one
        // thread takes over once it is more than 10 % faster.
        let ways = run(&chooser, 4 * EXPLORE, 60.0, 40.0);
        assert!(!chooser.pool_pays());
        assert!(!ways.last().unwrap(), "after the switch calls run alone");
        assert!(ways.iter().filter(|&&p| p).count() < 2 * EXPLORE as usize, "the switch came within a few calls: {ways:?}");
        // Within the margin, the pool is kept.
        let close = Chooser::default();
        run(&close, 4 * EXPLORE, 42.0, 40.0);
        assert!(close.pool_pays(), "a single thread 5 % faster does not leave the pool");
    }
}
