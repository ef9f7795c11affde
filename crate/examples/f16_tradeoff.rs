//! Measures what storing the weights as f16 would cost: rounds every weight of the committed
//! f32 file to f16 and back, and compares features and logits on the fixture photos.
//!
//!     cargo run --release --example f16_tradeoff -- lite0 target/fixtures/*.png

use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot, ModuleStore, bridge};
use burn::tensor::{Bytes, f16};
use glimpse::{Backbone, ComputeDevice, Frame};
use glimpse::{EfficientNet, Network};

fn main() {
    let network = Network::find(&std::env::args().nth(1).expect("a network: lite0 or lite2")).unwrap();
    let path = format!("{}/../models/{}", env!("CARGO_MANIFEST_DIR"), network.weights_file);
    let bytes = std::fs::read(&path).unwrap();
    let cpu = ComputeDevice::cpu();
    let device = cpu.device.clone();
    let full = Backbone::load(network, &bytes, &path, &cpu).unwrap();

    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes.clone())));
    let halved: Vec<_> = store
        .get_all_tensors()
        .unwrap()
        .values()
        .map(|t| {
            let data = bridge::to_data(t).unwrap().convert::<f16>().convert::<f32>();
            bridge::from_data(data, t.name.clone(), None)
        })
        .collect();
    let mut half = EfficientNet::new(network, &device);
    let result = half.apply(halved, None, None, false);
    assert!(result.errors.is_empty() && result.missing.is_empty());

    let images: Vec<_> = std::env::args().skip(2).map(|p| image::open(p).unwrap().into_rgba8()).collect();
    let frames: Vec<Frame> = images.iter().map(|i| Frame::new(i.as_raw(), i.width(), i.height()).unwrap()).collect();
    let input = full.input(&frames).unwrap();
    let read = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().unwrap();
    let (f32_features, f16_features) = (full.model().features(input.clone()), half.features(input));
    let (f32_logits, f16_logits) = (read(full.model().classify(f32_features.clone())), read(half.classify(f16_features.clone())));
    let diff = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    let argmax = |row: &[f32]| (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
    let same_top1 = f32_logits.chunks(1000).zip(f16_logits.chunks(1000)).filter(|(a, b)| argmax(a) == argmax(b)).count();
    println!("images: {}", frames.len());
    println!("max |f32 - f16| features: {:.2e}", diff(&read(f32_features), &read(f16_features)));
    println!("max |f32 - f16| logits:   {:.2e}", diff(&f32_logits, &f16_logits));
    println!("same top-1: {same_top1} of {}", frames.len());
}
