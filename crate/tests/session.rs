//! The product API's own rules, which the page and the CLI both rely on: starter classes and
//! default names, one undo per delete, and what waits while a training runs.
#![cfg(not(target_family = "wasm"))]

mod common;

use std::rc::Rc;

use common::noise;
use glimpse::HeadState;
use glimpse::{ComputeDevice, Error, Session};
use glimpse::{EpochStats, Progress, Quiet};

fn session() -> Session {
    Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())))
}

fn names(session: &Session) -> Vec<String> {
    session.classes().into_iter().map(|c| c.name).collect()
}

#[test]
fn a_new_project_has_two_named_classes_and_undo_restores_the_last_delete() {
    let s = session();
    assert!(s.classes().is_empty(), "a session starts empty (the CLI fills it)");
    s.new_project().unwrap();
    assert_eq!(names(&s), ["Class 1", "Class 2"]);
    s.add_class(None).unwrap();
    assert_eq!(names(&s), ["Class 1", "Class 2", "Class 3"]);
    let first = s.classes()[0].id;
    s.delete_class(first).unwrap();
    assert_eq!(names(&s), ["Class 2", "Class 3"]);
    assert!(s.undo_delete().unwrap());
    assert_eq!(names(&s), ["Class 1", "Class 2", "Class 3"], "back in its place");
    assert!(!s.undo_delete().unwrap(), "one undo per delete");
    s.delete_class(first).unwrap();
    s.open(&s.save()).unwrap();
    assert!(!s.undo_delete().unwrap(), "opening a file forgets the undo");
}

/// During the first epoch, tries what must wait for the training, then cancels it.
struct Meddler<'a> {
    session: &'a Session,
    file: Vec<u8>,
    refusals: Vec<String>,
}

impl Progress for Meddler<'_> {
    fn epoch(&mut self, _: &EpochStats) {
        assert!(self.session.training());
        self.refusals.push(self.session.open(&self.file).unwrap_err().to_string());
        self.refusals.push(self.session.new_project().unwrap_err().to_string());
        self.refusals.push(pollster::block_on(self.session.train(&mut Quiet)).unwrap_err().to_string());
        self.session.cancel_training();
    }
    async fn pause(&mut self) {}
}

#[test]
fn while_training_runs_files_wait_and_cancelling_keeps_the_previous_head() {
    let s = session();
    for (name, seed) in [("a", 1), ("b", 50)] {
        let class = s.add_class(Some(name)).unwrap();
        for i in 0..2 {
            pollster::block_on(s.capture(class, noise(seed + i, 160, 120).frame())).unwrap();
        }
    }
    let before = s.save();
    let mut meddler = Meddler { session: &s, file: before.clone(), refusals: Vec::new() };
    let err = pollster::block_on(s.train(&mut meddler)).unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    let [open, new, train] = meddler.refusals.as_slice() else { panic!("{:?}", meddler.refusals) };
    assert!(open.contains("wait for training to finish"), "{open}");
    assert!(new.contains("Cancel the training first"), "{new}");
    assert!(train.contains("already running"), "{train}");
    assert!(!s.training());
    assert_eq!(s.head_state(), HeadState::None, "a cancelled training leaves no head behind");
    assert_eq!(s.save(), before, "nothing changed");
    let summary = pollster::block_on(s.train(&mut Quiet)).unwrap();
    assert_eq!(s.head_state(), HeadState::Current);
    assert_eq!(s.last_training(), Some(summary));
}

/// A project keeps the network its examples came from: it moves to another only while empty,
/// its files say which network they need, and another network's session refuses them.
#[test]
fn a_project_changes_network_only_while_it_has_no_examples() {
    let cpu = ComputeDevice::cpu();
    let s = session();
    s.new_project().unwrap();
    s.rename_class(s.classes()[0].id, "mug").unwrap();
    let lite2 = Rc::new(common::network_backbone(&glimpse::LITE2, &cpu));
    let moved = s.moved_to(lite2).unwrap();
    assert_eq!(moved.network().id, "lite2");
    assert_eq!(names(&moved), ["mug", "Class 2"], "classes and names move along");
    let file = moved.save();
    assert_eq!(glimpse::network_of(&file).unwrap().id, "lite2");
    assert_eq!(glimpse::network_of(&s.save()).unwrap().id, "lite0");
    let before = s.save();
    let refused = s.open(&file).unwrap_err().to_string();
    assert!(refused.contains("efficientnet-lite2"), "{refused}");
    assert_eq!(s.save(), before, "a refused file changed nothing");

    let image = noise(1, 64, 48);
    pollster::block_on(moved.capture(moved.classes()[0].id, image.frame())).unwrap();
    match moved.moved_to(Rc::new(common::backbone(&cpu))) {
        Err(e @ Error::NetworkHasExamples(_)) => assert!(e.to_string().contains("EfficientNet-Lite2"), "{e}"),
        other => panic!("a project with examples changed network: {:?}", other.map(|_| ())),
    }
    assert!(glimpse::network_of(b"not a project").is_err());
}
