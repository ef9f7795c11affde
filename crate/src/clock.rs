//! Milliseconds from a monotonic clock: `performance.now()` in a page or worker, `Instant` natively.

#[cfg(not(target_family = "wasm"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

// `performance` is a global of pages and workers alike: one import call, no JS value handles
// (each handle is a call into the module, which cost 0.6 ms while the exports still ran the
// static constructors: device.rs, run_static_constructors).
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
