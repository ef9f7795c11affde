//! `GlimpseBackbone`: the pretrained network on the chosen device.

use std::rc::Rc;

use js_sys::{Float32Array, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backbone::profile::{OpKinds, time_features};
use super::{images_of, js_error};
use crate::clock::now_ms;
use crate::{Backbone, Backend, ComputeDevice, Error, Frame};

/// Which device to run on: `"webgpu"`, `"cpu"`, or `"auto"`: WebGPU on a hardware adapter, the
/// CPU when there is none or when the adapter is a software fallback (SwiftShader, lavapipe),
/// where Lite0 measured ~40x slower than the wasm CPU path.
/// Returns the device and, when it is the CPU, why.
async fn choose_device(backend: &str) -> Result<(ComputeDevice, Option<String>), Error> {
    match backend {
        "cpu" => Ok((ComputeDevice::cpu(), Some("the CPU was asked for".into()))),
        "webgpu" => Ok((ComputeDevice::wgpu().await?, None)),
        "auto" => Ok(match ComputeDevice::wgpu().await {
            Ok(gpu) if !gpu.software => (gpu, None),
            Ok(_) => (ComputeDevice::cpu(), Some("the only WebGPU adapter is a slow software one".into())),
            Err(_) => (ComputeDevice::cpu(), Some("this browser offers no WebGPU adapter".into())),
        }),
        other => Err(Error::Gpu(format!("unknown backend {other:?} (webgpu, cpu or auto)"))),
    }
}

#[derive(Serialize)]
struct ClassJs {
    index: usize,
    label: &'static str,
    probability: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TimingJs {
    batch: usize,
    cold_ms_per_frame: f64,
    warm_ms_per_frame: f64,
    /// Milliseconds per batch by op kind (see `OpKinds`).
    ops: OpKinds,
}

/// The pretrained backbone, loaded on one device. Methods return Promises.
#[wasm_bindgen]
pub struct GlimpseBackbone {
    pub(crate) inner: Rc<(Backbone, ComputeDevice)>,
    fallback_reason: Option<String>,
}

#[wasm_bindgen]
impl GlimpseBackbone {
    /// Loads the Lite0 weights (the bytes of `efficientnet-lite0.bpk`) on `backend`.
    pub async fn load(weights: Vec<u8>, backend: String) -> Result<GlimpseBackbone, JsValue> {
        let (device, fallback_reason) = choose_device(&backend).await.map_err(js_error)?;
        let backbone = Backbone::load(&weights, "efficientnet-lite0.bpk", &device.device).map_err(js_error)?;
        Ok(Self { inner: Rc::new((backbone, device)), fallback_reason })
    }

    /// Benchmarks only: runs the depthwise stages with Burn's ops instead of the fused CPU
    /// kernel (the "before" of that change). Call before any other method.
    #[wasm_bindgen(js_name = useBurnDepthwise)]
    pub fn use_burn_depthwise(&mut self) -> Result<(), JsValue> {
        let (backbone, _) = Rc::get_mut(&mut self.inner).ok_or_else(|| JsError::new("the backbone is in use"))?;
        backbone.use_burn_depthwise().map_err(js_error)
    }

    /// Why the CPU runs the model rather than WebGPU; `undefined` on WebGPU.
    #[wasm_bindgen(getter, js_name = fallbackReason)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.fallback_reason.clone()
    }

    /// `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        match self.inner.1.backend {
            Backend::Wgpu => "webgpu".into(),
            Backend::Cpu => "cpu".into(),
        }
    }

    /// The adapter's name, e.g. "SwiftShader Device (Subzero)".
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.1.adapter.clone()
    }

    /// True when the adapter is a software rasteriser (the CPU path is then faster).
    #[wasm_bindgen(getter)]
    pub fn software(&self) -> bool {
        self.inner.1.software
    }

    /// The 1280 pooled features of each image of `[{rgba, width, height}]`, computed as one batch:
    /// a `Float32Array` of `N × 1280`, row-major.
    pub fn features(&self, images: js_sys::Array) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let owned = images_of(&images)?;
            let frames = owned.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h)).collect::<Result<Vec<_>, _>>().map_err(js_error)?;
            let features = inner.0.features(&frames).await.map_err(js_error)?;
            Ok(Float32Array::from(features.as_slice()).into())
        })
    }

    /// The normalised `3 × 224 × 224` input the network sees for one RGBA frame (channel-major),
    /// so that another engine can be given exactly the same input.
    pub fn preprocess(&self, rgba: Vec<u8>, width: u32, height: u32) -> Result<Float32Array, JsValue> {
        let frame = Frame::new(&rgba, width, height).map_err(js_error)?;
        Ok(Float32Array::from(self.inner.0.preprocess().batch(&[frame]).as_slice()))
    }

    /// The five most probable ImageNet classes of one RGBA frame: `[{index, label, probability}]`.
    #[wasm_bindgen(js_name = imagenetTop5)]
    pub fn imagenet_top5(&self, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let frame = Frame::new(&rgba, width, height).map_err(js_error)?;
            let top = inner.0.imagenet_top_k(&[frame], 5).await.map_err(js_error)?;
            let top: Vec<ClassJs> =
                top[0].iter().map(|c| ClassJs { index: c.index, label: c.label, probability: c.probability }).collect();
            Ok(serde_wasm_bindgen::to_value(&top)?)
        })
    }

    /// Times feature extraction on `batch` copies of a frame: `{batch, coldMsPerFrame,
    /// warmMsPerFrame, ops: {input, stem, pointwise, depthwise, elementwise, pool, readback, sync}}`
    /// (ops: milliseconds per batch, op by op).
    pub fn bench(&self, rgba: Vec<u8>, width: u32, height: u32, batch: usize, iterations: usize) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let frame = Frame::new(&rgba, width, height).map_err(js_error)?;
            let frames = vec![frame; batch.max(1)];
            let t = time_features(&inner.0, &frames, iterations, &now_ms).await.map_err(js_error)?;
            let t = TimingJs {
                batch: t.batch,
                cold_ms_per_frame: t.cold_ms_per_frame,
                warm_ms_per_frame: t.warm_ms_per_frame,
                ops: t.ops,
            };
            Ok(serde_wasm_bindgen::to_value(&t)?)
        })
    }

    /// Trains the default head 50 epochs on `examples` synthetic features on this device and
    /// times single predictions: `{examples, epochs, msPerEpoch, msTotal, msPerPrediction}`.
    #[wasm_bindgen(js_name = benchLearning)]
    pub fn bench_learning(&self, examples: usize) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let t = crate::learn::profile::time_learning(examples, inner.0.device(), &now_ms).await.map_err(js_error)?;
            Ok(serde_wasm_bindgen::to_value(&t)?)
        })
    }
}
