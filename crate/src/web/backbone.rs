//! `GlimpseBackbone`: the pretrained network on the chosen device.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::to_js;
use crate::{Backbone, DeviceChoice, Frame, NETWORKS, Network};

/// The pretrained backbone, loaded on one device. Methods return Promises.
#[wasm_bindgen]
pub struct GlimpseBackbone {
    pub(super) inner: Rc<Backbone>,
}

#[wasm_bindgen]
impl GlimpseBackbone {
    /// Loads `network` (an id of [`GlimpseBackbone::networks`]) from its weights file's bytes on
    /// `backend`: `"webgpu"`, `"cpu"`, or `"auto"` (WebGPU on a hardware adapter, else the CPU,
    /// which is far faster than a software adapter).
    pub async fn load(weights: Vec<u8>, backend: String, network: String) -> Result<GlimpseBackbone, JsValue> {
        let network = Network::find(&network)?;
        let backbone = Backbone::load_on(DeviceChoice::parse(&backend)?, network, &weights, network.weights_file).await?;
        Ok(Self { inner: Rc::new(backbone) })
    }

    /// The networks this build runs, the default first: `[{id, name, title, input,
    /// imagenetTop1, weightsFile, weightsBytes, weightsSha256}]`.
    #[wasm_bindgen(getter)]
    pub fn networks() -> Result<JsValue, JsValue> {
        to_js(&NETWORKS)
    }

    /// The id of the network loaded (`"lite0"`).
    #[wasm_bindgen(getter)]
    pub fn network(&self) -> String {
        self.inner.network().id.to_string()
    }

    /// The threads the CPU path uses now, as measured while classifying: `{threads, pooledMs,
    /// aloneMs}` (the times `undefined` until measured, or where there is nothing to choose).
    /// Only in the threaded build: the others have no pool.
    #[cfg(feature = "threads")]
    #[wasm_bindgen(getter)]
    pub fn threads(&self) -> Result<JsValue, JsValue> {
        Ok(to_js(&self.inner.threads())?)
    }

    /// Why the CPU runs the model rather than WebGPU; `undefined` on WebGPU.
    #[wasm_bindgen(getter, js_name = fallbackReason)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.inner.compute().fallback.clone()
    }

    /// `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> JsValue {
        // A unit variant always serialises.
        to_js(&self.inner.compute().backend).unwrap_or_default()
    }

    /// The adapter's name, e.g. "SwiftShader Device (Subzero)".
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.compute().adapter.clone()
    }

    /// True when the adapter is a software rasteriser (the CPU path is then faster).
    #[wasm_bindgen(getter)]
    pub fn software(&self) -> bool {
        self.inner.compute().software
    }

    /// The five most probable ImageNet classes of one RGBA frame: `[{index, label, probability}]`.
    #[wasm_bindgen(js_name = imagenetTop5)]
    pub fn imagenet_top5(&self, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let top = inner.imagenet_top_k(&[Frame::new(&rgba, width, height)?], 5).await?;
            to_js(&top[0])
        })
    }
}
