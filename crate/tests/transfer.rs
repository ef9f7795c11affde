//! The transfer check: the same head on raw pixels flags a task the pretrained features cannot
//! see, and not an ordinary one; it is stored, and absent without held-out examples.
#![cfg(not(target_family = "wasm"))]

mod common;

use std::rc::Rc;

use common::{OBJECTS, faint_pattern, views};
use glimpse::{ComputeDevice, Frame, Session};
use glimpse::{Quiet, Settings};

fn session_with(settings: Settings, examples: &[(usize, image::RgbaImage)], names: &[&str]) -> Session {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.set_settings(settings).unwrap();
    let classes: Vec<_> = names.iter().map(|name| session.add_class(Some(name)).unwrap()).collect();
    for (label, image) in examples {
        let frame = Frame::new(image.as_raw(), image.width(), image.height()).unwrap();
        pollster::block_on(session.capture(classes[*label], frame)).unwrap();
    }
    session
}

#[test]
fn raw_pixels_beat_the_features_on_a_faint_pattern_and_not_on_distinct_objects() {
    let settings = Settings { validation_fraction: 0.3, ..Settings::default() };
    let session = session_with(settings.clone(), &faint_pattern(20, 1), &["plus", "minus"]);
    let summary = pollster::block_on(session.train(&mut Quiet)).unwrap();
    let transfer = summary.transfer.expect("a held-out split gives a transfer check");
    eprintln!("faint pattern: {transfer:?}");
    assert!(transfer.negative, "a pattern the network pools away was not flagged: {transfer:?}");
    assert!(transfer.accuracy.pixels - transfer.accuracy.features >= 0.15, "{transfer:?}");
    assert_eq!(transfer.accuracy.features, summary.evaluation.unwrap().accuracy, "the head's own held-out accuracy");

    let objects: Vec<(usize, image::RgbaImage)> =
        OBJECTS.iter().enumerate().flat_map(|(label, (_, photo))| views(photo, 8, 2).into_iter().map(move |v| (label, v))).collect();
    let names: Vec<&str> = OBJECTS.iter().map(|(name, _)| *name).collect();
    let session = session_with(settings, &objects, &names);
    let summary = pollster::block_on(session.train(&mut Quiet)).unwrap();
    let transfer = summary.transfer.unwrap();
    eprintln!("three objects: {transfer:?}");
    assert!(!transfer.negative && transfer.accuracy.features == 1.0, "{transfer:?}");
    let intermediate = transfer.accuracy.intermediate.expect("every example keeps block 12's input");
    assert!(!transfer.intermediate_better && (0.5..=1.0).contains(&intermediate), "{transfer:?}");

    // Stored with the project.
    let reopened = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    reopened.open(&session.save()).unwrap();
    assert_eq!(reopened.last_training().unwrap().transfer, Some(transfer));
}

#[test]
fn without_held_out_examples_there_is_no_check() {
    let session = session_with(Settings { validation_fraction: 0.0, ..Settings::default() }, &faint_pattern(4, 3), &["plus", "minus"]);
    assert_eq!(pollster::block_on(session.train(&mut Quiet)).unwrap().transfer, None);
}
