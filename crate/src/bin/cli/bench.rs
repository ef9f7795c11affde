//! `glimpse bench`: backbone speed on the CPU and on native wgpu, batch 1 and 8.

use std::time::Instant;

use glimpse::backbone::profile::{Timing, time_features};
use glimpse::{Backbone, ComputeDevice, Frame};

use super::{Options, device, load_backbone};

/// A deterministic textured frame, so that runs compare like with like.
fn frame_pixels(seed: u32, width: u32, height: u32) -> Vec<u8> {
    (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            let v = (x * 7 + y * 13 + seed * 31) % 256;
            [v as u8, ((x ^ y) % 256) as u8, ((x + seed) * 3 % 256) as u8, 255]
        })
        .collect()
}

/// Milliseconds since the call, for the timing helpers.
fn clock() -> impl Fn() -> f64 {
    let origin = Instant::now();
    move || origin.elapsed().as_secs_f64() * 1000.0
}

/// Runs `body` on the CPU and on native wgpu with the backbone loaded there; a backend this
/// machine lacks gets a line saying so and is skipped.
fn each_backend(
    options: &Options,
    mut body: impl FnMut(&str, &ComputeDevice, &Backbone) -> Result<(), String>,
) -> Result<(), String> {
    for backend in ["cpu", "wgpu"] {
        let device = match device(backend) {
            Ok(device) => device,
            Err(e) => {
                println!("{backend}\tunavailable: {e}");
                continue;
            }
        };
        let backbone = load_backbone(options, &device)?;
        body(backend, &device, &backbone)?;
    }
    Ok(())
}

pub fn run(options: &Options) -> Result<(), String> {
    if options.rest.first().map(String::as_str) == Some("learn") {
        return learning(options);
    }
    let (width, height) = (640, 480);
    let pixels: Vec<Vec<u8>> = (0..8).map(|seed| frame_pixels(seed, width, height)).collect();
    let frames: Vec<Frame> = pixels.iter().map(|p| Frame::new(p, width, height).unwrap()).collect();
    let clock = clock();
    println!("backend\tadapter\tbatch\tcold ms/frame\twarm ms/frame\twhere a warm pass goes (op by op)");
    let mut reference: Option<f64> = None;
    let mut rows = |backend: &str, device: &ComputeDevice, backbone: &Backbone| -> Result<(), String> {
        for batch in [1, 8] {
            let Timing { cold_ms_per_frame, warm_ms_per_frame, ops, .. } =
                pollster::block_on(time_features(backbone, &frames[..batch], options.iterations, &clock))
                    .map_err(|e| e.to_string())?;
            let ratio = reference.get_or_insert(warm_ms_per_frame);
            let shares: Vec<String> =
                ops.kinds().iter().map(|(kind, ms)| format!("{kind} {:.0}%", ms / ops.total() * 100.0)).collect();
            println!(
                "{backend}\t{}\t{batch}\t{cold_ms_per_frame:.1}\t{warm_ms_per_frame:.1} ({:.2}x cpu batch 1)\t{} (each wait {:.2} ms)",
                device.adapter,
                warm_ms_per_frame / *ratio,
                shares.join(", "),
                ops.sync
            );
        }
        Ok(())
    };
    each_backend(options, &mut rows)?;
    // The "before" of the fused CPU depthwise kernel, in the same process.
    let cpu = ComputeDevice::cpu();
    let mut before = load_backbone(options, &cpu)?;
    before.use_burn_depthwise().map_err(|e| e.to_string())?;
    rows("cpu, Burn's depthwise ops", &cpu, &before)
}

/// `glimpse bench learn`: adding an example, training the default head at 100 and 1,000
/// examples, predicting; on the CPU and on wgpu. Training is compared with extracting the same
/// number of features once (the cost a user already paid while capturing).
fn learning(options: &Options) -> Result<(), String> {
    let pixels = frame_pixels(1, 640, 480);
    let frame = Frame::new(&pixels, 640, 480).unwrap();
    let clock = clock();
    println!("backend\tadd example ms\texamples\tms/epoch\t50 epochs ms\tvs extracting them\tpredict ms (head only)");
    each_backend(options, |backend, device, backbone| {
        let mut add = Vec::new();
        for i in 0..options.iterations.max(3) + 1 {
            let mut learner = glimpse::Learner::new();
            let class = learner.examples_mut().add_class("a").map_err(|e| e.to_string())?;
            let (augment, mut rng) = learner.next_capture();
            let t = clock();
            let captured = pollster::block_on(glimpse::learner::capture(backbone, frame, &augment, &mut rng)).map_err(|e| e.to_string())?;
            learner.add(class, captured).map_err(|e| e.to_string())?;
            if i > 0 {
                add.push(clock() - t);
            }
        }
        add.sort_by(f64::total_cmp);
        let add_ms = add[add.len() / 2];
        for examples in [100, 1000] {
            let t = pollster::block_on(glimpse::learn::profile::time_learning(examples, &device.device, &clock)).map_err(|e| e.to_string())?;
            println!(
                "{backend}\t{add_ms:.1}\t{examples}\t{:.1}\t{:.0}\t{:.3}x\t{:.2}",
                t.ms_per_epoch,
                t.ms_total,
                t.ms_total / (add_ms * examples as f64),
                t.ms_per_prediction
            );
        }
        Ok(())
    })
}
