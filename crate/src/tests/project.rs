//! The project file: lossless round trips, a catalogue of damaged and foreign files each with
//! its own error, and random bytes that must never make the loader panic.

use super::common;
use crate::backbone::{FEATURE_DIM, LITE0, LITE2, Network};
use crate::learn::examples::store::{Captured, THUMBNAIL_SIZE, Thumbnail};
use crate::learn::rng::Rng;

use std::rc::Rc;

use super::train;
use crate::learn::heads::stored::HeadWeights;
use crate::learn::progress::{Interrupter, Run};
use crate::project::{FORMAT_VERSION, HEADER_LEN, HeadState, Kind, Project, ProjectError};
use crate::{ComputeDevice, Error, Session};
use crate::{HeadChoice, HeadKind, Quiet, Settings, Task};
use sha2::{Digest, Sha256};

fn captured(rng: &mut Rng, centre: f32) -> Captured {
    Captured {
        feature: (0..FEATURE_DIM).map(|i| if i % 3 == 0 { centre } else { 0.0 } + rng.range(0.0, 0.3)).collect(),
        thumbnail: Thumbnail { rgb: (0..THUMBNAIL_SIZE * THUMBNAIL_SIZE * 3).map(|_| rng.below(256) as u8).collect() },
        activation: None,
    }
}

/// A trained project: two classes, a few captures each (some with a second view).
fn trained_project(head: HeadKind) -> Project {
    let mut rng = Rng::new(9);
    let mut project = Project::default();
    project.set_settings(Settings { head: HeadChoice::Fixed(head), epochs: 5, ..Settings::default() }).unwrap();
    let a = project.examples.add_class("mug").unwrap();
    let b = project.examples.add_class("plant 🌱").unwrap();
    for i in 0..4 {
        project.examples.add(a, vec![captured(&mut rng, 1.0), captured(&mut rng, 1.0)]).unwrap();
        if i < 3 {
            project.examples.add(b, vec![captured(&mut rng, 0.0)]).unwrap();
        }
    }
    let trained = train(&project).unwrap();
    project.set_trained(trained).unwrap();
    project
}

/// Lite0 with other weights: features that mean nothing to Lite0's heads.
static OTHER_WEIGHTS: Network = Network { weights_sha256: "0000000000000000000000000000000000000000000000000000000000000000", ..LITE0 };
/// Lite0's name and weights with another input size: another preprocessing.
static OTHER_INPUT: Network = Network { input: 300, ..LITE0 };

fn load(bytes: &[u8]) -> Result<(Kind, Project), ProjectError> {
    Project::from_bytes(bytes, &LITE0)
}

#[test]
fn projects_round_trip_losslessly() {
    for head in [HeadKind::Softmax, HeadKind::Prototype, HeadKind::Knn] {
        let original = trained_project(head);
        let bytes = original.to_bytes(&LITE0);
        let (kind, project) = load(&bytes).unwrap();
        assert_eq!(kind, Kind::Project);
        assert_eq!(project, original, "{head:?}");
        let (_, reopened) = Project::default().open(&bytes, &LITE0).unwrap();
        assert_eq!(reopened.to_bytes(&LITE0), bytes, "saving what was opened gives the same bytes");
        assert_eq!(reopened.head_state(), HeadState::Current);
    }
}

#[test]
fn a_model_only_file_classifies_and_re_imports_without_losing_examples() {
    let original = trained_project(HeadKind::Softmax);
    let model = original.export_model(&LITE0).unwrap();
    // The head (2 × 1280 weights), the trained features' mean and the head's centre (1280 each)
    // are most of it.
    assert!(
        model.len() < 22_000 && model.len() * 6 < original.to_bytes(&LITE0).len(),
        "model {} bytes vs project {}",
        model.len(),
        original.to_bytes(&LITE0).len()
    );
    let (kind, project) = load(&model).unwrap();
    assert_eq!(kind, Kind::ModelOnly);
    assert_eq!(project.examples.example_count(), 0);
    assert_eq!(project.trained, original.trained);

    // A fresh page: classes and head, no examples, and the head is usable.
    let (kind, elsewhere) = Project::default().open(&model, &LITE0).unwrap();
    assert_eq!(kind, Kind::ModelOnly);
    assert_eq!(elsewhere.head_state(), HeadState::Current);
    assert!(matches!(elsewhere.dataset(&LITE0), Err(Error::EmptyClass(_))));

    // The app that still has its examples re-imports the model and keeps them.
    let app = trained_project(HeadKind::Prototype);
    let before = app.examples.example_count();
    let (_, app) = app.open(&model, &LITE0).unwrap();
    assert_eq!(app.examples.example_count(), before);
    assert_eq!(app.head_state(), HeadState::Current);
    assert_eq!(app.trained, original.trained);
    assert!(app.dataset(&LITE0).is_ok(), "training can go on");
}

fn with_checksum(mut file: Vec<u8>) -> Vec<u8> {
    let digest = Sha256::digest(&file[HEADER_LEN..]);
    file[20..52].copy_from_slice(&digest);
    file
}

#[test]
fn every_bad_file_gets_its_own_error_and_changes_nothing() {
    let original = trained_project(HeadKind::Softmax);
    let good = original.to_bytes(&LITE0);
    let len = good.len();
    let mut bad_head = original.clone();
    bad_head.trained.as_mut().unwrap().fitted.head.classes.push(999);

    let mut catalogue: Vec<(&str, Vec<u8>, fn(&ProjectError) -> bool)> = vec![
        ("empty", vec![], |e| matches!(e, ProjectError::Empty)),
        ("random bytes", (0..500u32).map(|i| (i * 7919 % 251) as u8).collect(), |e| matches!(e, ProjectError::Foreign(w) if w == "unknown header")),
        ("a PNG", b"\x89PNG\r\n\x1a\n....".to_vec(), |e| matches!(e, ProjectError::Foreign(w) if w.contains("PNG"))),
        ("the weights file", b"NRUB\x01\x00".to_vec(), |e| matches!(e, ProjectError::Foreign(w) if w.contains("weights"))),
        ("other weights", original.to_bytes(&OTHER_WEIGHTS), |e| matches!(e, ProjectError::WrongBackbone { .. })),
        ("another network", original.to_bytes(&LITE2), |e| matches!(e, ProjectError::WrongBackbone { found, .. } if found.starts_with("efficientnet-lite2"))),
        ("other preprocessing", original.to_bytes(&OTHER_INPUT), |e| matches!(e, ProjectError::WrongPreprocessing)),
        ("head for missing classes", bad_head.to_bytes(&LITE0), |e| matches!(e, ProjectError::Inconsistent(_))),
    ];
    for cut in [3, 8, 20, 51] {
        catalogue.push(("cut in the header", good[..cut].to_vec(), |e| matches!(e, ProjectError::ShortHeader { .. })));
    }
    for cut in [HEADER_LEN, HEADER_LEN + 1, len / 2, len - 1] {
        catalogue.push(("cut in the body", good[..cut].to_vec(), |e| matches!(e, ProjectError::Truncated { .. })));
    }
    let mut future = good.clone();
    future[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    catalogue.push(("future version", future, |e| matches!(e, ProjectError::NewerVersion { found, .. } if *found == FORMAT_VERSION + 1)));
    let mut zero = good.clone();
    zero[8..10].copy_from_slice(&0u16.to_le_bytes());
    catalogue.push(("version 0", zero, |e| matches!(e, ProjectError::VersionZero)));
    let mut kind = good.clone();
    kind[10] = 7;
    catalogue.push(("unknown kind", kind, |e| matches!(e, ProjectError::UnknownKind(7))));
    let mut longer = good.clone();
    longer[12..20].copy_from_slice(&((len - HEADER_LEN + 10) as u64).to_le_bytes());
    catalogue.push(("length says more", longer, |e| matches!(e, ProjectError::Truncated { .. })));
    let mut shorter = good.clone();
    shorter[12..20].copy_from_slice(&((len - HEADER_LEN - 10) as u64).to_le_bytes());
    catalogue.push(("length says less", shorter, |e| matches!(e, ProjectError::TrailingBytes { extra: 10 })));
    let mut flipped = good.clone();
    flipped[len / 2] ^= 0x40;
    catalogue.push(("a flipped bit", flipped, |e| matches!(e, ProjectError::Checksum)));
    // An inner length prefix tampered with, and the checksum recomputed to match: the decoder
    // itself must notice.
    let mut inner = good.clone();
    inner[HEADER_LEN] = 0xff;
    inner[HEADER_LEN + 1] = 0xff;
    catalogue.push(("tampered inner length", with_checksum(inner), |e| matches!(e, ProjectError::Undecodable(_))));

    // The app's open project, which no failed open may touch.
    let app = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    app.open(&trained_project(HeadKind::Prototype).to_bytes(&LITE0)).unwrap();
    let saved = app.save();
    for (name, bytes, expected) in catalogue {
        let err = load(&bytes).expect_err(name);
        assert!(expected(&err), "{name}: got {err:?}");
        assert!(!err.to_string().is_empty());
        let message = app.open(&bytes).unwrap_err().to_string();
        assert!(message.starts_with("project file: "), "{name}: {message}");
        assert_eq!(app.save(), saved, "{name}: a failed open changed the project");
    }
}

#[test]
fn random_and_mutated_bytes_never_panic_the_loader() {
    let good = trained_project(HeadKind::Knn).to_bytes(&LITE0);
    let mut rng = Rng::new(2024);
    // Accepted files per kind of damage; a valid checksum over a mutated body may well be a valid
    // project (a changed feature value), so only the first two kinds must always be refused.
    let mut accepted = [0usize; 3];
    for round in 0..6000 {
        let bytes = match round % 3 {
            // Random bytes, sometimes behind a valid magic and version.
            0 => {
                let n = rng.below(300);
                let mut b: Vec<u8> = (0..n).map(|_| rng.below(256) as u8).collect();
                if rng.uniform() < 0.5 && n > 10 {
                    b[..10].copy_from_slice(&good[..10]);
                }
                b
            }
            // A good file with a few bytes changed, cut or extended.
            1 => {
                let mut b = good.clone();
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(b.len());
                    // XOR with a non-zero byte: a "change" that writes the same byte back
                    // would leave the file intact.
                    b[i] ^= 1 + rng.below(255) as u8;
                }
                match rng.below(3) {
                    0 => b.truncate(rng.below(good.len())),
                    1 => b.extend((0..rng.below(40)).map(|_| rng.below(256) as u8)),
                    _ => {}
                }
                b
            }
            // A valid header and checksum over a mutated body: only the decoder stands guard.
            _ => {
                let mut b = good.clone();
                for _ in 0..1 + rng.below(16) {
                    let i = HEADER_LEN + rng.below(b.len() - HEADER_LEN);
                    b[i] = rng.below(256) as u8;
                }
                with_checksum(b)
            }
        };
        accepted[round % 3] += load(&bytes).is_ok() as usize;
    }
    assert_eq!(accepted[..2], [0, 0], "damaged files were accepted");
}

/// Files written by earlier versions, with the classes they hold and a photo of each.
/// `format-1.glimpse`: commit 32ce424, `glimpse train` on two scikit-image photos' views per
/// class, "cat" and "cup". `format-2.glimpse`: commit 2f13e37, the same with `--zero-shot
/// motorcycle`. `format-3.glimpse`: commit 38f06ee, `glimpse train --fine-tune 1 --validation 0
/// --epochs 5` on views of the same two photos. `format-4.glimpse`: commit 81a259a, `glimpse train
/// --validation 0.4` on views of the same two photos (so it holds a transfer check), then `glimpse
/// adapt` to 8 other views. `format-5.glimpse`: commit 0f931f2, `glimpse train --head auto
/// --validation 0.4` on views of the same two photos (auto kept softmax). `format-5-anomaly.glimpse`:
/// commit 0f931f2, `glimpse train --anomaly --false-alarm 0.2` on 8 views of the cat, and
/// `format-5-anomaly.skeleton` the skeleton the page stored of it (`Session::save_skeleton`).
/// `format-6.glimpse`: commit 852c39a, `glimpse train --head auto --validation 0.4` on views of
/// the same two photos. `format-7.glimpse`: commit 16ba5eb, the same on five crops of each photo
/// (160×120); `format-7-count.glimpse`: commit 16ba5eb, `glimpse train --detect --epochs 3` on the
/// first three frames of the YOLO folder `tests/cli.rs` writes (target/fixtures/counting/train), and
/// `format-7-count.skeleton` the skeleton that commit's page would have stored of it.
/// (file, its format, (photo, the class it shows) for each class in order)
type OlderFile = (&'static str, u16, &'static [(&'static str, &'static str)]);
const OLDER_FILES: [OlderFile; 7] = [
    ("format-1.glimpse", 1, &[("chelsea.png", "cat"), ("coffee.png", "cup")]),
    ("format-2.glimpse", 2, &[("chelsea.png", "cat"), ("coffee.png", "cup"), ("motorcycle_left.png", "motorcycle")]),
    ("format-3.glimpse", 3, &[("chelsea.png", "cat"), ("coffee.png", "cup")]),
    ("format-4.glimpse", 4, &[("chelsea.png", "cat"), ("coffee.png", "cup")]),
    ("format-5.glimpse", 5, &[("chelsea.png", "cat"), ("coffee.png", "cup")]),
    ("format-6.glimpse", 6, &[("chelsea.png", "cat"), ("coffee.png", "cup")]),
    ("format-7.glimpse", 7, &[("chelsea.png", "cat"), ("coffee.png", "cup")]),
];

#[test]
fn files_of_older_formats_still_open_and_predict() {
    for (file, version, classes) in OLDER_FILES {
        a_file_of_an_older_format_opens(file, version, classes);
    }
}

fn a_file_of_an_older_format_opens(file: &str, version: u16, classes: &[(&str, &str)]) {
    let bytes = std::fs::read(common::workspace().join("tests/fixtures").join(file)).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), version, "{file} is a format {version} file");
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    assert_eq!(session.open(&bytes).unwrap(), Kind::Project);
    let names: Vec<String> = session.classes().into_iter().map(|c| c.name).collect();
    assert_eq!(names, classes.iter().map(|(_, name)| *name).collect::<Vec<_>>());
    assert_eq!(session.head_state(), HeadState::Current);
    assert!(session.project().senses.is_empty());
    let trained = session.project().trained.clone().unwrap();
    match version {
        3 => {
            assert_eq!(session.settings().fine_tune, 1);
            assert!(trained.fine_tuned.unwrap().top.is_some(), "{file} has fine-tuned layers");
            assert!(trained.feature_mean.is_none(), "the features of a fine-tuned head's examples cannot be recomputed on opening");
        }
        _ => {
            assert_eq!(session.settings().fine_tune, 0, "older files knew no fine-tuning");
            assert!(trained.fine_tuned.is_none());
            // Recomputed from the examples, as training computes it: the file can be adapted.
            assert_eq!(trained.feature_mean.unwrap().len(), crate::backbone::FEATURE_DIM);
        }
    }
    match version {
        4 => {
            let transfer = trained.transfer.expect("format 4 keeps the transfer check");
            assert_eq!((transfer.features, transfer.pixels, transfer.intermediate), (1.0, 1.0, None), "format 4 compared no intermediate layer");
            assert_eq!(session.adaptation().map(|a| (a.frames, a.applies)), Some((8, true)));
        }
        _ => assert!(session.adaptation().is_none()),
    }
    assert!(trained.counted.is_none() && session.project().scenes.is_empty(), "older files knew no counting");
    match version {
        5..=7 => {
            assert_eq!(session.settings().head, HeadChoice::Auto, "{file} asked for auto");
            assert_eq!(trained.auto.expect("formats 5 to 7 keep auto's choice").chosen().head, HeadKind::Softmax);
        }
        _ => assert!(trained.auto.is_none()),
    }
    assert!(trained.refit.is_none() && trained.tuning.is_none(), "older files were not refit");
    assert_eq!(session.settings().task, Task::Classify);
    assert_eq!(session.settings().false_alarm_rate, Settings::default().false_alarm_rate, "older files knew no anomaly detection");
    for (photo, expected) in classes {
        let image = common::photo(photo);
        let frame = crate::Frame::new(&image.rgba, image.width, image.height).unwrap();
        let p = pollster::block_on(session.predict(&[frame])).unwrap().remove(0);
        assert_eq!(p.top().name, *expected, "{file}");
    }
    // Saved again, it is a current-format file with the same contents.
    let saved = session.save();
    assert_eq!(u16::from_le_bytes([saved[8], saved[9]]), FORMAT_VERSION);
    let (_, reopened) = load(&saved).unwrap();
    assert_eq!(&reopened, &*session.project());
}

/// Format 7's counter opens with its frames, their points and its per-cell head, and finds
/// objects in a frame it learned from (three epochs: only where, not how well).
#[test]
fn a_counter_of_format_7_opens_with_its_frames_and_points() {
    let bytes = std::fs::read(common::workspace().join("tests/fixtures/format-7-count.glimpse")).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 7);
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.open(&bytes).unwrap();
    assert_eq!(session.settings().task, Task::Count);
    assert!(session.settings().refit, "an older file's settings take the refit's default");
    let project = session.project().clone();
    assert_eq!(project.scenes.len(), 3);
    assert_eq!(project.points.values().map(Vec::len).sum::<usize>(), 6, "the fixture's frames hold six objects");
    assert_eq!(session.last_training().unwrap().task, Task::Count);
    let saved = session.save();
    assert_eq!(&load(&saved).unwrap().1, &project, "saved again in the current format, unchanged");

    // The page's stored form of format 7 (`format-7-count.skeleton`: the skeleton commit 16ba5eb's
    // `Session::save_skeleton` wrote of this file), with records as this build writes them.
    let skeleton = std::fs::read(common::workspace().join("tests/fixtures/format-7-count.skeleton")).unwrap();
    assert_eq!(u16::from_le_bytes([skeleton[8], skeleton[9]]), 7);
    let records: Vec<Vec<u8>> = session.example_ids().iter().map(|&id| session.example_record(id).unwrap()).collect();
    let stored = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    stored.open_stored(&skeleton, &records).unwrap();
    assert_eq!(&*stored.project(), &project, "the stored form of format 7 joins back into the same project");
}

/// Format 5 wrote a detector as a head of its own kind: it opens as the task of spotting anomalies
/// (the classifier's head back to the default), its threshold as it was, from its file and from
/// the skeleton a page stored of it.
#[test]
fn a_detector_of_format_5_opens_as_the_anomaly_task() {
    let fixture = |name: &str| std::fs::read(common::workspace().join("tests/fixtures").join(name)).unwrap();
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    session.open(&fixture("format-5-anomaly.glimpse")).unwrap();
    let settings = session.settings();
    assert_eq!((settings.task, settings.head, settings.false_alarm_rate), (Task::SpotAnomalies, HeadChoice::SOFTMAX, 0.2));
    let summary = session.last_training().unwrap();
    assert_eq!((summary.task, summary.normal_examples), (Task::SpotAnomalies, Some(8)));
    let cat = common::photo("chelsea.png");
    let coffee = common::photo("coffee.png");
    let p = pollster::block_on(session.predict(&[cat.frame(), coffee.frame()])).unwrap();
    let verdicts: Vec<bool> = p.iter().map(|p| p.anomaly.unwrap().anomaly).collect();
    assert_eq!(verdicts, [false, true], "the cat is normal, the cup an anomaly: {p:?}");

    // The page's stored form of format 5: its skeleton, with records as this build writes them.
    let records: Vec<Vec<u8>> = session.example_ids().iter().map(|&id| session.example_record(id).unwrap()).collect();
    let stored = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    stored.open_stored(&fixture("format-5-anomaly.skeleton"), &records).unwrap();
    assert_eq!(&*stored.project(), &*session.project());
}

/// A detector's project: one class of six normal captures.
fn detector_project() -> Project {
    let mut rng = Rng::new(4);
    let mut project = Project::default();
    project.set_settings(Settings { task: Task::SpotAnomalies, false_alarm_rate: 0.2, ..Settings::default() }).unwrap();
    let normal = project.examples.add_class("bolt").unwrap();
    for _ in 0..6 {
        project.examples.add(normal, vec![captured(&mut rng, 1.0)]).unwrap();
    }
    let trained = train(&project).unwrap();
    project.set_trained(trained).unwrap();
    project
}

/// Format 5's fields (a detector, its false-alarm rate; auto's choice; the intermediate layer's
/// accuracy) round-trip, and bad values of each are refused with a message.
#[test]
fn format_5_fields_round_trip_and_bad_values_are_refused() {
    let detector = detector_project();
    let mut auto = trained_project(HeadKind::Softmax);
    auto.settings.head = HeadChoice::Auto;
    let data = auto.dataset(&LITE0).unwrap();
    let device = ComputeDevice::cpu().device;
    let choice =
        pollster::block_on(crate::learn::heads::auto::choose(&data, &auto.settings, &device, &mut Run::new(&mut Quiet, &Interrupter::default()))).unwrap();
    let trained = auto.trained.as_mut().unwrap();
    trained.auto = Some(choice);
    trained.transfer = Some(crate::learn::tasks::negative_transfer::Transfer { features: 0.9, pixels: 0.5, intermediate: Some(0.95) });
    for original in [&detector, &auto] {
        let (_, project) = load(&original.to_bytes(&LITE0)).unwrap();
        assert_eq!(&project, original);
    }
    assert!(auto.trained.as_ref().unwrap().summary(&LITE0, 0.05).transfer.unwrap().intermediate_better);

    let refused = |project: &Project, what: &str| {
        let err = load(&project.to_bytes(&LITE0)).unwrap_err();
        assert!(matches!(&err, ProjectError::Inconsistent(m) if m.contains(what)), "{what}: {err}");
    };
    let mut rate = detector.clone();
    rate.settings.false_alarm_rate = 0.9;
    refused(&rate, "false-alarm rate");
    let mut unsorted = detector.clone();
    if let HeadWeights::Anomaly(detector) = &mut unsorted.trained.as_mut().unwrap().fitted.head.weights {
        detector.calibration.reverse();
    }
    refused(&unsorted, "normal examples and their scores");
    let mut two = detector.clone();
    two.trained.as_mut().unwrap().fitted.head.classes.push(two.examples.add_class("nut").unwrap());
    refused(&two, "normal examples and their scores");
    let mut intermediate = auto.clone();
    intermediate.trained.as_mut().unwrap().transfer.as_mut().unwrap().intermediate = Some(1.5);
    refused(&intermediate, "accuracies outside 0–1");
    // A damaged adaptation (moved here from crate/tests/adapt.rs, which sees only the public API).
    let mut adapted = auto.clone();
    adapted.adapt(&vec![0.5; FEATURE_DIM * 8], 0.0).unwrap();
    adapted.adaptation.as_mut().unwrap().mean.truncate(100);
    refused(&adapted, "adaptation");
}

/// Each example's stored record, in reverse order (the page reads them in key order, which a
/// join must not depend on).
fn records(project: &Project) -> Vec<(u32, Vec<u8>)> {
    let ids: Vec<u32> = project.examples.classes().iter().flat_map(|c| c.examples.iter().map(|e| e.id)).collect();
    ids.into_iter().rev().map(|id| (id, project.record_bytes(id).unwrap())).collect()
}

fn bytes_of(records: &[(u32, Vec<u8>)]) -> Vec<Vec<u8>> {
    records.iter().map(|(_, r)| r.clone()).collect()
}

/// The page's stored form (a skeleton plus one record per example) joins back into exactly the
/// project, a save writes only what is new, and each way the storage can be damaged is refused
/// with its own message.
#[test]
fn the_stored_form_joins_back_exactly_and_refuses_what_is_missing() {
    let fine_tuned = load(&std::fs::read(common::workspace().join("tests/fixtures/format-3.glimpse")).unwrap()).unwrap().1;
    assert!(!fine_tuned.activations.is_empty(), "the fixture has fine-tuning's cached activations");
    for original in [trained_project(HeadKind::Softmax), detector_project(), fine_tuned] {
        let stored = records(&original);
        let joined = Project::from_stored(&original.skeleton_bytes(&LITE0), &bytes_of(&stored), &LITE0).unwrap();
        assert_eq!(joined, original);
    }

    // One example more costs the skeleton a few bytes; the record carries the rest.
    let mut project = trained_project(HeadKind::Softmax);
    let before = project.skeleton_bytes(&LITE0);
    let class = project.examples.classes()[1].id;
    let new = project.examples.add(class, vec![captured(&mut Rng::new(3), 0.0)]).unwrap()[0];
    let after = project.skeleton_bytes(&LITE0);
    assert!(after.len() - before.len() <= 8, "the skeleton grew by {} bytes", after.len() - before.len());
    assert!(project.record_bytes(new).unwrap().len() > FEATURE_DIM * 4, "the record holds the feature");
    assert!(after.len() * 4 < project.to_bytes(&LITE0).len(), "the skeleton leaves the examples out");

    // Moving an example to another class changes the skeleton only: its old record still fits.
    let stored = records(&project);
    let moved = project.examples.classes()[0].examples[0].id;
    project.examples.move_example(moved, class).unwrap();
    assert_eq!(Project::from_stored(&project.skeleton_bytes(&LITE0), &bytes_of(&stored), &LITE0).unwrap(), project);

    // A deleted example's record left behind is ignored.
    project.examples.delete_example(moved).unwrap();
    assert_eq!(Project::from_stored(&project.skeleton_bytes(&LITE0), &bytes_of(&stored), &LITE0).unwrap(), project);

    let skeleton = project.skeleton_bytes(&LITE0);
    let refused = |records: &[Vec<u8>], skeleton: &[u8]| Project::from_stored(skeleton, records, &LITE0).unwrap_err().to_string();
    let mut missing = bytes_of(&stored);
    let gone = stored.iter().position(|(id, _)| *id == new).unwrap();
    missing.remove(gone);
    assert!(refused(&missing, &skeleton).contains(&format!("example {new} of “plant 🌱” is missing from storage")), "{}", refused(&missing, &skeleton));
    let mut cut = bytes_of(&stored);
    cut[gone].truncate(100);
    assert!(refused(&cut, &skeleton).contains("an example's record"), "{}", refused(&cut, &skeleton));
    let mut swapped = bytes_of(&stored);
    let other = stored.iter().position(|(id, _)| *id != new && *id != moved).unwrap();
    swapped[gone] = swapped[other].clone();
    assert!(refused(&swapped, &skeleton).contains("missing from storage"), "a record under another id does not stand in");
    let mut damaged = skeleton.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(refused(&bytes_of(&stored), &damaged).contains("checksum"));
    assert!(refused(&bytes_of(&stored), &project.to_bytes(&LITE0)).contains("whole file"), "a project file is not a skeleton");

    // A skeleton is never a file to open: importing one says what it is.
    assert_eq!(load(&skeleton).unwrap_err(), ProjectError::Skeleton);
}

/// A classifier's head learns from, and reads, features centred on its examples' mean: the centre
/// stored is that mean, the prototypes are the centred examples' class means, and what is added to
/// every feature before the head reads it is minus the centre (without an adaptation).
#[test]
fn a_classifier_reads_features_centred_on_its_examples_mean() {
    let project = trained_project(HeadKind::Prototype);
    let crate::learn::recipe::Lessons::Examples { mut data, .. } = project.lessons(&LITE0).unwrap() else { unreachable!("a classifier's lessons") };
    let mean = data.mean();
    let trained = project.trained.as_ref().unwrap();
    let centre = trained.centre.as_ref().expect("a classifier's head is centred");
    assert!(common::max_abs_diff(centre, &mean) < 1e-6);
    data.centre(&mean);
    let all: Vec<usize> = (0..data.len()).collect();
    let HeadWeights::Prototype { prototypes } = &trained.head().weights else { unreachable!("a prototype head") };
    let HeadWeights::Prototype { prototypes: expected } = crate::learn::heads::instant::prototypes(&data, &all) else { unreachable!() };
    assert!(common::max_abs_diff(prototypes, &expected) < 1e-6, "the prototypes are not the centred features' class means");
    let shift = project.feature_shift().expect("a centred head shifts every feature");
    assert!(shift.iter().zip(centre).all(|(s, c)| (s + c).abs() < 1e-6), "without an adaptation the shift is minus the centre");
}
