//! Counting and locating objects through the product API, on scenes made from real photos
//! (`common::scenes`): captured, labelled with points, trained, then scored on other scenes.
#![cfg(not(target_family = "wasm"))]

mod common;

use std::rc::Rc;

use common::scenes::{OBJECTS, Scene, scenes};
use glimpse::{ComputeDevice, Error, Frame, Kind, Point, Quiet, Session, Settings, Task};

fn frame(scene: &Scene) -> Frame<'_> {
    Frame::new(scene.image.as_raw(), scene.image.width(), scene.image.height()).unwrap()
}

/// A session counting the scenes' classes, trained on `train` scenes labelled with their points.
fn trained(train: &[Scene]) -> Session {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.new_project().unwrap();
    let ids: Vec<_> = session.classes().iter().map(|c| c.id).collect();
    for (id, (name, _, _)) in ids.iter().zip(OBJECTS) {
        session.rename_class(*id, name).unwrap();
    }
    session.set_settings(Settings { task: Task::Count, ..session.settings() }).unwrap();
    assert!(matches!(pollster::block_on(session.train(&mut Quiet)), Err(Error::NoFrames | Error::NoPoints(_))), "nothing to learn from yet");
    for scene in train {
        let added = pollster::block_on(session.capture(ids[0], frame(scene))).unwrap();
        let points = scene.points.iter().map(|&(class, x, y)| Point { class: ids[class], x, y }).collect();
        session.set_points(added.ids[0], points).unwrap();
    }
    pollster::block_on(session.train(&mut Quiet)).unwrap();
    session
}

fn truth(session: &Session, scenes: &[Scene]) -> Vec<Vec<Point>> {
    let ids: Vec<_> = session.classes().iter().map(|c| c.id).collect();
    scenes.iter().map(|s| s.points.iter().map(|&(class, x, y)| Point { class: ids[class], x, y }).collect()).collect()
}

#[test]
fn a_counter_trained_on_labelled_scenes_finds_the_objects_of_new_ones() {
    let session = trained(&scenes(48, 1));
    let summary = session.last_training().unwrap();
    assert_eq!(summary.task, Task::Count);
    let held_out = summary.counted.clone().expect("a counter scores itself on the frames held out");
    assert!(summary.report.outcome.contains("F1"), "{}", summary.report.outcome);

    let test = scenes(40, 2);
    let frames: Vec<Frame<'_>> = test.iter().map(frame).collect();
    let predictions: Vec<_> = frames.chunks(8).flat_map(|batch| pollster::block_on(session.predict(batch)).unwrap()).collect();
    let evaluation = session.evaluate_counts(&truth(&session, &test), &predictions).unwrap();
    let ms = predictions.iter().map(|p| p.ms).sum::<f64>() / predictions.len() as f64;
    println!(
        "counting: F1 {:.3} (precision {:.3}, recall {:.3}), exact counts {:.3} on {} new scenes; held out while training: F1 {:.3}; {ms:.1} ms a frame (batches of 8)",
        evaluation.f1, evaluation.precision, evaluation.recall, evaluation.exact_counts, evaluation.frames, held_out.f1
    );
    assert!(evaluation.f1 >= 0.9, "{evaluation:?}");
    assert!(evaluation.exact_counts >= 0.75, "{evaluation:?}");
    for class in &evaluation.classes {
        assert!(class.f1 >= 0.8, "{class:?}");
    }
    // Objects carry their class's name, and a frame with none says so.
    let empty = test.iter().position(|s| s.points.is_empty()).expect("some scenes are empty");
    assert!(predictions[empty].objects.as_ref().unwrap().len() <= 1);
    let busy = test.iter().position(|s| s.points.len() >= 3).expect("some scenes are busy");
    let names: Vec<&str> = OBJECTS.iter().map(|(n, _, _)| *n).collect();
    assert!(predictions[busy].objects.as_ref().unwrap().iter().all(|o| names.contains(&o.name.as_str())));

    // The project keeps the scenes, their points and the counter: it reopens, as a file and as the
    // page stores it, and predicts the same.
    let reopened = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    assert_eq!(reopened.open(&session.save()).unwrap(), Kind::Project);
    assert_eq!(reopened.save(), session.save());
    let again = pollster::block_on(reopened.predict(&frames[..4])).unwrap();
    for (a, b) in again.iter().zip(&predictions) {
        assert_eq!(a.objects, b.objects);
    }
    let records: Vec<Vec<u8>> = session.example_ids().iter().map(|&id| session.example_record(id).unwrap()).collect();
    let stored = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    stored.open_stored(&session.save_skeleton(), &records).unwrap();
    assert_eq!(stored.save(), session.save());
    let first = session.example_ids()[0];
    assert_eq!(stored.points(first).unwrap(), session.points(first).unwrap());
    assert_eq!(stored.picture(first).unwrap().width, 160, "a 320×240 frame's picture is 160 wide");
}

#[test]
fn points_are_checked_and_only_go_on_frames_captured_for_counting() {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.new_project().unwrap();
    let class = session.classes()[0].id;
    let scene = &scenes(1, 3)[0];
    let classified = pollster::block_on(session.capture(class, frame(scene))).unwrap();
    let point = Point { class, x: 0.5, y: 0.5 };
    assert!(matches!(session.set_points(classified.ids[0], vec![point]), Err(Error::NotAScene(_))));
    session.set_settings(Settings { task: Task::Count, ..session.settings() }).unwrap();
    let counted = pollster::block_on(session.capture(class, frame(scene))).unwrap();
    assert_eq!(counted.ids.len(), 1, "a frame to count in has no augmented views");
    let outside = Point { x: 1.2, ..point };
    assert!(session.set_points(counted.ids[0], vec![outside]).unwrap_err().to_string().contains("between 0 and 1"));
    assert!(matches!(session.set_points(counted.ids[0], vec![Point { class: 999, ..point }]), Err(Error::NoSuchClass(_))));
    assert!(session.points(counted.ids[0]).unwrap().is_empty(), "a refused edit changes nothing");
    assert!(matches!(pollster::block_on(session.train(&mut Quiet)), Err(Error::NoPoints(1))));
    session.set_points(counted.ids[0], vec![point]).unwrap();
    assert_eq!(session.points(counted.ids[0]).unwrap(), [point]);
}
