//! Glimpse's core: an EfficientNet-Lite0 backbone that turns camera frames into features, on
//! WebGPU in the browser, natively on wgpu, or on the CPU.

pub mod backbone;
pub mod device;
mod error;
pub mod preprocess;

pub use backbone::Backbone;
pub use device::{Backend, ComputeDevice};
pub use error::Error;
pub use preprocess::{Frame, Preprocess};

#[cfg(target_family = "wasm")]
mod web;
