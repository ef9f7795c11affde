//! Milliseconds from a monotonic clock: `performance.now()` in a page or worker, `Instant` natively.

#[cfg(not(target_family = "wasm"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

// `performance` is a global of pages and workers alike. Reached through `js_sys::global()` and
// `Reflect` instead, one reading cost 3.7 ms in the WebGPU build (0.01 ms in the threaded one),
// twice per prediction.
#[cfg(target_family = "wasm")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

#[cfg(target_family = "wasm")]
pub fn now_ms() -> f64 {
    performance_now()
}
