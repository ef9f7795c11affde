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
