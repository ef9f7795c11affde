//! The CPU path on its pool of threads and on one thread alone: the same features. The choice
//! between them while classifying is tested in `backbone::threads` (the rule) and in
//! `crate/tests/threads.rs` (a session), a process of its own: the pool's flag is process-wide,
//! and a session exploring beside the other tests here made their exact comparisons race.

use super::common::{backbone, max_abs_diff, noise, photo};
use crate::{ComputeDevice, Frame, parallel};

#[test]
fn the_pool_and_one_thread_compute_the_same() {
    let backbone = backbone(&ComputeDevice::cpu());
    // A batch (split into images for the threads) and a single frame (its ops split).
    let images = [photo("chelsea.png"), noise(3, 320, 240), photo("coffee.png")];
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let features = |frames: &[Frame]| pollster::block_on(backbone.features(frames)).unwrap();
    let (pooled, pooled_one) = (features(&frames), features(&frames[..1]));
    parallel::set_pooled(false);
    assert_eq!(parallel::threads(), 1);
    let (alone, alone_one) = (features(&frames), features(&frames[..1]));
    parallel::set_pooled(true);
    assert!(max_abs_diff(&pooled, &alone) <= 1e-5, "a batch on the pool and alone differ by {}", max_abs_diff(&pooled, &alone));
    assert!(max_abs_diff(&pooled_one, &alone_one) <= 1e-5, "a frame on the pool and alone differ by {}", max_abs_diff(&pooled_one, &alone_one));
}
