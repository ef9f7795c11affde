//! `GlimpseBench`: the benchmark pages' entry points. Only in the `bench` build
//! (`target/bench-pkg`); the page's build (`www/pkg`) has none of it.

use std::rc::Rc;

use js_sys::{Float32Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::backbone::GlimpseBackbone;
use super::{Images, to_js};
use crate::backbone::CpuKernels;
use crate::bench::backbone::time_features;
use crate::bench::learning::time_learning;
use crate::{Backbone, DeviceChoice, Frame, Network};

#[wasm_bindgen]
pub struct GlimpseBench {}

#[wasm_bindgen]
impl GlimpseBench {
    /// `GlimpseBackbone.load`, plus two "befores" of the CPU kernels: the backend
    /// `"cpu-burn-pointwise"` (Burn's 1×1 convs, the fused depthwise kernel) and
    /// `"cpu-burn-depthwise"` (Burn's ops everywhere).
    pub async fn backbone(weights: Vec<u8>, backend: String, network: String) -> Result<GlimpseBackbone, JsValue> {
        let network = Network::find(&network)?;
        let before = match backend.as_str() {
            "cpu-burn-pointwise" => Some(CpuKernels::Depthwise),
            "cpu-burn-depthwise" => Some(CpuKernels::None),
            _ => None,
        };
        let choice = if before.is_some() { DeviceChoice::Cpu } else { DeviceChoice::parse(&backend)? };
        let mut backbone = Backbone::load_on(choice, network, &weights, network.weights_file).await?;
        if let Some(kernels) = before {
            backbone.use_cpu_kernels(kernels)?;
        }
        Ok(GlimpseBackbone { inner: Rc::new(backbone) })
    }

    /// Times feature extraction on `batch` copies of a frame: `{batch, coldMsPerFrame,
    /// warmMsPerFrame, ops: {input, stem, pointwise, depthwise, elementwise, pool, readback, sync}}`
    /// (ops: milliseconds per batch, op by op).
    pub fn features(backbone: &GlimpseBackbone, rgba: Vec<u8>, width: u32, height: u32, batch: usize, iterations: usize) -> Promise {
        let inner = backbone.inner.clone();
        future_to_promise(async move {
            let frames = vec![Frame::new(&rgba, width, height)?; batch.max(1)];
            to_js(&time_features(&inner, &frames, iterations).await?)
        })
    }

    /// Trains the default head 50 epochs on `examples` synthetic features on this device and
    /// times single predictions: `{examples, epochs, msPerEpoch, msTotal, msPerPrediction}`.
    pub fn learning(backbone: &GlimpseBackbone, examples: usize) -> Promise {
        let inner = backbone.inner.clone();
        future_to_promise(async move { to_js(&time_learning(examples, inner.device()).await?) })
    }
}

/// What only the benchmark pages ask of the backbone: features and the preprocessed input,
/// to set beside another engine's.
#[wasm_bindgen]
impl GlimpseBackbone {
    /// The 1280 pooled features of each image of `[{rgba, width, height}]`, computed as one batch:
    /// a `Float32Array` of `N × 1280`, row-major.
    pub fn features(&self, images: js_sys::Array) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let images = Images::from_js(&images)?;
            let features = inner.features(&images.frames()?).await?;
            Ok(Float32Array::from(features.as_slice()).into())
        })
    }

    /// The normalised `3 × S × S` input the network sees for one RGBA frame (channel-major),
    /// so that another engine can be given exactly the same input.
    pub fn preprocess(&self, rgba: Vec<u8>, width: u32, height: u32) -> Result<Float32Array, JsValue> {
        Ok(Float32Array::from(self.inner.preprocess().apply(Frame::new(&rgba, width, height)?).as_slice()))
    }
}
