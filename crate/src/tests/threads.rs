//! The CPU path on its pool of threads and on one thread alone: the same features, and the
//! choice between them made by what is measured while classifying.

use std::rc::Rc;

use super::common::{backbone, max_abs_diff, noise, photo};
use crate::backbone::threads::EXPLORE;
use crate::{ComputeDevice, Frame, Session, parallel};

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

    // Classifying measures both ways: one call in EXPLORE runs the way not chosen.
    let session = Session::new(Rc::new(backbone));
    let class = session.add_class(Some("cat")).unwrap();
    pollster::block_on(session.capture(class, frames[0])).unwrap();
    let before = session.backbone().threads();
    assert_eq!((before.pooled_ms, before.alone_ms), (None, None), "nothing measured yet");
    for _ in 0..3 * EXPLORE + 2 {
        pollster::block_on(session.predict(&frames[..1])).unwrap();
    }
    let available = rayon::current_num_threads();
    let choice = session.backbone().threads();
    match (choice.pooled_ms, choice.alone_ms) {
        (Some(pooled), Some(alone)) => {
            assert!(available > 1 && pooled > 0.0 && alone > 0.0, "{choice:?} on {available} threads");
            // The pool is left only for a single thread 10 % faster.
            assert_eq!(choice.threads, if pooled <= alone * 1.1 { available } else { 1 }, "the faster is kept: {choice:?}");
        }
        _ => assert_eq!((available, choice.threads), (1, 1), "with {available} threads there was a choice to make: {choice:?}"),
    }
    assert_eq!(parallel::threads(), choice.threads, "the choice holds for later passes");
    parallel::set_pooled(true);
}
