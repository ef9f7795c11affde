//! The JavaScript surface (wasm-bindgen). Thin: each method converts its arguments, makes one
//! call into the core and converts the answer; errors become JS `Error`s with the core's
//! message. Slow methods return Promises; nothing here blocks.

mod backbone;
#[cfg(feature = "bench")]
mod bench;
mod learner;

use js_sys::{Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Error, Frame};

// Linked for its exports in the threaded CPU build: `initThreadPool(n)` starts n Web Workers
// on this module's memory (the page's worker calls it before the backbone loads).
#[cfg(feature = "threads")]
use wasm_bindgen_rayon as _;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

impl From<Error> for JsValue {
    fn from(e: Error) -> Self {
        JsError::new(&e.to_string()).into()
    }
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    // Maps become plain objects and `None` becomes `null`, which is what page code expects.
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    value.serialize(&serializer).map_err(Into::into)
}

/// RGBA images copied out of JS (`[{rgba, width, height}]`), to be borrowed as frames.
struct Images(Vec<(Vec<u8>, u32, u32)>);

impl Images {
    fn from_js(images: &js_sys::Array) -> Result<Self, JsValue> {
        let images = images
            .iter()
            .map(|image| {
                let field = |name: &str| Reflect::get(&image, &name.into());
                let rgba = Uint8Array::new(&field("rgba")?).to_vec();
                let width = field("width")?.as_f64().unwrap_or(0.0) as u32;
                let height = field("height")?.as_f64().unwrap_or(0.0) as u32;
                Ok((rgba, width, height))
            })
            .collect::<Result<_, JsValue>>()?;
        Ok(Self(images))
    }

    /// Each image as a frame; `Frame::new` checks its size.
    fn frames(&self) -> Result<Vec<Frame<'_>>, Error> {
        self.0.iter().map(|(rgba, width, height)| Frame::new(rgba, *width, *height)).collect()
    }
}
