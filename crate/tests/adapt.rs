//! Adapting a trained project to a new camera: it helps under a shift, does little without one,
//! is stored, undone, refused with reasons, and follows the head through fine-tuning.
#![cfg(not(target_family = "wasm"))]

mod common;

use std::rc::Rc;

use common::digits::{parse, render, take};
use common::{OBJECTS, views};
use glimpse::Image;
use glimpse::{ComputeDevice, Error, Frame, Prediction, Session};
use glimpse::{Quiet, Settings};

/// `n` views of each object (by seed), optionally through the other camera, with their labels.
fn object_views(n: usize, seed: u64, shifted: bool) -> Vec<(usize, Image)> {
    let mut out = Vec::new();
    for (label, (_, photo)) in OBJECTS.iter().enumerate() {
        for view in views(photo, n, seed) {
            let image = Image { rgba: view.as_raw().clone(), width: view.width(), height: view.height() };
            out.push((label, if shifted { darker(image) } else { image }));
        }
    }
    out
}

/// An under-exposed, warm-lit photo (the camera shift of `common::digits`).
fn darker(mut image: Image) -> Image {
    for (i, v) in image.rgba.iter_mut().enumerate() {
        if i % 4 != 3 {
            *v = (*v as f32 * 0.45 * [1.15, 0.95, 0.65][i % 4]).round() as u8;
        }
    }
    image
}

fn frames(images: &[(usize, Image)]) -> Vec<Frame<'_>> {
    images.iter().map(|(_, i)| i.frame()).collect()
}

/// Accuracy and the mean probability of the true class.
fn score(session: &Session, test: &[(usize, Image)]) -> (f32, f32) {
    let predictions: Vec<Prediction> = pollster::block_on(session.predict(&frames(test))).unwrap();
    let n = test.len() as f32;
    let right = test.iter().zip(&predictions).filter(|((label, _), p)| p.top_index() == *label).count() as f32;
    let probability: f32 = test.iter().zip(&predictions).map(|((label, _), p)| p.classes[*label].probability).sum();
    (right / n, probability / n)
}

fn trained_on(settings: Settings, examples: &[(usize, Image)], names: &[&str]) -> Session {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.set_settings(settings).unwrap();
    let classes: Vec<_> = names.iter().map(|name| session.add_class(Some(name)).unwrap()).collect();
    for (label, image) in examples {
        pollster::block_on(session.capture(classes[*label], image.frame())).unwrap();
    }
    pollster::block_on(session.train(&mut Quiet)).unwrap();
    session
}

fn trained(settings: Settings) -> Session {
    let names: Vec<&str> = OBJECTS.iter().map(|(name, _)| *name).collect();
    trained_on(settings, &object_views(6, 1, false), &names)
}

fn adapt_to(session: &Session, images: &[(usize, Image)]) -> glimpse::AdaptationSummary {
    let features = pollster::block_on(session.features(&frames(images))).unwrap();
    session.adapt(&features, 1.7e12).unwrap()
}

fn digits(from: usize, n: usize, other_camera: bool) -> Vec<(usize, Image)> {
    let csv = std::fs::read_to_string(common::fixture("digits.csv")).unwrap();
    take(&parse(&csv), from, n).into_iter().map(|(label, values)| (label, render(values, other_camera))).collect()
}

/// A real labelled set (scikit-learn's digits: 10 per digit to train, 20 others to test, 10 more
/// unlabelled to adapt with); the full figures are `tests/quality/adapt.sh`'s.
#[test]
fn adapting_to_another_camera_recovers_accuracy_and_to_the_same_camera_changes_little() {
    let names: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let session = trained_on(Settings { validation_fraction: 0.0, ..Settings::default() }, &digits(0, 10, false), &names);
    let (clean_test, test) = (digits(10, 20, false), digits(10, 20, true));
    let clean = score(&session, &clean_test);
    let before = score(&session, &test);
    adapt_to(&session, &digits(30, 10, true));
    let after = score(&session, &test);
    eprintln!("(accuracy, true-class probability): training camera {clean:?}, other camera {before:?}, adapted to it {after:?}");
    assert!(before.0 < clean.0 - 0.1, "the shift should cost accuracy: {clean:?} → {before:?}");
    assert!(after.0 >= before.0 + 0.05, "adapting did not recover accuracy: {before:?} → {after:?}");

    adapt_to(&session, &digits(30, 10, false));
    let same = score(&session, &clean_test);
    eprintln!("adapted to the training camera: {clean:?} → {same:?}");
    // 200 test digits at ~60 % sit on many near-ties, so a few may flip either way (CI's machine
    // flipped 6 the right way); the true-class probability is the smoother measure of "little".
    assert!(same.0 >= clean.0 - 0.03, "adapting to the training camera cost accuracy: {clean:?} → {same:?}");
    assert!((same.0 - clean.0).abs() <= 0.05, "adapting to the training camera moved accuracy: {clean:?} → {same:?}");
    assert!((same.1 - clean.1).abs() <= 0.02, "adapting to the training camera moved the probabilities: {clean:?} → {same:?}");
}

#[test]
fn an_adaptation_is_stored_exported_and_undone() {
    let session = trained(Settings { validation_fraction: 0.0, ..Settings::default() });
    let test = object_views(8, 2, true);
    let before = score(&session, &test);
    let summary = adapt_to(&session, &object_views(4, 3, true));
    assert_eq!((summary.frames, summary.made, summary.applies), (12, 1.7e12, true));
    let probabilities = |s: &Session| -> Vec<f32> {
        pollster::block_on(s.predict(&frames(&test))).unwrap().iter().flat_map(|p| p.classes.iter().map(|c| c.probability)).collect()
    };
    let adapted = probabilities(&session);
    assert!(score(&session, &test) != before, "the adaptation changed nothing");
    // Saved, opened and exported model-only: the same predictions.
    for bytes in [session.save(), session.export_model().unwrap()] {
        let reopened = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
        reopened.open(&bytes).unwrap();
        assert_eq!(reopened.adaptation(), session.adaptation());
        assert_eq!(probabilities(&reopened), adapted, "a reopened adaptation predicts differently");
    }
    // Undone: the predictions before adapting, exactly.
    assert!(session.remove_adaptation());
    assert_eq!(session.adaptation(), None);
    assert_eq!(score(&session, &test), before);
    assert!(!session.remove_adaptation(), "nothing left to remove");
}

#[test]
fn adapting_is_refused_with_reasons_and_changes_nothing() {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.add_class(Some("cat")).unwrap();
    let images = object_views(3, 3, true);
    // Classes known by name only: nothing trained to adapt.
    assert!(matches!(pollster::block_on(session.features(&frames(&images))), Err(Error::NotTrained)));

    let session = trained(Settings { validation_fraction: 0.0, ..Settings::default() });
    let saved = session.save();
    let features = pollster::block_on(session.features(&frames(&images[..Session::MIN_ADAPT_FRAMES - 1]))).unwrap();
    let error = session.adapt(&features, 0.0).unwrap_err();
    assert!(matches!(error, Error::TooFewFrames { found: 7, needed: Session::MIN_ADAPT_FRAMES }), "{error}");
    assert!(error.to_string().contains("at least 8 frames"), "{error}");
    assert!(matches!(session.adapt(&features[1..], 0.0), Err(Error::Inconsistent(_))));
    assert_eq!(session.save(), saved, "a refused adaptation changed the project");

    // A fine-tuned head of format 3 kept no trained features' mean: train again first.
    let old = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    old.open(&std::fs::read(common::workspace().join("tests/fixtures/format-3.glimpse")).unwrap()).unwrap();
    let features = pollster::block_on(old.features(&frames(&images))).unwrap();
    let error = old.adapt(&features, 0.0).unwrap_err();
    assert!(matches!(error, Error::NotAdaptable), "{error}");
    assert!(error.to_string().contains("train again"), "{error}");
}

#[test]
fn an_adaptation_follows_the_head_through_the_fine_tuned_layers_it_was_made_with() {
    let settings = Settings { validation_fraction: 0.0, fine_tune: 1, epochs: 3, ..Settings::default() };
    let session = trained(settings.clone());
    assert!(session.last_training().unwrap().fine_tuned.unwrap().kept);
    let test = object_views(8, 2, true);
    let before = score(&session, &test);
    adapt_to(&session, &object_views(4, 3, true));
    assert!(session.adaptation().unwrap().applies);
    let after = score(&session, &test);
    assert!(after != before, "an adaptation through fine-tuned layers changed nothing");
    // Retrained with the head alone, the features it was measured through are gone.
    session.set_settings(Settings { fine_tune: 0, ..settings }).unwrap();
    pollster::block_on(session.train(&mut Quiet)).unwrap();
    let summary = session.adaptation().unwrap();
    assert!(!summary.applies, "an adaptation through fine-tuned layers applied to the head alone");
    let unadapted = score(&session, &test);
    session.remove_adaptation();
    assert_eq!(score(&session, &test), unadapted, "an adaptation that does not apply changed predictions");
}
