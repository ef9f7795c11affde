//! Glimpse's core: an EfficientNet-Lite backbone (Lite0 or Lite2) that turns camera frames into features, on
//! WebGPU in the browser, natively on wgpu, or on the CPU; and a learner that trains a small
//! head on those features from a few examples per class.
//!
//! Layers, each using only those before it: `device` → `preprocess` → `backbone` (the network)
//! → `learn` (the learning algorithms) → `project` (what a user made, and its file) → `session`
//! (the product API: one method per user action) → `web` (the JS API) and the CLI, both thin.
//! The modules are private: what a front end may use is re-exported below, grouped by what it
//! is for. `bench` (feature `bench`) times the layers for the benchmarks and is not in the
//! product build.

mod backbone;
#[cfg(feature = "bench")]
pub mod bench;
mod clock;
mod device;
mod error;
mod export;
mod learn;
mod parallel;
mod preprocess;
mod project;
mod session;
#[cfg(any(test, feature = "bench"))]
mod synthetic;
#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
// The tests' shared helpers name the crate as its users do.
#[cfg(all(test, not(target_family = "wasm")))]
extern crate self as glimpse;
#[cfg(target_family = "wasm")]
mod web;

// One project on one backbone, one method per user action.
pub use export::{Exported, PREPROCESSING};
pub use session::{Added, ClassSummary, FineTuneEstimate, Hint, Readiness, Session};

// The network, the device it runs on, and the frames it reads.
pub use backbone::concepts::{Meaning, Sense};
pub use backbone::imagenet::ImagenetClass;
pub use backbone::weights::sha256_hex;
pub use backbone::{Backbone, HeatMap, Threads};
pub use backbone::{LITE0, LITE2, NETWORKS, Network};
pub use device::{Backend, ComputeDevice, DeviceChoice};
pub use learn::examples::augment::{Augment, Image};
pub use preprocess::{Frame, Preprocess, View};

// What a user chooses, and what training reports.
pub use learn::examples::store::{ClassId, ExampleId};
pub use learn::heads::auto::{AutoChoice, Candidate};
pub use learn::progress::{EpochStats, Progress, Quiet};
pub use learn::settings::{HeadChoice, HeadKind, Settings, Task};
pub use learn::trained::{Report, TrainingSummary};

// What predicting, evaluating and the tasks give back.
pub use learn::metrics::Evaluation;
pub use learn::predict::{ClassScore, Explained, Object, Prediction};
pub use learn::tasks::adapt::AdaptationSummary;
pub use learn::tasks::anomaly::{AnomalyEvaluation, AnomalyScore};
pub use learn::tasks::counting::score::{ClassFinding, CountEvaluation};
pub use learn::tasks::counting::{Picture, Point};
pub use learn::tasks::grouping::adjusted_rand_index;
pub use project::{FORMAT_VERSION, HeadState, Kind, Proposal, network_of};

// Every refusal, in words for the user.
pub use error::{Error, ProjectError};

// The network itself, for the weights' converter (models/convert) and its measurements.
pub use backbone::efficientnet::EfficientNet;
