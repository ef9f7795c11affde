//! `GlimpseBench`: the benchmark pages' entry points. Only in the `bench` build
//! (`target/bench-pkg`); the page's build (`www/pkg`) has none of it.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::backbone::GlimpseBackbone;
use super::to_js;
use crate::backbone::weights::WEIGHTS_FILE;
use crate::bench::backbone::time_features;
use crate::bench::learning::time_learning;
use crate::{Backbone, DeviceChoice, Frame};

#[wasm_bindgen]
pub struct GlimpseBench {}

#[wasm_bindgen]
impl GlimpseBench {
    /// `GlimpseBackbone.load`, plus the backend `"cpu-burn-depthwise"`: the CPU with Burn's own
    /// depthwise ops, the "before" of the fused kernel.
    pub async fn backbone(weights: Vec<u8>, backend: String) -> Result<GlimpseBackbone, JsValue> {
        let burn_depthwise = backend == "cpu-burn-depthwise";
        let choice = if burn_depthwise { DeviceChoice::Cpu } else { DeviceChoice::parse(&backend)? };
        let mut backbone = Backbone::load_on(choice, &weights, WEIGHTS_FILE).await?;
        if burn_depthwise {
            backbone.use_burn_depthwise()?;
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
