//! Burn's networks against an independent forward pass: tests/reference/lite_reference.py parses
//! the original PyTorch checkpoint itself, keeps BatchNorm unfolded and runs the network as an
//! ONNX graph in onnxruntime. Both see the same preprocessed inputs.

use super::common;

use std::path::PathBuf;
use std::process::Command;

use crate::backbone::{FEATURE_DIM, IMAGENET_CLASSES, LITE0, LITE2, Network};
use crate::{ComputeDevice, Frame};
use common::{PHOTOS, fixture, max_abs_diff, network_backbone, noise, photo, workspace};

fn python() -> Option<String> {
    if let Ok(python) = std::env::var("GLIMPSE_PYTHON") {
        return Some(python); // set by the test command: failing to run it is an error
    }
    let found = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    found.then(|| "python3".into())
}

fn floats(path: &PathBuf) -> Vec<f32> {
    std::fs::read(path).unwrap().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

#[test]
fn lite0_matches_onnxruntime() {
    logits_and_features_match_onnxruntime(&LITE0);
}

#[test]
fn lite2_matches_onnxruntime() {
    logits_and_features_match_onnxruntime(&LITE2);
}

fn logits_and_features_match_onnxruntime(network: &'static Network) {
    let Some(python) = python() else {
        eprintln!("SKIPPED: no Python found (set GLIMPSE_PYTHON to a Python with numpy, onnx, onnxruntime)");
        return;
    };
    let cpu = ComputeDevice::cpu();
    let backbone = network_backbone(network, &cpu);
    let mut images: Vec<_> = PHOTOS.iter().map(|name| photo(name)).collect();
    images.extend((1..=3).map(|seed| noise(seed, 320, 240)));
    let frames: Vec<Frame> = images.iter().map(|i| i.frame()).collect();
    let inputs = backbone.preprocess().batch(&frames, crate::preprocess::View::CentreSquare);

    let dir = workspace().join("target/reference").join(network.id);
    std::fs::create_dir_all(&dir).unwrap();
    let (input_file, features_file, logits_file) = (dir.join("inputs.f32"), dir.join("features.f32"), dir.join("logits.f32"));
    std::fs::write(&input_file, inputs.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let status = Command::new(&python)
        .arg(workspace().join("tests/reference/lite_reference.py"))
        .arg("run")
        .arg(fixture(&format!("{}.pth", network.name)))
        .arg(dir.join(format!("{}.onnx", network.name)))
        .arg(&input_file)
        .arg(frames.len().to_string())
        .arg(&features_file)
        .arg(&logits_file)
        .status()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    assert!(status.success(), "the reference failed (is numpy/onnx/onnxruntime installed for {python}?)");

    let want_features = floats(&features_file);
    let want_logits = floats(&logits_file);
    let features = pollster::block_on(backbone.features(&frames)).unwrap();
    let logits = pollster::block_on(backbone.imagenet_logits(&frames)).unwrap();
    assert_eq!(features.len(), frames.len() * FEATURE_DIM);
    assert_eq!(logits.len(), frames.len() * IMAGENET_CLASSES);
    let (df, dl) = (max_abs_diff(&features, &want_features), max_abs_diff(&logits, &want_logits));
    eprintln!("{}: max |burn - onnxruntime|: features {df:.2e}, logits {dl:.2e}", network.title);
    assert!(df <= 1e-3, "features differ by {df}");
    assert!(dl <= 1e-3, "logits differ by {dl}");
    // A wrong network can still be close on average: the outputs must also vary across inputs.
    let spread = max_abs_diff(&logits[..IMAGENET_CLASSES], &logits[IMAGENET_CLASSES..2 * IMAGENET_CLASSES]);
    assert!(spread > 1.0, "logits barely depend on the input ({spread})");
}
