//! Classifying measures whether the CPU path's pool pays, and keeps the faster way. In a process
//! of its own: the pool's flag is process-wide, and exploring flips it under other tests.
#![cfg(not(target_family = "wasm"))]

mod common;

use std::rc::Rc;

use common::photo;
use glimpse::{ComputeDevice, Session};

#[test]
fn classifying_measures_both_ways_and_keeps_the_faster() {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    let class = session.add_class(Some("cat")).unwrap();
    let cat = photo("chelsea.png");
    pollster::block_on(session.capture(class, cat.frame())).unwrap();
    let before = session.backbone().threads();
    assert_eq!((before.pooled_ms, before.alone_ms), (None, None), "nothing measured yet");
    // One call in 24 (`backbone::threads::EXPLORE`) runs the way not chosen: three of them.
    for _ in 0..3 * 24 + 2 {
        pollster::block_on(session.predict(&[cat.frame()])).unwrap();
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
}
