//! Glimpse's core: an EfficientNet-Lite0 backbone that turns camera frames into features, on
//! WebGPU in the browser, natively on wgpu, or on the CPU; and a learner that trains a small
//! head on those features from a few examples per class.
//!
//! Layers, each using only those before it: `device` → `preprocess` → `backbone` (the network)
//! → `learn` (the learning algorithms) → `project` (what a user made, and its file) → `session`
//! (the product API: one method per user action) → `web` (the JS API) and the CLI, both thin.
//! `bench` (feature `bench`) times the layers for the benchmarks and is not in the product build.

pub mod backbone;
#[cfg(feature = "bench")]
pub mod bench;
pub mod clock;
pub mod device;
mod error;
pub mod learn;
pub mod preprocess;
pub mod project;
pub mod session;

pub use backbone::{Backbone, HeatMap};
pub use device::{Backend, ComputeDevice, DeviceChoice};
pub use error::Error;
pub use learn::predict::Prediction;
pub use preprocess::{Frame, Preprocess};
pub use session::Session;

#[cfg(target_family = "wasm")]
mod web;
