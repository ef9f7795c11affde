//! The CPU backend and native wgpu (software Vulkan in CI) compute the same features, and
//! fine-tune to the same predictions.

#![cfg(not(target_family = "wasm"))]

mod common;

use common::{backbone, max_abs_diff, noise, photo};
use glimpse::{Backend, ComputeDevice, Frame};

/// The wgpu device, or `None` where the environment allows running without one.
fn wgpu() -> Option<ComputeDevice> {
    match pollster::block_on(ComputeDevice::wgpu()) {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var_os("GLIMPSE_ALLOW_NO_GPU").is_some() => {
            eprintln!("SKIPPED: no wgpu adapter ({e}) and GLIMPSE_ALLOW_NO_GPU is set");
            None
        }
        Err(e) => panic!("no wgpu adapter: {e} (install mesa-vulkan-drivers, or set GLIMPSE_ALLOW_NO_GPU=1)"),
    }
}

#[test]
fn cpu_and_wgpu_features_agree() {
    let Some(gpu) = wgpu() else { return };
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

/// Fine-tuning the same examples with the same seed on both devices. Dropout is off because each
/// backend draws its own random numbers; what remains is the order of floating-point sums (and
/// the fused CPU depthwise kernel in the frozen part), which 2 epochs of Adam amplify a little.
#[test]
fn cpu_and_wgpu_fine_tune_to_the_same_predictions() {
    use glimpse::{Quiet, Settings};
    let Some(gpu) = wgpu() else { return };
    let images = [photo("chelsea.png"), photo("coffee.png"), photo("rocket.jpg")];
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let predict = |device: &ComputeDevice| {
        let session = glimpse::Session::new(std::rc::Rc::new(backbone(device)));
        let settings = Settings { fine_tune: 2, epochs: 2, dropout: 0.0, validation_fraction: 0.0, ..Settings::default() };
        session.set_settings(settings).unwrap();
        for (name, file) in &common::OBJECTS {
            let class = session.add_class(Some(name)).unwrap();
            for view in common::views(file, 3, 5) {
                pollster::block_on(session.capture(class, Frame::new(view.as_raw(), view.width(), view.height()).unwrap())).unwrap();
            }
        }
        let summary = pollster::block_on(session.train(&mut Quiet)).unwrap();
        assert!(summary.fine_tuned.unwrap().kept);
        let predictions = pollster::block_on(session.predict(&frames)).unwrap();
        predictions.iter().flat_map(|p| p.classes.iter().map(|c| c.probability).collect::<Vec<_>>()).collect::<Vec<f32>>()
    };
    let (on_cpu, on_gpu) = (predict(&ComputeDevice::cpu()), predict(&gpu));
    let diff = max_abs_diff(&on_cpu, &on_gpu);
    eprintln!("max |cpu - wgpu| fine-tuned probability difference: {diff:.2e}");
    assert!(diff <= 1e-3, "fine-tuned probabilities differ by {diff}");
}
