//! The CPU path on its pool of threads and on one thread alone: the same features, and the
//! choice between them made by what was measured.

use super::common::{backbone, max_abs_diff, noise, photo};
use crate::{ComputeDevice, Frame, parallel};

#[test]
fn the_pool_and_one_thread_compute_the_same_and_the_faster_is_kept() {
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

    let available = rayon::current_num_threads();
    let choice = pollster::block_on(backbone.choose_threads()).unwrap();
    match (choice.pooled_ms, choice.alone_ms) {
        (Some(pooled), Some(alone)) => {
            assert!(available > 1 && pooled > 0.0 && alone > 0.0, "{choice:?} on {available} threads");
            assert_eq!(choice.threads, if pooled <= alone { available } else { 1 }, "the faster is kept: {choice:?}");
        }
        _ => assert_eq!((available, choice.threads), (1, 1), "with {available} threads there was a choice to make: {choice:?}"),
    }
    assert_eq!(parallel::threads(), choice.threads, "the choice holds for later passes");
    parallel::set_pooled(true);
}
