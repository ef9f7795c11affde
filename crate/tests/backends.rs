//! The CPU backend and native wgpu (software Vulkan in CI) compute the same features.

#![cfg(not(target_family = "wasm"))]

mod common;

use common::{backbone, max_abs_diff, noise, photo};
use glimpse::{Backend, ComputeDevice, Frame};

#[test]
fn cpu_and_wgpu_features_agree() {
    let gpu = match pollster::block_on(ComputeDevice::wgpu()) {
        Ok(gpu) => gpu,
        Err(e) if std::env::var_os("GLIMPSE_ALLOW_NO_GPU").is_some() => {
            eprintln!("SKIPPED: no wgpu adapter ({e}) and GLIMPSE_ALLOW_NO_GPU is set");
            return;
        }
        Err(e) => panic!("no wgpu adapter: {e} (install mesa-vulkan-drivers, or set GLIMPSE_ALLOW_NO_GPU=1)"),
    };
    assert_eq!(gpu.backend, Backend::Wgpu);
    eprintln!("wgpu adapter: {} (software: {})", gpu.adapter, gpu.software);
    let images = [photo("chelsea.png"), photo("coffee.png"), noise(7, 300, 200)];
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let on_cpu = pollster::block_on(backbone(&ComputeDevice::cpu()).features(&frames)).unwrap();
    let gpu_backbone = backbone(&gpu);
    let on_gpu = pollster::block_on(gpu_backbone.features(&frames)).unwrap();
    let diff = max_abs_diff(&on_cpu, &on_gpu);
    eprintln!("max |cpu - wgpu| feature difference: {diff:.2e}");
    assert!(diff <= 1e-3, "features differ by {diff}");
    // The same device must be handed out again rather than initialised twice.
    let again = pollster::block_on(ComputeDevice::wgpu()).unwrap();
    assert_eq!(again.adapter, gpu.adapter);
}
