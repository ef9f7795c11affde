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
    assert!(diff <= 1e-6, "the profiled pass differs from Lite0::features by {diff}");
    assert!(ops.pointwise > 0.0 && ops.depthwise > 0.0, "every kind of op was timed: {ops:?}");
}
