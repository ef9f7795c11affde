//! Tests that reach inside the core, whose modules are private: the heads and their training,
//! heat maps, fine-tuning, the project file, the network against its independent reference, the
//! weights and the names' table. The tests of the public API are in `crate/tests/`; both share
//! `crate/tests/common` (written against the public API, so it compiles in either place).

#[path = "../../tests/common/mod.rs"]
mod common;

use crate::learn::progress::{Interrupter, Quiet, Run};
use crate::learn::recipe;
use crate::learn::trained::Trained;
use crate::project::Project;
use crate::{ComputeDevice, Error};

/// Trains `project` as a session does, on the CPU.
fn train(project: &Project) -> Result<Trained, Error> {
    let lessons = project.lessons(&crate::backbone::LITE0)?;
    let backbone = common::backbone(&ComputeDevice::cpu());
    let interrupter = Interrupter::default();
    let mut quiet = Quiet;
    let mut run = Run::new(&mut quiet, &interrupter);
    pollster::block_on(recipe::train(lessons, &project.settings, backbone.model(), backbone.device(), &mut run))
}

mod explain;
mod fine_tune;
mod learn;
mod project;
mod reference;
mod threads;
mod weights;
mod zero_shot;
