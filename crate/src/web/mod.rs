//! The JavaScript surface (wasm-bindgen). Thin: converts types and maps errors to JS `Error`s;
//! all the work is in the library. Slow methods return Promises; nothing here blocks.

mod backbone;
mod learner;

use wasm_bindgen::prelude::*;

use crate::Error;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(e: Error) -> JsValue {
    JsError::new(&e.to_string()).into()
}
