//! What a training tells its caller, and how the caller stops it. Kept apart, as burn-train
//! keeps its interrupter apart from its event reporting: reporting is the front end's business,
//! stopping is the session's.

use std::cell::Cell;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::Error;

/// One epoch's figures, as training curves draw them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochStats {
    pub epoch: u32,
    pub train_loss: f32,
    pub train_accuracy: f32,
    pub validation_loss: Option<f32>,
    pub validation_accuracy: Option<f32>,
}

/// Where training reports, between its steps. Only `pause` must be written.
pub trait Progress {
    /// After every epoch of the user's training.
    fn epoch(&mut self, _stats: &EpochStats) {}
    /// Once, when the head is fitted and fine-tuning `layers` (in words) begins; the epochs
    /// reported after it are fine-tuning epochs.
    fn fine_tuning(&mut self, _layers: &str) {}
    /// What slow work that reports no epochs is doing now, in words (see `heads::auto`).
    fn stage(&mut self, _what: &str) {}
    /// Lets the caller's event loop run (a browser's, so that the page stays responsive).
    fn pause(&mut self) -> impl Future<Output = ()>;
}

/// Progress that is not reported (tests, batch jobs).
pub struct Quiet;

impl Progress for Quiet {
    async fn pause(&mut self) {}
}

/// Asks a running training to stop at its next step.
#[derive(Debug, Default)]
pub struct Interrupter(Cell<bool>);

impl Interrupter {
    pub fn stop(&self) {
        self.0.set(true);
    }

    pub fn reset(&self) {
        self.0.set(false);
    }

    pub fn stopped(&self) -> bool {
        self.0.get()
    }
}

/// One training's progress and interrupter, handed down through its steps.
pub struct Run<'a, P> {
    progress: &'a mut P,
    interrupter: &'a Interrupter,
    reported: bool,
}

impl<'a, P: Progress> Run<'a, P> {
    pub fn new(progress: &'a mut P, interrupter: &'a Interrupter) -> Self {
        Self { progress, interrupter, reported: true }
    }

    /// The same run with its epochs and stages unreported: for trainings that are not the user's
    /// (auto's candidates, the negative-transfer check's baselines). It still stops and pauses.
    pub fn unreported(&mut self) -> Run<'_, P> {
        Run { progress: self.progress, interrupter: self.interrupter, reported: false }
    }

    /// Reports an epoch; `Err(Cancelled)` once the run was asked to stop.
    pub fn epoch(&mut self, stats: &EpochStats) -> Result<(), Error> {
        if self.reported {
            self.progress.epoch(stats);
        }
        self.check()
    }

    /// `Err(Cancelled)` once the run was asked to stop.
    pub fn check(&self) -> Result<(), Error> {
        if self.interrupter.stopped() { Err(Error::Cancelled) } else { Ok(()) }
    }

    pub fn stage(&mut self, what: &str) {
        if self.reported {
            self.progress.stage(what);
        }
    }

    pub fn fine_tuning(&mut self, layers: &str) {
        if self.reported {
            self.progress.fine_tuning(layers);
        }
    }

    pub async fn pause(&mut self) {
        self.progress.pause().await
    }
}
