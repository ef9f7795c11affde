//! The JavaScript surface (wasm-bindgen). Thin: converts types and maps errors to JS `Error`s;
//! all the work is in the library. Slow methods return Promises; nothing here blocks.

mod backbone;
mod learner;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::Error;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(e: Error) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// Copies `[{rgba, width, height}]` out of JS; `Frame::new` then checks each size.
fn images_of(images: &js_sys::Array) -> Result<Vec<(Vec<u8>, u32, u32)>, JsValue> {
    images
        .iter()
        .map(|image| {
            let field = |name: &str| Reflect::get(&image, &name.into());
            let rgba = Uint8Array::new(&field("rgba")?).to_vec();
            let width = field("width")?.as_f64().unwrap_or(0.0) as u32;
            let height = field("height")?.as_f64().unwrap_or(0.0) as u32;
            Ok((rgba, width, height))
        })
        .collect()
}
