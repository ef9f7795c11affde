//! The benchmarks' op-by-op pass must compute what the product computes, or its timings
//! would describe another network.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::{backbone, max_abs_diff, noise, photo};
use glimpse::bench::backbone::profile_pass;
use glimpse::{ComputeDevice, Frame};

#[test]
fn the_profiled_pass_gives_the_features_of_the_product_pass() {
    let images = [photo("chelsea.png"), noise(3, 320, 240)];
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let backbone = backbone(&ComputeDevice::cpu());
    let want = pollster::block_on(backbone.features(&frames)).unwrap();
    let (ops, got) = pollster::block_on(profile_pass(&backbone, &frames)).unwrap();
    let diff = max_abs_diff(&want, &got);
    // Not bit for bit: the product runs a batch image by image (see `EfficientNet::pass`), whose 1×1
    // products are cut differently and sum in another order (measured: 3.6e-6).
    assert!(diff <= 1e-5, "the profiled pass differs from EfficientNet::features by {diff}");
    assert!(ops.pointwise > 0.0 && ops.depthwise > 0.0, "every kind of op was timed: {ops:?}");
    // Layer by layer: 15 expansions, 16 projections and the head; the steps add up to the kinds.
    let count = |kind| ops.steps.iter().filter(|s| s.kind == kind).count();
    assert_eq!((count("pointwise"), count("depthwise"), count("stem"), count("pool")), (32, 16, 1, 1));
    let steps: f64 = ops.steps.iter().map(|s| s.ms).sum();
    let kinds = ops.total() - ops.input - ops.readback;
    assert!((steps - kinds).abs() < 1e-9, "the steps add up to {steps} ms, the kinds to {kinds}");
    let head = ops.steps.iter().rfind(|s| s.kind == "pointwise").unwrap();
    assert_eq!((head.input, head.output), ([2, 320, 7, 7], [2, 1280, 7, 7]), "shapes are recorded");
}
