//! `GlimpseLearner`: one project (classes, examples, settings, trained head) on the device of a
//! `GlimpseBackbone`; each method is one call into [`Session`]. The page's worker owns one.

use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use super::backbone::GlimpseBackbone;
use super::{Images, to_js};
use crate::learn::examples::store::THUMBNAIL_SIZE;
use crate::{ClassId, EpochStats, Error, Frame, Point, Prediction, Progress, Session, Settings};

/// One project. Methods that touch the device return Promises; the rest are synchronous and cheap.
#[wasm_bindgen]
pub struct GlimpseLearner {
    session: Rc<Session>,
}

#[wasm_bindgen]
extern "C" {
    // A global of pages and workers alike, bound directly as the clock is (clock.rs).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
}

/// Resolves on the next task of the event loop, so that messages queued during an epoch
/// (a cancel, a capture) are handled before the next one.
async fn next_task() {
    let promise = Promise::new(&mut |resolve, _| drop(set_timeout(&resolve, 0)));
    let _ = JsFuture::from(promise).await;
}

/// Reports each epoch to the page's callback and lets the page's event loop run between epochs.
struct JsProgress {
    on_epoch: Option<Function>,
    /// The layers being fine-tuned, once the head is fitted.
    fine_tuning: Option<String>,
}

/// An epoch as the page's callback gets it: its statistics and, during fine-tuning, which layers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EpochEvent<'a> {
    #[serde(flatten)]
    stats: &'a EpochStats,
    fine_tuning: Option<&'a str>,
}

impl Progress for JsProgress {
    fn epoch(&mut self, stats: &EpochStats) {
        let event = EpochEvent { stats, fine_tuning: self.fine_tuning.as_deref() };
        if let (Some(f), Ok(event)) = (&self.on_epoch, to_js(&event)) {
            // A failing callback is the page's bug; training goes on.
            let _ = f.call1(&JsValue::NULL, &event);
        }
    }

    fn fine_tuning(&mut self, layers: &str) {
        self.fine_tuning = Some(layers.to_string());
    }

    /// Work without epochs (auto's candidates) reaches the callback as `{stage}`.
    fn stage(&mut self, what: &str) {
        #[derive(Serialize)]
        struct Stage<'a> {
            stage: &'a str,
        }
        if let (Some(f), Ok(event)) = (&self.on_epoch, to_js(&Stage { stage: what })) {
            let _ = f.call1(&JsValue::NULL, &event);
        }
    }

    async fn pause(&mut self) {
        next_task().await
    }
}

#[wasm_bindgen]
impl GlimpseLearner {
    /// An empty project (no classes) on `backbone`'s device.
    #[wasm_bindgen(constructor)]
    pub fn new(backbone: &GlimpseBackbone) -> GlimpseLearner {
        Self { session: Rc::new(Session::new(backbone.inner.clone())) }
    }

    /// This project on `backbone` (another network): see [`Session::moved_to`]. Refused while
    /// it has examples.
    #[wasm_bindgen(js_name = movedTo)]
    pub fn moved_to(&self, backbone: &GlimpseBackbone) -> Result<GlimpseLearner, JsValue> {
        Ok(Self { session: Rc::new(self.session.moved_to(backbone.inner.clone())?) })
    }

    /// The id of the network a project, model or stored skeleton was made with, read before
    /// opening it: what to load for it.
    #[wasm_bindgen(js_name = networkOf)]
    pub fn network_of(bytes: &[u8]) -> Result<String, JsValue> {
        Ok(crate::network_of(bytes).map_err(Error::from)?.id.to_string())
    }

    /// Side of the square thumbnails.
    #[wasm_bindgen(js_name = thumbnailSize, getter)]
    pub fn thumbnail_size() -> u32 {
        THUMBNAIL_SIZE
    }

    /// Replaces the project with a new one holding two empty classes, "Class 1" and "Class 2".
    #[wasm_bindgen(js_name = newProject)]
    pub fn new_project(&self) -> Result<(), JsValue> {
        Ok(self.session.new_project()?)
    }

    /// `[{id, name, examples: [exampleId…]}]` in display order.
    pub fn classes(&self) -> Result<JsValue, JsValue> {
        to_js(&self.session.classes())
    }

    /// Adds a class; without a name it is called "Class N" with the first free N. Returns its id.
    #[wasm_bindgen(js_name = addClass)]
    pub fn add_class(&self, name: Option<String>) -> Result<u32, JsValue> {
        Ok(self.session.add_class(name.as_deref())?)
    }

    /// What `name` would cover as a class without examples, in a line to show as it is typed:
    /// `{text, warning}`.
    #[wasm_bindgen(js_name = namePreview)]
    pub fn name_preview(name: &str) -> Result<JsValue, JsValue> {
        to_js(&Session::name_preview(name))
    }

    /// Picks the sense of a class's name (an id from its `senses`) that predicts it.
    #[wasm_bindgen(js_name = setSense)]
    pub fn set_sense(&self, id: u32, sense: u32) -> Result<(), JsValue> {
        Ok(self.session.set_sense(id, sense)?)
    }

    /// Whether live predictions work: `{ready, hint: {text, warning}, trainable}`; `hint` says
    /// what to do when they do not.
    #[wasm_bindgen(getter)]
    pub fn readiness(&self) -> Result<JsValue, JsValue> {
        to_js(&self.session.readiness())
    }

    /// Frames of a new camera needed to adapt to it.
    #[wasm_bindgen(js_name = adaptMinFrames, getter)]
    pub fn adapt_min_frames() -> usize {
        Session::MIN_ADAPT_FRAMES
    }

    /// The most epochs a training with the current settings reports (a progress bar's end).
    #[wasm_bindgen(js_name = maxEpochs, getter)]
    pub fn max_epochs(&self) -> u32 {
        self.session.max_epochs()
    }

    #[wasm_bindgen(js_name = renameClass)]
    pub fn rename_class(&self, id: u32, name: &str) -> Result<(), JsValue> {
        Ok(self.session.rename_class(id, name)?)
    }

    /// Deletes a class and its examples; `undoDelete()` brings the last one back.
    #[wasm_bindgen(js_name = deleteClass)]
    pub fn delete_class(&self, id: u32) -> Result<(), JsValue> {
        Ok(self.session.delete_class(id)?)
    }

    #[wasm_bindgen(js_name = undoDelete)]
    pub fn undo_delete(&self) -> Result<bool, JsValue> {
        Ok(self.session.undo_delete()?)
    }

    #[wasm_bindgen(js_name = moveClass)]
    pub fn move_class(&self, id: u32, position: usize) -> Result<(), JsValue> {
        Ok(self.session.move_class(id, position)?)
    }

    #[wasm_bindgen(js_name = clearClass)]
    pub fn clear_class(&self, id: u32) -> Result<(), JsValue> {
        Ok(self.session.clear_class(id)?)
    }

    /// Groups of similar captures among a class's examples, `groups` of them or as many as
    /// separate best: `{groups: [[exampleId…]…], silhouettes: [[k, score]…]}`, largest first.
    pub fn group(&self, class: u32, groups: Option<usize>) -> Result<JsValue, JsValue> {
        to_js(&self.session.group(class, groups)?)
    }

    /// Moves examples of class `from` into classes by name (`[{name, examples: [id…]}]`), made
    /// where missing; `from` goes when emptied. Returns the classes' ids.
    #[wasm_bindgen(js_name = sortInto)]
    pub fn sort_into(&self, from: u32, groups: JsValue) -> Result<Vec<u32>, JsValue> {
        #[derive(serde::Deserialize)]
        struct Group {
            name: String,
            examples: Vec<u32>,
        }
        let groups: Vec<Group> = serde_wasm_bindgen::from_value(groups).map_err(|e| Error::Inconsistent(format!("groups: {e}")))?;
        let groups: Vec<(String, Vec<u32>)> = groups.into_iter().map(|g| (g.name, g.examples)).collect();
        Ok(self.session.sort_into(from, &groups)?)
    }

    #[wasm_bindgen(js_name = deleteExample)]
    pub fn delete_example(&self, id: u32) -> Result<(), JsValue> {
        Ok(self.session.delete_example(id)?)
    }

    /// The example's thumbnail as RGBA bytes (`thumbnailSize` squared × 4), for an `ImageData`.
    pub fn thumbnail(&self, id: u32) -> Result<Vec<u8>, JsValue> {
        Ok(self.session.thumbnail(id)?)
    }

    /// A frame captured for counting, to place points on: `{width, height, rgba}` (at most
    /// 160 pixels a side; points are fractions of it, as of the frame).
    pub fn picture(&self, id: u32) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        struct Picture {
            width: u32,
            height: u32,
            rgba: Vec<u8>,
        }
        let p = self.session.picture(id)?;
        to_js(&Picture { width: p.width, height: p.height, rgba: p.rgba() })
    }

    /// The objects' centres placed on a frame captured for counting: `[{class, x, y}]`.
    pub fn points(&self, id: u32) -> Result<JsValue, JsValue> {
        to_js(&self.session.points(id)?)
    }

    /// Places the objects' centres on a frame captured for counting (`[{class, x, y}]`, x and y
    /// fractions of its width and height), replacing those it had.
    #[wasm_bindgen(js_name = setPoints)]
    pub fn set_points(&self, id: u32, points: JsValue) -> Result<(), JsValue> {
        let points: Vec<Point> = serde_wasm_bindgen::from_value(points).map_err(|e| Error::Settings(format!("points: {e}")))?;
        Ok(self.session.set_points(id, points)?)
    }

    /// Captures one RGBA frame into a class (with the augmented views the settings ask for):
    /// resolves to `{ids, ms}`.
    pub fn capture(&self, class: u32, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move { to_js(&session.capture(class, Frame::new(&rgba, width, height)?).await?) })
    }

    /// The learning settings (see `Settings` in the Rust docs; camelCase fields).
    pub fn settings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.session.settings())
    }

    /// Replaces the settings; fields left out take their defaults. Refuses invalid values.
    #[wasm_bindgen(js_name = setSettings)]
    pub fn set_settings(&self, settings: JsValue) -> Result<(), JsValue> {
        let settings: Settings = serde_wasm_bindgen::from_value(settings).map_err(|e| Error::Settings(format!("settings: {e}")))?;
        Ok(self.session.set_settings(settings)?)
    }

    /// `"none"`, `"current"` or `"stale"` (classes changed since training).
    #[wasm_bindgen(js_name = headState, getter)]
    pub fn head_state(&self) -> JsValue {
        // A unit variant always serialises.
        to_js(&self.session.head_state()).unwrap_or_default()
    }

    /// True while a training runs.
    #[wasm_bindgen(getter)]
    pub fn training(&self) -> bool {
        self.session.training()
    }

    /// The last training: `{head, classes, history, stop, bestEpoch, evaluation}` or `null`.
    #[wasm_bindgen(js_name = lastTraining)]
    pub fn last_training(&self) -> Result<JsValue, JsValue> {
        to_js(&self.session.last_training())
    }

    /// What fine-tuning `depth` layers would cost: `{depth, msPerExample, examples,
    /// secondsPerEpoch}`, from one training step timed on this device.
    #[wasm_bindgen(js_name = fineTuneCost)]
    pub fn fine_tune_cost(&self, depth: u32) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move { to_js(&session.fine_tune_cost(depth).await?) })
    }

    /// Trains the head the settings name on every example, then fine-tunes the layers they ask
    /// for. `onEpoch({epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy,
    /// fineTuning})` is called after each epoch (`fineTuning`: the layers, in words, once the
    /// head is fitted; null before). Resolves
    /// to the same summary as `lastTraining()`; rejects when cancelled (the previous head stays).
    pub fn train(&self, on_epoch: Option<Function>) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move { to_js(&session.train(&mut JsProgress { on_epoch, fine_tuning: None }).await?) })
    }

    /// Stops a running training after its current epoch.
    #[wasm_bindgen(js_name = cancelTraining)]
    pub fn cancel_training(&self) {
        self.session.cancel_training()
    }

    /// Classifies one RGBA frame: `{classes: [{id, name, probability}], best, unknown, ms}`.
    pub fn predict(&self, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move { to_js(&session.predict(&[Frame::new(&rgba, width, height)?]).await?[0]) })
    }

    /// Classifies one RGBA frame and shows where its most probable class was seen:
    /// `{prediction, map: {class, side, rgba, whole}}`, `rgba` a `side × side` picture (viridis,
    /// more opaque where the evidence is stronger) to scale over the frame's centre square, or
    /// over the whole frame when `whole` (a counter's cells).
    pub fn explain(&self, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        #[derive(serde::Serialize)]
        struct Map {
            class: ClassId,
            side: usize,
            rgba: Vec<u8>,
            whole: bool,
        }
        #[derive(serde::Serialize)]
        struct Explained<'a> {
            prediction: &'a Prediction,
            map: Map,
        }
        let session = self.session.clone();
        future_to_promise(async move {
            let e = session.explain(&[Frame::new(&rgba, width, height)?]).await?.remove(0);
            let map = Map { class: e.prediction.top().id, side: e.map.side, rgba: e.map.rgba(), whole: e.prediction.objects.is_some() };
            to_js(&Explained { prediction: &e.prediction, map })
        })
    }

    /// Classifies several images in one batch: `images` is `[{rgba, width, height}]`.
    #[wasm_bindgen(js_name = predictBatch)]
    pub fn predict_batch(&self, images: js_sys::Array) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move {
            let images = Images::from_js(&images)?;
            to_js(&session.predict(&images.frames()?).await?)
        })
    }

    /// The features the trained head reads for one RGBA frame, before any adaptation (1280
    /// floats): collect some from a new camera, then pass them all to `adapt`.
    pub fn features(&self, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move {
            let features = session.features(&[Frame::new(&rgba, width, height)?]).await?;
            Ok(js_sys::Float32Array::from(features.as_slice()).into())
        })
    }

    /// Adapts predictions to the camera `features` (frames × 1280, from `features`) came from,
    /// made at `made` (`Date.now()`): `{frames, made, applies}`. Replaces an earlier adaptation.
    pub fn adapt(&self, features: Vec<f32>, made: f64) -> Result<JsValue, JsValue> {
        to_js(&self.session.adapt(&features, made)?)
    }

    /// Predictions as before adapting; false when there was no adaptation.
    #[wasm_bindgen(js_name = removeAdaptation)]
    pub fn remove_adaptation(&self) -> bool {
        self.session.remove_adaptation()
    }

    /// `{frames, made, applies}` of the adaptation in use, or null. `applies` is false when the
    /// head was retrained through other fine-tuned layers since.
    pub fn adaptation(&self) -> Result<JsValue, JsValue> {
        to_js(&self.session.adaptation())
    }

    /// The whole project as a file (`.glimpse`).
    pub fn save(&self) -> Vec<u8> {
        self.session.save()
    }

    /// The project as the worker stores it in IndexedDB: this skeleton, and a record per
    /// example (`exampleRecord`), written once, so that a save does not grow with the project.
    pub fn skeleton(&self) -> Vec<u8> {
        self.session.save_skeleton()
    }

    /// Every example's id, in display order (what the stored records must cover).
    #[wasm_bindgen(js_name = exampleIds)]
    pub fn example_ids(&self) -> Vec<u32> {
        self.session.example_ids()
    }

    #[wasm_bindgen(js_name = exampleRecord)]
    pub fn example_record(&self, id: u32) -> Result<Vec<u8>, JsValue> {
        Ok(self.session.example_record(id)?)
    }

    /// Opens what `skeleton` and `exampleRecord` stored (`records`: an array of their bytes, in
    /// any order). On error nothing changes.
    #[wasm_bindgen(js_name = openStored)]
    pub fn open_stored(&self, skeleton: &[u8], records: Vec<js_sys::Uint8Array>) -> Result<(), JsValue> {
        let records: Vec<Vec<u8>> = records.iter().map(|r| r.to_vec()).collect();
        Ok(self.session.open_stored(skeleton, &records)?)
    }

    /// Classes and trained head only, for classifying on another page.
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Result<Vec<u8>, JsValue> {
        Ok(self.session.export_model()?)
    }

    /// The model as an ONNX file (see the README's "Use your model elsewhere"): resolves to its bytes.
    #[wasm_bindgen(js_name = exportOnnx)]
    pub fn export_onnx(&self) -> Promise {
        let session = self.session.clone();
        future_to_promise(async move { Ok(js_sys::Uint8Array::from(session.export_onnx().await?.bytes.as_slice()).into()) })
    }

    /// The class names predictions are about, in their order.
    #[wasm_bindgen(js_name = headClasses)]
    pub fn head_classes(&self) -> Result<Vec<String>, JsValue> {
        Ok(self.session.head_classes()?.into_iter().map(|(_, name)| name).collect())
    }

    /// Opens a project (replaces this one) or a model-only file (keeps the examples of classes
    /// with the same names). Returns `"project"` or `"modelOnly"`. On error nothing changes.
    pub fn open(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        to_js(&self.session.open(bytes)?)
    }
}
