//! `GlimpseLearner`: classes, examples, training and prediction for one project, on the device of
//! a `GlimpseBackbone`. The page's worker owns one.

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::backbone::GlimpseBackbone;
use super::{images_of, js_error};
use crate::clock::now_ms;
use crate::learn::examples::{Class, THUMBNAIL_SIZE};
use crate::learn::{train, EpochStats, Progress, Settings};
use crate::learner::{capture, HeadState};
use crate::project::Kind;
use crate::{Backbone, ComputeDevice, Error, Frame, Learner};

type Shared = Rc<(Backbone, ComputeDevice)>;

/// One project: its classes and examples, settings, trained head. Methods that touch the device
/// return Promises; the rest are synchronous and cheap.
#[wasm_bindgen]
pub struct GlimpseLearner {
    backbone: Shared,
    learner: Rc<RefCell<Learner>>,
    cancel: Rc<Cell<bool>>,
    training: Rc<Cell<bool>>,
    deleted: RefCell<Option<(usize, Class)>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClassJs<'a> {
    id: u32,
    name: &'a str,
    /// Example ids, oldest first.
    examples: Vec<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddedJs {
    ids: Vec<u32>,
    ms: f64,
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    // Maps become plain objects and `None` becomes `null`, which is what page code expects.
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    value.serialize(&serializer).map_err(Into::into)
}

/// Resolves on the next task of the event loop, so that messages queued during an epoch
/// (a cancel, a capture) are handled before the next one.
async fn next_task() {
    let promise = Promise::new(&mut |resolve, _| {
        let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into()).ok().and_then(|f| f.dyn_into::<Function>().ok());
        match set_timeout {
            Some(f) => drop(f.call2(&JsValue::NULL, &resolve, &JsValue::from(0))),
            None => drop(resolve.call0(&JsValue::NULL)),
        }
    });
    let _ = JsFuture::from(promise).await;
}

struct JsProgress {
    on_epoch: Option<Function>,
    cancel: Rc<Cell<bool>>,
}

impl Progress for JsProgress {
    fn epoch(&mut self, stats: &EpochStats) -> ControlFlow<()> {
        if let (Some(f), Ok(stats)) = (&self.on_epoch, to_js(stats)) {
            // A failing callback is the page's bug; training goes on.
            let _ = f.call1(&JsValue::NULL, &stats);
        }
        if self.cancel.get() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }

    async fn pause(&mut self) {
        next_task().await
    }
}

#[wasm_bindgen]
impl GlimpseLearner {
    /// An empty project on `backbone`'s device.
    #[wasm_bindgen(constructor)]
    pub fn new(backbone: &GlimpseBackbone) -> GlimpseLearner {
        Self {
            backbone: backbone.inner.clone(),
            learner: Rc::new(RefCell::new(Learner::new())),
            cancel: Rc::new(Cell::new(false)),
            training: Rc::new(Cell::new(false)),
            deleted: RefCell::new(None),
        }
    }

    /// Side of the square thumbnails.
    #[wasm_bindgen(js_name = thumbnailSize, getter)]
    pub fn thumbnail_size() -> u32 {
        THUMBNAIL_SIZE
    }

    /// `[{id, name, examples: [exampleId…]}]` in display order.
    pub fn classes(&self) -> Result<JsValue, JsValue> {
        let learner = self.learner.borrow();
        let classes: Vec<ClassJs> = learner
            .examples()
            .classes()
            .iter()
            .map(|c| ClassJs { id: c.id, name: &c.name, examples: c.examples.iter().map(|e| e.id).collect() })
            .collect();
        to_js(&classes)
    }

    #[wasm_bindgen(js_name = addClass)]
    pub fn add_class(&self, name: &str) -> Result<u32, JsValue> {
        self.learner.borrow_mut().examples_mut().add_class(name).map_err(js_error)
    }

    #[wasm_bindgen(js_name = renameClass)]
    pub fn rename_class(&self, id: u32, name: &str) -> Result<(), JsValue> {
        self.learner.borrow_mut().examples_mut().rename_class(id, name).map_err(js_error)
    }

    /// Deletes a class and its examples; `undoDelete()` brings the last one back.
    #[wasm_bindgen(js_name = deleteClass)]
    pub fn delete_class(&self, id: u32) -> Result<(), JsValue> {
        let removed = self.learner.borrow_mut().examples_mut().delete_class(id).map_err(js_error)?;
        *self.deleted.borrow_mut() = Some(removed);
        Ok(())
    }

    #[wasm_bindgen(js_name = undoDelete)]
    pub fn undo_delete(&self) -> Result<bool, JsValue> {
        let Some((at, class)) = self.deleted.borrow_mut().take() else { return Ok(false) };
        self.learner.borrow_mut().examples_mut().restore_class(at, class).map_err(js_error)?;
        Ok(true)
    }

    #[wasm_bindgen(js_name = moveClass)]
    pub fn move_class(&self, id: u32, position: usize) -> Result<(), JsValue> {
        self.learner.borrow_mut().examples_mut().move_class(id, position).map_err(js_error)
    }

    #[wasm_bindgen(js_name = clearClass)]
    pub fn clear_class(&self, id: u32) -> Result<(), JsValue> {
        self.learner.borrow_mut().examples_mut().clear_class(id).map_err(js_error)
    }

    #[wasm_bindgen(js_name = deleteExample)]
    pub fn delete_example(&self, id: u32) -> Result<(), JsValue> {
        self.learner.borrow_mut().examples_mut().delete_example(id).map_err(js_error)
    }

    /// The example's thumbnail as RGBA bytes (`thumbnailSize` squared × 4), for an `ImageData`.
    pub fn thumbnail(&self, id: u32) -> Result<Vec<u8>, JsValue> {
        Ok(self.learner.borrow().examples().example(id).map_err(js_error)?.thumbnail.rgba())
    }

    /// Captures one RGBA frame into a class (with the augmented views the settings ask for):
    /// resolves to `{ids, ms}`.
    #[wasm_bindgen(js_name = addExample)]
    pub fn add_example(&self, class: u32, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let (backbone, learner) = (self.backbone.clone(), self.learner.clone());
        future_to_promise(async move {
            let start = now_ms();
            let frame = Frame::new(&rgba, width, height).map_err(js_error)?;
            learner.borrow().examples().class(class).map_err(js_error)?;
            let (augment, mut rng) = learner.borrow_mut().next_capture();
            let captured = capture(&backbone.0, frame, &augment, &mut rng).await.map_err(js_error)?;
            let ids = learner.borrow_mut().add(class, captured).map_err(js_error)?;
            to_js(&AddedJs { ids, ms: now_ms() - start })
        })
    }

    /// The learning settings (see `Settings` in the Rust docs; camelCase fields).
    pub fn settings(&self) -> Result<JsValue, JsValue> {
        to_js(self.learner.borrow().settings())
    }

    /// Replaces the settings; fields left out take their defaults. Refuses invalid values.
    #[wasm_bindgen(js_name = setSettings)]
    pub fn set_settings(&self, settings: JsValue) -> Result<(), JsValue> {
        let settings: Settings =
            serde_wasm_bindgen::from_value(settings).map_err(|e| js_error(Error::Settings(format!("settings: {e}"))))?;
        self.learner.borrow_mut().set_settings(settings).map_err(js_error)
    }

    /// `"none"`, `"current"` or `"stale"` (classes changed since training).
    #[wasm_bindgen(js_name = headState, getter)]
    pub fn head_state(&self) -> String {
        match self.learner.borrow().head_state() {
            HeadState::None => "none",
            HeadState::Current => "current",
            HeadState::Stale => "stale",
        }
        .into()
    }

    /// The last training: `{head, history, stop, bestEpoch, evaluation}` or `null`.
    #[wasm_bindgen(js_name = lastTraining)]
    pub fn last_training(&self) -> Result<JsValue, JsValue> {
        let learner = self.learner.borrow();
        match learner.trained() {
            // The head's weights are of no use to the page and would be copied for nothing.
            Some(t) => to_js(&training_summary(t)),
            None => Ok(JsValue::NULL),
        }
    }

    /// Trains the head the settings name on every example. `onEpoch({epoch, trainLoss,
    /// trainAccuracy, validationLoss, validationAccuracy})` is called after each epoch. Resolves
    /// to the same summary as `lastTraining()`; rejects when cancelled (the previous head stays).
    pub fn train(&self, on_epoch: Option<Function>) -> Promise {
        let (backbone, learner, cancel, training) =
            (self.backbone.clone(), self.learner.clone(), self.cancel.clone(), self.training.clone());
        future_to_promise(async move {
            if training.replace(true) {
                return Err(JsError::new("training is already running").into());
            }
            cancel.set(false);
            let job = learner.borrow().dataset().map(|d| (d, learner.borrow().settings().clone()));
            let result = match job {
                Ok((data, settings)) => {
                    let mut progress = JsProgress { on_epoch, cancel };
                    train(&data, &settings, backbone.0.device(), &mut progress).await
                }
                Err(e) => Err(e),
            };
            training.set(false);
            let trained = result.map_err(js_error)?;
            let summary = to_js(&training_summary(&trained));
            learner.borrow_mut().set_trained(trained).map_err(js_error)?;
            summary
        })
    }

    /// Stops a running training after its current epoch.
    #[wasm_bindgen(js_name = cancelTraining)]
    pub fn cancel_training(&self) {
        self.cancel.set(true);
    }

    /// Classifies one RGBA frame: `{classes: [{id, name, probability}], best, unknown, ms}`.
    pub fn predict(&self, rgba: Vec<u8>, width: u32, height: u32) -> Promise {
        let predictor = self.learner.borrow_mut().predictor(&self.backbone.0);
        let backbone = self.backbone.clone();
        future_to_promise(async move {
            let predictor = predictor.map_err(js_error)?;
            let frame = Frame::new(&rgba, width, height).map_err(js_error)?;
            let mut p = predictor.predict(&backbone.0, &[frame]).await.map_err(js_error)?;
            to_js(&p.remove(0))
        })
    }

    /// Classifies several images in one batch: `images` is `[{rgba, width, height}]`.
    #[wasm_bindgen(js_name = predictBatch)]
    pub fn predict_batch(&self, images: js_sys::Array) -> Promise {
        let predictor = self.learner.borrow_mut().predictor(&self.backbone.0);
        let backbone = self.backbone.clone();
        future_to_promise(async move {
            let predictor = predictor.map_err(js_error)?;
            let owned = images_of(&images)?;
            let frames = owned.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h)).collect::<Result<Vec<_>, _>>().map_err(js_error)?;
            to_js(&predictor.predict(&backbone.0, &frames).await.map_err(js_error)?)
        })
    }

    /// The whole project as a file (`.glimpse`).
    pub fn save(&self) -> Vec<u8> {
        self.learner.borrow().save()
    }

    /// Classes and trained head only, for classifying on another page.
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Result<Vec<u8>, JsValue> {
        self.learner.borrow().export_model().map_err(js_error)
    }

    /// Opens a project (replaces this one) or a model-only file (keeps the examples of classes
    /// with the same names). Resolves to `"project"` or `"modelOnly"`. On error nothing changes.
    pub fn open(&self, bytes: &[u8]) -> Result<String, JsValue> {
        if self.training.get() {
            return Err(JsError::new("wait for training to finish (or cancel it) before opening a file").into());
        }
        let kind = self.learner.borrow_mut().open(bytes).map_err(js_error)?;
        *self.deleted.borrow_mut() = None;
        Ok(match kind {
            Kind::Project => "project",
            Kind::ModelOnly => "modelOnly",
        }
        .into())
    }
}

/// A training's outcome without the head's weights.
fn training_summary(t: &crate::learn::Trained) -> impl Serialize + '_ {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Summary<'a> {
        head: crate::learn::HeadKind,
        classes: &'a [u32],
        history: &'a [EpochStats],
        stop: crate::learn::train::Stop,
        best_epoch: u32,
        evaluation: &'a Option<crate::learn::Evaluation>,
    }
    let head = match t.head.weights {
        crate::learn::head::HeadWeights::Softmax { .. } => crate::learn::HeadKind::Softmax,
        crate::learn::head::HeadWeights::Prototype { .. } => crate::learn::HeadKind::Prototype,
        crate::learn::head::HeadWeights::Knn { .. } => crate::learn::HeadKind::Knn,
    };
    Summary { head, classes: &t.head.classes, history: &t.history, stop: t.stop, best_epoch: t.best_epoch, evaluation: &t.evaluation }
}
