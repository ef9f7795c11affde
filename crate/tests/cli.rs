//! `glimpse imagenet` on real files.

#![cfg(not(target_family = "wasm"))]

mod common;

use std::process::Command;

use common::fixture;

fn glimpse(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_glimpse")).args(args).output().unwrap()
}

#[test]
fn imagenet_prints_five_sorted_lines_per_image() {
    let (cat, coffee) = (fixture("chelsea.png"), fixture("coffee.png"));
    let out = glimpse(&["imagenet", cat.to_str().unwrap(), coffee.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 12, "{text}");
    assert_eq!(lines[0], cat.to_str().unwrap());
    assert_eq!(lines[6], coffee.to_str().unwrap());
    for block in [&lines[1..6], &lines[7..12]] {
        let probs: Vec<f32> = block
            .iter()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 3, "{line}");
                assert!(fields[1].parse::<usize>().unwrap() < 1000);
                fields[0].parse().unwrap()
            })
            .collect();
        assert!(probs.windows(2).all(|w| w[0] >= w[1]), "{probs:?}");
    }
    assert!(lines[7].ends_with("espresso"), "{}", lines[7]);
}

#[test]
fn unreadable_and_non_image_files_fail_clearly() {
    let out = glimpse(&["imagenet", "/no/such/file.png"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.png"));

    let text = std::env::temp_dir().join("glimpse-not-an-image.png");
    std::fs::write(&text, "hello").unwrap();
    let out = glimpse(&["imagenet", text.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a readable PNG or JPEG"), "{stderr}");

    let out = glimpse(&["imagenet", "--weights", text.to_str().unwrap(), fixture("chelsea.png").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("weights file"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn auto_picks_a_backend_and_a_bad_backend_name_is_refused() {
    let cat = fixture("chelsea.png");
    let out = glimpse(&["imagenet", "--backend", "auto", cat.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let top: usize = text.lines().nth(1).unwrap().split('\t').nth(1).unwrap().parse().unwrap();
    assert!((281..=285).contains(&top), "the cat photo on the auto backend: {text}");

    let out = glimpse(&["imagenet", "--backend", "tpu", cat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown backend \"tpu\" (cpu, wgpu or auto)"), "{stderr}");
}

/// Train on views of three photos, evaluate on other views, predict, and leave the project in
/// target/fixtures for the browser test (a project made by the CLI must open in the browser).
#[test]
fn train_eval_and_predict_on_folders_of_photos() {
    let root = common::workspace().join("target/fixtures/views");
    let _ = std::fs::remove_dir_all(&root);
    let train_dir = common::view_folders(&root.join("train"), &common::OBJECTS, 5, 1);
    let test_dir = common::view_folders(&root.join("test"), &common::OBJECTS, 4, 2);
    let project = common::workspace().join("target/fixtures/cli-project.glimpse");
    let out = glimpse(&["train", train_dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--flip", "--validation", "0.4"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("epoch   1  train loss"), "progress per epoch on stderr: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("on the pretrained features") && !stdout.contains("negative transfer"), "distinct objects: {stdout}");

    let out = glimpse(&["eval", project.to_str().unwrap(), test_dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("confusion matrix") && text.contains("precision"), "{text}");
    let accuracy: f32 = text.lines().last().unwrap().strip_prefix("accuracy: ").unwrap().parse().unwrap();
    assert_eq!(accuracy, 1.0, "held-out views of three distinct objects:\n{text}");

    let coffee = test_dir.join("coffee/00.png");
    let out = glimpse(&["predict", project.to_str().unwrap(), coffee.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.trim().split('\t').collect();
    assert_eq!(fields[1], "coffee", "{text}");

    // The same image explained with the project: its class and where it was seen.
    let out = glimpse(&["explain", project.to_str().unwrap(), coffee.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.trim().split('\t').collect();
    assert_eq!(fields[..2], [coffee.to_str().unwrap(), "coffee"], "{text}");
    let (x, y): (f32, f32) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
    assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y), "{text}");

    // Bad input: a folder with one class, an empty class folder, a foreign project file.
    let one = common::view_folders(&root.join("one"), &common::OBJECTS[..1], 2, 3);
    let out = glimpse(&["train", one.to_str().unwrap(), "-o", "/tmp/never.glimpse"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least two classes"));
    std::fs::create_dir_all(root.join("one/empty")).unwrap();
    let out = glimpse(&["train", one.to_str().unwrap(), "-o", "/tmp/never.glimpse"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no PNG or JPEG images"));
    let out = glimpse(&["predict", fixture("chelsea.png").to_str().unwrap(), coffee.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Glimpse project (this is a PNG image)"));
}

/// The transfer check in the CLI: a task the features cannot see gets the negative-transfer
/// warning. Its folders stay in target/fixtures/faint for the page's test.
#[test]
fn train_warns_when_raw_pixels_beat_the_features() {
    let dir = common::workspace().join("target/fixtures/faint");
    let _ = std::fs::remove_dir_all(&dir);
    common::faint_pattern_folders(&dir, 20, 1);
    let project = std::env::temp_dir().join("glimpse-faint.glimpse");
    let out = glimpse(&["train", dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--validation", "0.3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("warning: raw pixels beat the pretrained features (negative transfer)"), "{stdout}");
}

/// `glimpse explain`, without a project (ImageNet) and with the one the training test writes.
#[test]
fn explain_prints_the_peak_and_writes_an_overlay_per_image() {
    let root = common::workspace().join("target/fixtures/explain");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let cat = image::open(fixture("chelsea.png")).unwrap().into_rgba8();
    // The cat alone in the bottom-right quadrant of a grey square.
    let canvas = common::quadrant::in_quadrant(&cat, 3);
    let input = root.join("corner.png");
    canvas.save(&input).unwrap();
    let out_dir = root.join("out");
    let out = glimpse(&["explain", input.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.trim().split('\t').collect();
    assert_eq!(fields.len(), 4, "{text}");
    assert_eq!(fields[0], input.to_str().unwrap());
    assert!(fields[1].contains("cat"), "ImageNet's top class of a cat: {text}");
    let (x, y): (f32, f32) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
    assert_eq!(common::quadrant::quadrant_of(x, y), 3, "the peak is in the cat's quadrant: {text}");
    let overlay = image::open(out_dir.join("corner.heatmap.png")).unwrap();
    assert_eq!((overlay.width(), overlay.height()), (canvas.width(), canvas.height()));
    assert_ne!(overlay.to_rgba8().as_raw(), canvas.as_raw(), "the overlay draws on the image");

    let out = glimpse(&["explain", "/no/such/image.png"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/image.png"));

    // Overlays never replace a file: not the input (written into its own folder, they take
    // another name), not an earlier overlay unless asked.
    let before = std::fs::read(&input).unwrap();
    let out = glimpse(&["explain", input.to_str().unwrap(), "-o", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input image is untouched");
    assert!(root.join("corner.heatmap.png").exists());
    let out = glimpse(&["explain", input.to_str().unwrap(), "-o", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("corner.heatmap.png exists"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = glimpse(&["explain", input.to_str().unwrap(), "-o", root.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "--force replaces an overlay: {}", String::from_utf8_lossy(&out.stderr));
    // A bad project leaves no folder behind.
    let not_made = root.join("never");
    let out = glimpse(&["explain", fixture("chelsea.png").to_str().unwrap(), input.to_str().unwrap(), "-o", not_made.to_str().unwrap()]);
    assert!(out.status.success(), "a PNG first is an image, not a project: {}", String::from_utf8_lossy(&out.stderr));
    let damaged = root.join("damaged.glimpse");
    std::fs::write(&damaged, b"GLIMPSE\0\x06\0\0\0\xff\xff\xff\xff\xff\xff\xff\x7f").unwrap();
    let elsewhere = root.join("not-made");
    let out = glimpse(&["explain", damaged.to_str().unwrap(), input.to_str().unwrap(), "-o", elsewhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!elsewhere.exists(), "explain made its -o folder for a project it could not open");
}

/// `glimpse zero-shot` on the photos, `--explain-name`, and a trained project with named classes.
#[test]
fn zero_shot_classifies_by_names_and_mixes_with_trained_classes() {
    let photos = ["chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"].map(|p| fixture(p).display().to_string());
    let mut args = vec!["zero-shot", "--classes", "cat, coffee,rocket,motorcycle"];
    args.extend(photos.iter().map(String::as_str));
    let out = glimpse(&args);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let best: Vec<&str> = text.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(best, ["cat", "coffee", "rocket", "motorcycle"], "{text}");
    for line in text.lines() {
        let p: f32 = line.split('\t').nth(2).unwrap().parse().unwrap();
        assert!(p > 0.5 && p <= 1.0, "{line}");
    }
    let out = glimpse(&["zero-shot", "--classes", "dog,bird", &photos[2]]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("\tunknown\t"));
    let out = glimpse(&["zero-shot", "--classes", "cat,xyzzy", &photos[0]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("“xyzzy” has no examples, and no ImageNet class matches its name"));

    let out = glimpse(&["zero-shot", "--explain-name", "birds"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("1. bird, a kind of vertebrate (used)\n   59 ImageNet classes: "), "{text}");
    let out = glimpse(&["zero-shot", "--explain-name", "xyzzy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ImageNet class matches “xyzzy”"));

    // Two trained classes and two named ones in one project file.
    let root = common::workspace().join("target/fixtures/cli-zero-shot");
    let _ = std::fs::remove_dir_all(&root);
    let train = common::view_folders(&root.join("train"), &common::OBJECTS[1..], 3, 5);
    let project = root.join("mixed.glimpse");
    let out = glimpse(&["train", train.to_str().unwrap(), "-o", project.to_str().unwrap(), "--zero-shot", "cat,motorcycle"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cat: zero-shot, cat, a kind of feline"));
    let mut args = vec!["predict", project.to_str().unwrap()];
    args.extend(photos.iter().map(String::as_str));
    let text = String::from_utf8(glimpse(&args).stdout).unwrap();
    let best: Vec<&str> = text.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(best, ["cat", "coffee", "rocket", "motorcycle"], "{text}");
}

#[test]
fn train_fine_tunes_the_top_layers_and_eval_and_predict_use_them() {
    let root = common::workspace().join("target/fixtures/fine-tune");
    let _ = std::fs::remove_dir_all(&root);
    let train_dir = common::view_folders(&root.join("train"), &common::OBJECTS, 5, 1);
    let test_dir = common::view_folders(&root.join("test"), &common::OBJECTS, 3, 2);
    let project = root.join("tuned.glimpse");
    let args = ["train", train_dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--fine-tune", "2", "--epochs", "4", "--validation", "0"];
    let out = glimpse(&args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("fine-tuning the last 1×1 conv and block 16 of 16 with the head"), "{stderr}");
    assert!(stderr.contains("epoch   8  train loss"), "fine-tuning epochs follow the head's: {stderr}");
    assert!(stdout.contains("fine-tuned the last 1×1 conv and block 16 of 16 from epoch 5"), "{stdout}");

    let out = glimpse(&["eval", project.to_str().unwrap(), test_dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().last(), Some("accuracy: 1.0000"), "{text}");
    // What the CLI predicts, for the browser test to compare with (`web.rs`).
    let images: Vec<String> = ["cat", "coffee", "rocket"].iter().map(|c| test_dir.join(c).join("00.png").display().to_string()).collect();
    let mut args = vec!["predict", project.to_str().unwrap()];
    args.extend(images.iter().map(String::as_str));
    let text = String::from_utf8(glimpse(&args).stdout).unwrap();
    let classes: Vec<&str> = text.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(classes, ["cat", "coffee", "rocket"], "{text}");
    std::fs::write(root.join("predicted.tsv"), &text).unwrap();

    for (bad, says) in [(["--fine-tune", "7"], "between 0 and 6"), (["--head", "knn"], "softmax head")] {
        let mut args = vec!["train", train_dir.to_str().unwrap(), "-o", "/tmp/never.glimpse", "--fine-tune", "1"];
        args.extend(bad);
        let out = glimpse(&args);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `--backbone lite2` for every command that starts from images, and the project's own network
/// for every command that opens one: fine-tuning, anomaly detection, adapting, zero-shot, heat
/// maps and grouping on Lite2's 260-pixel input and 9×9 map.
#[test]
fn lite2_runs_every_command_and_its_projects_open_with_it() {
    let root = common::workspace().join("target/fixtures/lite2");
    let _ = std::fs::remove_dir_all(&root);
    let train_dir = common::view_folders(&root.join("train"), &common::OBJECTS, 4, 1);
    let test_dir = common::view_folders(&root.join("test"), &common::OBJECTS, 3, 2);
    let project = root.join("lite2.glimpse");
    let out = glimpse(&[
        "train",
        train_dir.to_str().unwrap(),
        "-o",
        project.to_str().unwrap(),
        "--backbone",
        "lite2",
        "--fine-tune",
        "2",
        "--epochs",
        "4",
        "--validation",
        "0",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("fine-tuning the last 1×1 conv and block 21 of 21 with the head"), "Lite2 has 21 blocks: {stderr}");

    // No --backbone: the project's own network.
    let out = glimpse(&["eval", project.to_str().unwrap(), test_dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().last(), Some("accuracy: 1.0000"), "{text}");
    let coffee = test_dir.join("coffee/00.png");
    let out = glimpse(&["explain", project.to_str().unwrap(), coffee.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.trim().split('\t').nth(1) == Some("coffee"), "{text}");
    // Another network named for it: refused, saying which it needs.
    let out = glimpse(&["predict", "--backbone", "lite0", project.to_str().unwrap(), coffee.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("made with lite2, so --backbone lite0 cannot read it"), "{}", String::from_utf8_lossy(&out.stderr));

    // Adapting a Lite2 project to other views (its eight frames read by Lite2).
    let camera = common::view_folders(&root.join("camera"), &common::OBJECTS, 3, 5);
    let frames = root.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    let images: Vec<_> =
        ["cat", "coffee", "rocket"].iter().flat_map(|c| (0..3).map(|k| camera.join(c).join(format!("{k:02}.png"))).collect::<Vec<_>>()).collect();
    for (i, image) in images.iter().enumerate() {
        std::fs::copy(image, frames.join(format!("{i}.png"))).unwrap();
    }
    let adapted = root.join("adapted.glimpse");
    let out = glimpse(&["adapt", project.to_str().unwrap(), frames.to_str().unwrap(), "-o", adapted.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = glimpse(&["predict", adapted.to_str().unwrap(), coffee.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // An anomaly detector, zero-shot classes, ImageNet's heat map and grouping, on Lite2.
    let normal = common::view_folders(&root.join("normal"), &common::OBJECTS[..1], 8, 6);
    let detector = root.join("detector.glimpse");
    let out = glimpse(&["train", normal.to_str().unwrap(), "-o", detector.to_str().unwrap(), "--anomaly", "--backbone", "lite2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cat = test_dir.join("cat/00.png");
    let out = glimpse(&["predict", detector.to_str().unwrap(), cat.to_str().unwrap(), coffee.to_str().unwrap()]);
    let verdicts: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(|l| l.split('\t').nth(1).unwrap().to_string()).collect();
    assert_eq!(verdicts, ["normal", "anomaly"]);
    let photo = fixture("chelsea.png");
    let out = glimpse(&["zero-shot", "--backbone", "lite2", "--classes", "cat,cup", photo.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.trim().split('\t').nth(1) == Some("cat"), "{text}");
    let out = glimpse(&["explain", "--backbone", "lite2", "--json", photo.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success() && text.contains("cat\","), "the cat's ImageNet class: {text}");
    let out = glimpse(&["group", "--backbone", "lite2", test_dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("adjusted Rand index against the folders: 1.0000"), "{text}");

    let out = glimpse(&["imagenet", "--backbone", "b7", photo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lite0 and lite2"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `glimpse train --anomaly` on one folder of normal photos, `eval` on normal/ and anomaly/,
/// `predict` saying normal or anomaly with the score; a detector given two classes is refused.
#[test]
fn an_anomaly_detector_trains_on_normal_photos_and_flags_others() {
    let root = common::workspace().join("target/fixtures/anomaly");
    let _ = std::fs::remove_dir_all(&root);
    let train_dir = common::view_folders(&root.join("train"), &[("cat", "chelsea.png")], 8, 1);
    let test_dir = common::view_folders(&root.join("test"), &[("normal", "chelsea.png"), ("anomaly", "coffee.png")], 6, 2);
    let project = std::env::temp_dir().join("glimpse-anomaly.glimpse");
    let out = glimpse(&["train", train_dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--anomaly", "--false-alarm", "0.1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("anomaly threshold set so that 10.0 % of 8 held-out normal examples are flagged"), "{stdout}");

    let out = glimpse(&["eval", project.to_str().unwrap(), test_dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("6 normal images, 6 anomalies") && text.contains("detection rate: 1.0000"), "{text}");
    let auc: f32 = text.lines().last().unwrap().strip_prefix("auc: ").unwrap().parse().unwrap();
    assert_eq!(auc, 1.0, "a cup among cats:\n{text}");

    let (cat, cup) = (test_dir.join("normal/00.png"), test_dir.join("anomaly/00.png"));
    let out = glimpse(&["predict", project.to_str().unwrap(), cat.to_str().unwrap(), cup.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!((verdicts[0][1], verdicts[1][1]), ("normal", "anomaly"), "{text}");
    let (normal, anomaly): (f32, f32) = (verdicts[0][2].parse().unwrap(), verdicts[1][2].parse().unwrap());
    assert!(normal < anomaly && verdicts[1][3].starts_with("(threshold "), "{text}");

    // Evaluated on folders other than normal/ and anomaly/; trained on two classes.
    let labelled = common::view_folders(&root.join("labelled"), &common::OBJECTS[..2], 3, 3);
    let out = glimpse(&["eval", project.to_str().unwrap(), labelled.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takes two folders, normal/ and anomaly/"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = glimpse(&["train", labelled.to_str().unwrap(), "-o", "/tmp/never.glimpse", "--anomaly"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("one class of normal examples, and 2 classes have examples"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `glimpse group` on views of three photos: one group per photo, scored against their folders,
/// and written as a project with a class per group (for the page to name and train).
#[test]
fn group_sorts_unlabelled_photos_and_writes_a_project_of_its_groups() {
    let root = common::workspace().join("target/fixtures/group");
    let _ = std::fs::remove_dir_all(&root);
    let dir = common::view_folders(&root.join("labelled"), &common::OBJECTS, 5, 4);
    let project = std::env::temp_dir().join("glimpse-groups.glimpse");
    let out = glimpse(&["group", dir.to_str().unwrap(), "-o", project.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("adjusted Rand index against the folders: 1.0000"), "{text}");
    assert_eq!(text.lines().last(), Some("groups: 3"), "{text}");
    let groups: std::collections::BTreeSet<&str> = text.lines().filter(|l| l.contains("/cat/")).map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(groups.len(), 1, "the cat's views are one group: {text}");

    // The written project: a class per group ("Group 1"…), not trained yet.
    let out = glimpse(&["eval", project.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("train first"), "{}", String::from_utf8_lossy(&out.stderr));

    // Unlabelled: the images straight in the folder; too few of them.
    let flat = root.join("flat");
    std::fs::create_dir_all(&flat).unwrap();
    for (i, view) in common::views("chelsea.png", 2, 5).iter().enumerate() {
        view.save(flat.join(format!("{i}.png"))).unwrap();
    }
    let out = glimpse(&["group", flat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("grouping needs at least 3 captures, this class has 2"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The help, version, suggestions and shell completions a command line is expected to have.
#[test]
fn each_command_has_its_help_and_the_program_its_version_and_completions() {
    let out = glimpse(&["train", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: glimpse train") && help.contains("Learning options:") && help.contains("--fine-tune"), "{help}");
    assert!(!help.contains("zero-shot --classes"), "train's help is train's alone: {help}");

    let out = glimpse(&["--version"]);
    let version = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success()
            && version.contains(&format!("project format {}", glimpse::FORMAT_VERSION))
            && version.contains("efficientnet-lite0, efficientnet-lite2"),
        "{version}"
    );

    let out = glimpse(&["trian", "dir"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("'train'"), "a misspelt command gets a suggestion: {stderr}");
    let out = glimpse(&["train", "dir", "-o", "p", "--epoch", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--epochs"), "{}", String::from_utf8_lossy(&out.stderr));

    for shell in ["bash", "zsh", "fish"] {
        let out = glimpse(&["completions", shell]);
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success() && script.contains("glimpse") && script.contains("zero-shot"), "{shell}: {script}");
    }
}

/// `--json` on every command that prints results: documents (or JSON Lines) with the text's facts.
#[test]
fn json_output_parses_and_holds_what_the_text_says() {
    let parse = |out: std::process::Output| -> Vec<serde_json::Value> {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    };
    let (cat, coffee) = (fixture("chelsea.png"), fixture("coffee.png"));
    let lines = parse(glimpse(&["imagenet", "--json", cat.to_str().unwrap(), coffee.to_str().unwrap()]));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["path"], coffee.to_str().unwrap());
    assert_eq!(lines[1]["top"][0]["label"], "espresso");
    assert_eq!(lines[1]["top"].as_array().unwrap().len(), 5);

    let lines = parse(glimpse(&["zero-shot", "--json", "--classes", "cat,coffee", cat.to_str().unwrap(), coffee.to_str().unwrap()]));
    assert_eq!((lines[0]["class"].as_str(), lines[1]["class"].as_str()), (Some("cat"), Some("coffee")), "{lines:?}");
    assert!(lines[0]["probability"].as_f64().unwrap() > 0.5 && lines[0]["classes"].as_array().unwrap().len() == 2);
    let doc = parse(glimpse(&["zero-shot", "--json", "--explain-name", "bird"]));
    assert!(doc[0]["senses"][0]["covers"].as_str().unwrap().starts_with("59 ImageNet classes"), "{doc:?}");

    let lines = parse(glimpse(&["explain", "--json", cat.to_str().unwrap()]));
    assert!(lines[0]["class"].as_str().unwrap().contains("cat") && lines[0]["overlay"].is_null(), "{lines:?}");
    assert!((0.0..=1.0).contains(&lines[0]["x"].as_f64().unwrap()));

    // A project of named classes only predicts, evaluates and groups like a trained one.
    let root = common::workspace().join("target/fixtures/json");
    let _ = std::fs::remove_dir_all(&root);
    let dir = common::view_folders(&root.join("views"), &common::OBJECTS[..2], 4, 7);
    let project = root.join("p.glimpse");
    let out = glimpse(&["train", dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--epochs", "5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("features: 8/8") && !stderr.contains('\r') && !stderr.contains('\x1b'), "progress off a terminal is plain lines: {stderr}");
    let lines = parse(glimpse(&["predict", "--json", project.to_str().unwrap(), dir.join("cat/00.png").to_str().unwrap()]));
    assert_eq!(lines[0]["class"], "cat", "{lines:?}");
    let doc = parse(glimpse(&["eval", "--json", project.to_str().unwrap(), dir.to_str().unwrap()]));
    assert_eq!(doc[0]["accuracy"], 1.0);
    assert_eq!(doc[0]["labels"], serde_json::json!(["cat", "coffee"]));
    assert_eq!(doc[0]["confusion"], serde_json::json!([[4, 0], [0, 4]]));
    let doc = parse(glimpse(&["group", "--json", dir.to_str().unwrap()]));
    assert_eq!(doc[0]["groups"], 2, "{doc:?}");
    assert_eq!(doc[0]["adjustedRandIndex"], 1.0, "{doc:?}");
    assert_eq!(doc[0]["images"].as_array().unwrap().len(), 8);
}

/// `train --detect` on a YOLO folder of scenes made from real photos, `eval` on another, and
/// `predict`'s line per object. Leaves the folders and the project in target/fixtures/counting
/// for the browser's test of the same project.
#[test]
fn a_counter_trains_on_a_yolo_folder_and_eval_and_predict_find_the_objects() {
    let root = common::workspace().join("target/fixtures/counting");
    let train_dir = common::scenes::yolo_folder(&root.join("train"), &common::scenes::scenes(48, 1));
    // The 40 scenes `tests/counting.rs` scores on too; `glimpse bench counting` reads both folders.
    let test_scenes = common::scenes::scenes(40, 2);
    let test_dir = common::scenes::yolo_folder(&root.join("test"), &test_scenes);
    // The browser test (`web.rs`) reads the truth here: some scenes have no label file.
    let points: String = test_scenes.iter().enumerate().flat_map(|(i, s)| s.points.iter().map(move |(c, x, y)| format!("{i}\t{c}\t{x}\t{y}\n"))).collect();
    std::fs::write(root.join("test-points.tsv"), points).unwrap();
    let project = root.join("counter.glimpse");
    let out = glimpse(&["train", train_dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--detect"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("finds the objects with an F1 of"), "{stdout}");

    let out = glimpse(&["eval", project.to_str().unwrap(), test_dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("exact counts: ") && text.lines().any(|l| l.starts_with("cat ")) && text.lines().any(|l| l.starts_with("cup ")), "{text}");
    let f1: f32 = text.lines().last().unwrap().strip_prefix("f1: ").unwrap().parse().unwrap();
    println!("{text}");
    assert!(f1 >= 0.9, "{text}");

    // One line per object, x and y as fractions of the image; an empty scene prints `none`.
    let busy = test_scenes.iter().position(|s| s.points.len() >= 2).unwrap();
    let empty = test_scenes.iter().position(|s| s.points.is_empty()).unwrap();
    let (busy_path, empty_path) = (test_dir.join(format!("images/scene{busy:03}.png")), test_dir.join(format!("images/scene{empty:03}.png")));
    let out = glimpse(&["predict", project.to_str().unwrap(), busy_path.to_str().unwrap(), empty_path.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.last().unwrap()[..], [empty_path.to_str().unwrap(), "none"], "{text}");
    let objects: Vec<&Vec<&str>> = lines.iter().filter(|l| l[0] == busy_path.to_str().unwrap()).collect();
    assert_eq!(objects.len(), test_scenes[busy].points.len(), "{text}");
    for fields in objects {
        assert_eq!(fields.len(), 5, "{text}");
        let (x, y): (f32, f32) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
        let near = test_scenes[busy].points.iter().any(|&(k, px, py)| common::scenes::OBJECTS[k].0 == fields[1] && (px - x).hypot(py - y) < 0.1);
        assert!(near, "{fields:?} is no object of {:?}", test_scenes[busy].points);
    }
    let out = glimpse(&["predict", "--json", project.to_str().unwrap(), busy_path.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["objects"].as_array().unwrap().len(), test_scenes[busy].points.len());
}

/// Bad YOLO folders are refused before any work, naming the file and the line.
#[test]
fn bad_yolo_folders_are_refused_naming_the_file_and_line() {
    let root = common::workspace().join("target/fixtures/bad-yolo");
    let dir = common::scenes::yolo_folder(&root, &common::scenes::scenes(2, 7));
    let project = std::env::temp_dir().join("glimpse-bad-yolo.glimpse");
    let train = || {
        let out = glimpse(&["train", dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--detect"]);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let label = dir.join("labels/scene000.txt");
    for (line, says) in [
        ("5 0.5 0.5 0.1 0.1", "scene000.txt:2: class 5 is out of range: 2 classes are named"),
        ("0 1.5 0.5 0.1 0.1", "scene000.txt:2: 1.5 is outside 0–1"),
        ("0 0.5 0.5", "scene000.txt:2: expected `class cx cy w h`"),
        ("cat 0.5 0.5 0.1 0.1", "scene000.txt:2: the class “cat” is not an index"),
    ] {
        std::fs::write(&label, format!("0 0.2 0.2 0.1 0.1\n{line}\n")).unwrap();
        let stderr = train();
        assert!(stderr.contains(says), "{line}: {stderr}");
    }
    std::fs::write(&label, "0 0.2 0.2 0.1 0.1\n").unwrap();
    std::fs::remove_file(dir.join("classes.txt")).unwrap();
    assert!(train().contains("no classes.txt or data.yaml"));
    std::fs::write(dir.join("data.yaml"), "names:\n  0: cat\n  2: cup\n").unwrap();
    assert!(train().contains("indices should run 0, 1, 2… in order"));
    std::fs::write(dir.join("classes.txt"), "\n\n").unwrap();
    assert!(train().contains("names no class"));
    std::fs::write(dir.join("classes.txt"), "cat\ncup\n").unwrap();
    std::fs::remove_dir_all(dir.join("images")).unwrap();
    assert!(train().contains("no images/ folder"));
    assert!(!project.exists(), "nothing was written");
    let out = glimpse(&["train", dir.to_str().unwrap(), "-o", project.to_str().unwrap(), "--detect", "--anomaly"]);
    assert_eq!(out.status.code(), Some(2));
}
