//! Glimpse's core: an EfficientNet-Lite0 backbone that turns camera frames into features, on
//! WebGPU in the browser, natively on wgpu, or on the CPU; and a learner that trains a small
//! head on those features from a few examples per class.

pub mod backbone;
pub mod clock;
pub mod device;
mod error;
pub mod learn;
pub mod learner;
pub mod preprocess;
pub mod project;

pub use backbone::Backbone;
pub use device::{Backend, ComputeDevice};
pub use error::Error;
pub use learner::{Learner, Prediction, Predictor};
pub use preprocess::{Frame, Preprocess};

#[cfg(target_family = "wasm")]
mod web;
