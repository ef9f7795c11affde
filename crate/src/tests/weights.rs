//! Bad weights files fail with a message naming the file and the problem, never a panic.

use super::common;

use crate::backbone::{LITE0, LITE2, NETWORKS};
use crate::{Backbone, ComputeDevice, Error};
use common::weights_path;

fn load_error(bytes: &[u8]) -> String {
    match Backbone::load(&LITE0, bytes, "bad.bpk", &ComputeDevice::cpu()) {
        Err(e @ Error::Weights { .. }) => e.to_string(),
        Err(e) => panic!("wrong error kind: {e}"),
        Ok(_) => panic!("bad weights were accepted"),
    }
}

#[test]
fn committed_weights_load_and_match_their_digest() {
    for network in NETWORKS {
        let bytes = std::fs::read(weights_path(network)).unwrap();
        assert_eq!(bytes.len() as u64, network.weights_bytes, "{}: the size the page announces", network.id);
        let backbone = Backbone::load(network, &bytes, "ok.bpk", &ComputeDevice::cpu()).unwrap();
        assert_eq!(backbone.network(), network);
        assert_eq!(backbone.preprocess().size as usize, network.input);
        assert_eq!(crate::backbone::weights::sha256_hex(&bytes), network.weights_sha256);
    }
}

#[test]
fn one_networks_weights_are_refused_as_the_others() {
    let lite2 = std::fs::read(weights_path(&LITE2)).unwrap();
    let message = load_error(&lite2);
    assert!(message.contains("do not fit EfficientNet-Lite0") && message.len() < 400, "{message}");
    let lite0 = std::fs::read(weights_path(&LITE0)).unwrap();
    let message = match Backbone::load(&LITE2, &lite0, "lite0.bpk", &ComputeDevice::cpu()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("Lite0's weights loaded as Lite2"),
    };
    assert!(message.contains("EfficientNet-Lite2"), "{message}");
}

#[test]
fn empty_truncated_foreign_and_altered_files_are_refused() {
    let bytes = std::fs::read(weights_path(&LITE0)).unwrap();
    let message = load_error(&[]);
    assert!(message.contains("bad.bpk") && message.contains("empty"), "{message}");

    for cut in [10, 4096, bytes.len() / 2, bytes.len() - 1] {
        let message = load_error(&bytes[..cut]);
        assert!(message.starts_with("weights file bad.bpk:"), "cut at {cut}: {message}");
    }

    let png = b"\x89PNG\r\n\x1a\n not weights at all";
    let message = load_error(png);
    assert!(message.contains("not a readable Burn weights file"), "{message}");

    // A well-formed burnpack of another network.
    let other = burn::store::burn_pack::Writer::new(vec![burn::store::bridge::from_data(
        burn::tensor::TensorData::new(vec![1.0f32; 4], [2, 2]),
        "encoder.weight".into(),
        None,
    )])
    .into_bytes()
    .unwrap();
    let message = load_error(&other);
    assert!(message.contains("not EfficientNet-Lite0 weights"), "{message}");

    // The right layout with one value changed.
    let mut altered = bytes.clone();
    let last = altered.len() - 1;
    altered[last] ^= 0x40;
    let message = load_error(&altered);
    assert!(message.contains("differ from the ones this build ships"), "{message}");
}
