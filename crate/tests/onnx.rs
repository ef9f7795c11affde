//! The ONNX export against onnxruntime: for each kind of head, a fine-tuned and an adapted
//! project, classes known by name only and a detector, the exported file passes onnx's checker
//! and onnxruntime gives what `predict` gives, within 1e-4, on real photos.

#![cfg(not(target_family = "wasm"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use glimpse::{ComputeDevice, Error, Frame, HeadChoice, HeadKind, Network, Prediction, Quiet, Session, Settings, Task, View};

const PYTHON_SAYS: &str = "set GLIMPSE_PYTHON to the test command's .venv/bin/python (numpy, onnx, onnxruntime)";

fn python() -> String {
    std::env::var("GLIMPSE_PYTHON").unwrap_or_else(|_| common::workspace().join(".venv/bin/python").display().to_string())
}

fn dir() -> PathBuf {
    let dir = common::workspace().join("target/fixtures/onnx");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn new_session() -> Session {
    on(&glimpse::LITE0)
}

fn on(network: &'static Network) -> Session {
    Session::new(Rc::new(common::network_backbone(network, &ComputeDevice::cpu())))
}

/// Captures views of each photo into a class named after its object.
fn capture(session: &Session, objects: &[(&str, &str)], views: usize) {
    for (name, photo) in objects {
        let class = session.add_class(Some(name)).unwrap();
        for view in common::views(photo, views, 3) {
            pollster::block_on(session.capture(class, Frame::new(view.as_raw(), view.width(), view.height()).unwrap())).unwrap();
        }
    }
}

/// Images the exported models are run on: other views of the photos, and one unlike them.
fn test_images() -> Vec<common::Image> {
    let mut images: Vec<common::Image> = common::PHOTOS.iter().map(|p| common::photo(p)).collect();
    images.push(common::noise(5, 200, 150));
    images
}

struct Run {
    outputs: serde_json::Value,
    metadata: serde_json::Value,
}

/// Exports `session`'s model, runs it with onnxruntime on `images`, and returns what it gave.
fn run_onnx(session: &Session, name: &str, images: &[common::Image]) -> Run {
    run_onnx_on(session, name, images, View::CentreSquare)
}

/// [`run_onnx`] with `view` of each image as the model's input.
fn run_onnx_on(session: &Session, name: &str, images: &[common::Image], view: View) -> Run {
    let exported = pollster::block_on(session.export_onnx()).unwrap();
    let model = dir().join(format!("{name}.onnx"));
    std::fs::write(&model, &exported.bytes).unwrap();
    let preprocess = session.backbone().preprocess();
    let inputs: Vec<u8> = images.iter().flat_map(|i| preprocess.pixels_of(i.frame(), view)).flat_map(f32::to_le_bytes).collect();
    let input_file = dir().join(format!("{name}.f32"));
    std::fs::write(&input_file, inputs).unwrap();
    let out = Command::new(python())
        .arg(common::workspace().join("tests/reference/onnx_run.py"))
        .args([model.as_os_str(), input_file.as_os_str(), images.len().to_string().as_ref()])
        .output()
        .unwrap_or_else(|e| panic!("{e}: {PYTHON_SAYS}"));
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let classes: Vec<String> = serde_json::from_str(json["metadata"]["classes"].as_str().unwrap()).unwrap();
    assert_eq!(classes, exported.classes, "{name}: the metadata names the classes in output order");
    Run { outputs: json["outputs"].clone(), metadata: json["metadata"].clone() }
}

fn predictions(session: &Session, images: &[common::Image]) -> Vec<Prediction> {
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    pollster::block_on(session.predict(&frames)).unwrap()
}

/// The largest difference between onnxruntime's `probabilities` and `predict`'s.
fn worst(run: &Run, predicted: &[Prediction]) -> f32 {
    let rows = run.outputs["probabilities"].as_array().unwrap();
    assert_eq!(rows.len(), predicted.len());
    let mut worst: f32 = 0.0;
    for (row, p) in rows.iter().zip(predicted) {
        let row: Vec<f32> = row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        assert_eq!(row.len(), p.classes.len());
        for (a, c) in row.iter().zip(&p.classes) {
            worst = worst.max((a - c.probability).abs());
        }
    }
    worst
}

fn train(session: &Session, settings: Settings) {
    session.set_settings(settings).unwrap();
    pollster::block_on(session.train(&mut Quiet)).unwrap();
}

#[test]
fn every_head_exports_and_onnxruntime_agrees_with_predict() {
    let images = test_images();
    // The photos as an exported model's input, for the browser's onnxruntime-web (tests/e2e/library.test.mjs).
    let preprocess = new_session().backbone().preprocess().clone();
    let photos: Vec<u8> = images[..common::PHOTOS.len()].iter().flat_map(|i| preprocess.pixels(i.frame())).flat_map(f32::to_le_bytes).collect();
    std::fs::write(dir().join("photos.f32"), photos).unwrap();
    let objects = [("cat", "chelsea.png"), ("coffee", "coffee.png"), ("rocket", "rocket.jpg")];
    let cases: Vec<(&str, Settings)> = vec![
        ("softmax", Settings { epochs: 15, ..Settings::default() }),
        ("hidden", Settings { hidden: 32, epochs: 15, ..Settings::default() }),
        ("prototype", Settings { head: HeadChoice::Fixed(HeadKind::Prototype), ..Settings::default() }),
        ("knn", Settings { head: HeadChoice::Fixed(HeadKind::Knn), k: 3, ..Settings::default() }),
        ("fine-tuned", Settings { fine_tune: 2, epochs: 4, validation_fraction: 0.0, ..Settings::default() }),
        ("lite2-fine-tuned", Settings { fine_tune: 2, epochs: 4, validation_fraction: 0.0, ..Settings::default() }),
    ];
    for (name, settings) in cases {
        let session = if name.starts_with("lite2") { on(&glimpse::LITE2) } else { new_session() };
        capture(&session, &objects, 4);
        train(&session, settings);
        if name.ends_with("fine-tuned") {
            assert!(session.last_training().unwrap().fine_tuned.unwrap().kept, "the fine-tuned layers were kept");
        }
        let run = run_onnx(&session, name, &images);
        let predicted = predictions(&session, &images);
        let worst = worst(&run, &predicted);
        eprintln!("{name}: onnxruntime vs predict, max difference {worst:.2e}");
        assert!(worst <= 1e-4, "{name}: {worst}");
        assert_eq!(run.metadata["threshold"], Settings::default().threshold.to_string());
        assert_eq!(run.metadata["task"], "classify");
    }
}

/// Adapted, mixed with classes known by name, a lone trained class among named ones, and named
/// classes alone (with "none of the named things" as an output of its own).
#[test]
fn adaptation_and_named_classes_export_too() {
    let images = test_images();
    let session = new_session();
    capture(&session, &[("cat", "chelsea.png"), ("coffee", "coffee.png")], 4);
    train(&session, Settings { epochs: 10, ..Settings::default() });
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let mut features = pollster::block_on(session.features(&frames)).unwrap();
    features.extend(features.clone());
    session.adapt(&features, 0.0).unwrap();
    let adapted = run_onnx(&session, "adapted", &images);
    assert!(worst(&adapted, &predictions(&session, &images)) <= 1e-4);

    session.add_class(Some("motorcycle")).unwrap();
    let mixed = run_onnx(&session, "mixed", &images);
    let predicted = predictions(&session, &images);
    assert_eq!(predicted[0].classes.len(), 3);
    assert!(worst(&mixed, &predicted) <= 1e-4, "{}", worst(&mixed, &predicted));

    let named = new_session();
    for name in ["cat", "coffee", "rocket"] {
        named.add_class(Some(name)).unwrap();
    }
    let run = run_onnx(&named, "named", &images);
    let predicted = predictions(&named, &images);
    assert!(worst(&run, &predicted) <= 1e-4);
    let none: Vec<f32> = run.outputs["none"].as_array().unwrap().iter().map(|r| r[0].as_f64().unwrap() as f32).collect();
    for (n, p) in none.iter().zip(&predicted) {
        assert!((n - p.none.unwrap()).abs() <= 1e-4, "none: {n} vs {:?}", p.none);
    }

    let lone = new_session();
    capture(&lone, &[("cat", "chelsea.png")], 2);
    lone.add_class(Some("coffee")).unwrap();
    let run = run_onnx(&lone, "lone", &images);
    assert!(worst(&run, &predictions(&lone, &images)) <= 1e-4);
}

#[test]
fn a_detector_exports_its_score_and_threshold() {
    let images = test_images();
    let session = new_session();
    capture(&session, &[("cat", "chelsea.png")], 8);
    train(&session, Settings { task: Task::SpotAnomalies, false_alarm_rate: 0.2, ..Settings::default() });
    let run = run_onnx(&session, "detector", &images);
    let predicted = predictions(&session, &images);
    let scores = run.outputs["score"].as_array().unwrap();
    for (row, p) in scores.iter().zip(&predicted) {
        let a = p.anomaly.unwrap();
        assert!((row[0].as_f64().unwrap() as f32 - a.score).abs() <= 1e-4, "{row} vs {a:?}");
        let threshold: f32 = run.metadata["threshold"].as_str().unwrap().parse().unwrap();
        assert!((threshold - a.threshold).abs() <= 1e-6);
    }
    assert_eq!(run.metadata["task"], "anomaly");
}

/// A counter's file gives its per-cell probabilities of the whole frame: the map `explain` shows
/// (each cell's probability of holding an object's centre) is one minus its background channel.
/// On each network: Lite0 cuts at a 14×14 map, Lite2 at 17×17.
#[test]
fn a_counter_exports_its_cell_map() {
    for (network, side) in [(&glimpse::LITE0, 14), (&glimpse::LITE2, 17)] {
        counter_exports_its_cell_map(network, side);
    }
}

fn counter_exports_its_cell_map(network: &'static Network, side: usize) {
    let session = on(network);
    let train_scenes = common::scenes::scenes(16, 4);
    let ids: Vec<_> = common::scenes::OBJECTS.iter().map(|(name, _, _)| session.add_class(Some(name)).unwrap()).collect();
    session.set_settings(Settings { task: Task::Count, epochs: 10, ..Settings::default() }).unwrap();
    for scene in &train_scenes {
        let added = pollster::block_on(session.capture(ids[0], Frame::new(scene.image.as_raw(), scene.image.width(), scene.image.height()).unwrap())).unwrap();
        session.set_points(added.ids[0], scene.points.iter().map(|&(k, x, y)| glimpse::Point { class: ids[k], x, y }).collect()).unwrap();
    }
    pollster::block_on(session.train(&mut Quiet)).unwrap();
    let images: Vec<common::Image> = common::scenes::scenes(3, 5)
        .into_iter()
        .map(|s| common::Image { width: s.image.width(), height: s.image.height(), rgba: s.image.into_raw() })
        .collect();
    let run = run_onnx_on(&session, "counter", &images, View::Whole);
    assert_eq!(run.metadata["task"], "count");
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let explained = pollster::block_on(session.explain(&frames)).unwrap();
    let cells = run.outputs["cells"].as_array().unwrap();
    let mut worst: f32 = 0.0;
    for (frame, e) in cells.iter().zip(&explained) {
        let channels = frame.as_array().unwrap();
        assert_eq!(channels.len(), 1 + ids.len());
        let background: Vec<f32> =
            channels[0].as_array().unwrap().iter().flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32)).collect();
        assert_eq!((background.len(), e.map.side), (side * side, side));
        for (b, v) in background.iter().zip(&e.map.values) {
            worst = worst.max((1.0 - b - v).abs());
        }
    }
    println!("{} counter: onnxruntime's cells against explain's map: worst {worst:.2e}", network.id);
    assert!(worst <= 1e-4, "{worst}");
}

#[test]
fn what_cannot_predict_cannot_export_and_the_cli_writes_the_file() {
    let untrained = new_session();
    capture(&untrained, &[("cat", "chelsea.png"), ("coffee", "coffee.png")], 2);
    assert!(matches!(pollster::block_on(untrained.export_onnx()), Err(Error::NotTrained)));
    let empty = new_session();
    empty.add_class(Some("Class 1")).unwrap();
    assert!(pollster::block_on(empty.export_onnx()).is_err(), "a class that is neither trained nor named refuses");

    // The CLI: `glimpse export` on a project the CLI trained.
    let root = dir().join("cli");
    let _ = std::fs::remove_dir_all(&root);
    let views = common::view_folders(&root.join("views"), &common::OBJECTS[..2], 3, 2);
    let project = root.join("p.glimpse");
    let glimpse = |args: &[&Path]| Command::new(env!("CARGO_BIN_EXE_glimpse")).args(args).output().unwrap();
    let out = glimpse(&[Path::new("train"), &views, Path::new("-o"), &project, Path::new("--epochs"), Path::new("5")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let model = root.join("model.onnx");
    let out = glimpse(&[Path::new("export"), &project, Path::new("-o"), &model]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("classes cat, coffee"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(std::fs::read(&model).unwrap().len() > 10_000_000, "the backbone is inside");
    let out = glimpse(&[Path::new("export"), &project, Path::new("-o"), &model]);
    assert_eq!(out.status.code(), Some(2), "an existing file is replaced only with --force");
}
