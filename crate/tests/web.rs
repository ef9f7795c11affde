//! In a real browser (`wasm-pack test --headless --chrome` / `--firefox`): the backbone runs on
//! WebGPU and on the CPU fallback compiled to wasm, and both agree with each other and with
//! ImageNet on a real photo.
#![cfg(target_family = "wasm")]

use glimpse::{Backbone, Backend, ComputeDevice, Frame};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

static WEIGHTS: &[u8] = include_bytes!("../../models/efficientnet-lite0.bpk");
static CAT: &[u8] = include_bytes!("../../target/fixtures/chelsea.png");
static COFFEE: &[u8] = include_bytes!("../../target/fixtures/coffee.png");

fn decode(png: &[u8]) -> (Vec<u8>, u32, u32) {
    let image = image::load_from_memory(png).unwrap().into_rgba8();
    let (w, h) = image.dimensions();
    (image.into_raw(), w, h)
}

/// A reproducible pattern, so that one input is not a natural image.
fn pattern(width: u32, height: u32) -> Vec<u8> {
    (0..width * height).flat_map(|i| [(i % 251) as u8, (i / 7 % 253) as u8, (i * 13 % 255) as u8, 255]).collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[wasm_bindgen_test]
async fn webgpu_and_cpu_fallback_agree_on_real_photos() {
    let gpu = ComputeDevice::wgpu().await.expect("this browser offers no WebGPU adapter");
    assert_eq!(gpu.backend, Backend::Wgpu);
    console_log!("WebGPU adapter: {} (software: {})", gpu.adapter, gpu.software);

    let (cat, cw, ch) = decode(CAT);
    let (coffee, fw, fh) = decode(COFFEE);
    let odd = pattern(300, 200);
    let frames = [Frame::new(&cat, cw, ch).unwrap(), Frame::new(&coffee, fw, fh).unwrap(), Frame::new(&odd, 300, 200).unwrap()];

    let on_gpu = Backbone::load(WEIGHTS, "efficientnet-lite0.bpk", &gpu.device).unwrap();
    let on_cpu = Backbone::load(WEIGHTS, "efficientnet-lite0.bpk", &ComputeDevice::cpu().device).unwrap();
    let gpu_features = on_gpu.features(&frames).await.unwrap();
    let cpu_features = on_cpu.features(&frames).await.unwrap();
    let diff = max_abs_diff(&gpu_features, &cpu_features);
    console_log!("max |webgpu - cpu| feature difference: {diff:.2e}");
    assert!(diff <= 1e-3, "WebGPU and CPU features differ by {diff}");

    let top = on_gpu.imagenet_top_k(&frames[..2], 1).await.unwrap();
    assert!([281, 282, 283, 285].contains(&top[0][0].index), "cat photo seen as {:?}", top[0][0]);
    assert_eq!(top[1][0].index, 967, "coffee photo seen as {:?}", top[1][0]);
}

#[wasm_bindgen_test]
async fn the_webgpu_device_is_initialised_once() {
    let first = ComputeDevice::wgpu().await.expect("no WebGPU adapter");
    let second = ComputeDevice::wgpu().await.expect("second initialisation failed");
    assert_eq!(first.adapter, second.adapter);
}

#[wasm_bindgen_test]
fn bad_input_is_refused_in_the_browser() {
    let cpu = ComputeDevice::cpu();
    let err = Backbone::load(&WEIGHTS[..1000], "cut.bpk", &cpu.device).unwrap_err().to_string();
    assert!(err.starts_with("weights file cut.bpk:"), "{err}");
    let err = Frame::new(&[0; 10], 2, 2).unwrap_err().to_string();
    assert!(err.contains("2×2"), "{err}");
}
