//! `glimpse bench` (backbone speed) and `glimpse bench learn` (learner speed), on the CPU and on
//! native wgpu, each row with its ratio to a reference measured in the same process;
//! `glimpse bench counting TRAIN TEST`, the counter's choices on two YOLO folders.

use std::path::Path;
use std::rc::Rc;

use glimpse::bench::backbone::{Timing, time_features};
use glimpse::bench::counting::{Candidate, Labelled, Outcome, choices};
use glimpse::bench::learning::{time_capture, time_learning};
use glimpse::bench::{CpuKernels, RECIPE, Recipe, cut_block, textured_frame};
use glimpse::{Backbone, Frame, Point, Settings};

use super::files::{decode, frame};
use super::{Model, load_backbone, load_network, yolo};

/// Runs `body` on the CPU and on native wgpu with the backbone loaded there; a backend this
/// machine lacks gets a line saying so and is skipped.
fn each_backend(model: &Model, mut body: impl FnMut(&str, Backbone) -> Result<(), String>) -> Result<(), String> {
    for backend in ["cpu", "wgpu"] {
        match load_backbone(&Model { backend: backend.into(), ..model.clone() }) {
            Ok(backbone) => body(backend, backbone)?,
            Err(e) => println!("{backend}\tunavailable: {e}"),
        }
    }
    Ok(())
}

pub fn run(model: &Model, learner: bool, iterations: usize) -> Result<(), String> {
    if learner {
        return learning(model, iterations);
    }
    let (width, height) = (640, 480);
    let pixels: Vec<Vec<u8>> = (0..8).map(|seed| textured_frame(seed, width, height)).collect();
    let frames: Vec<Frame> = pixels.iter().map(|p| Frame::new(p, width, height).unwrap()).collect();
    println!("backend\tadapter\tbatch\tcold ms/frame\twarm ms/frame\twhere a warm pass goes (op by op)");
    let mut reference: Option<f64> = None;
    let mut rows = |backend: &str, backbone: Backbone| -> Result<(), String> {
        for batch in [1, 8] {
            let Timing { cold_ms_per_frame, warm_ms_per_frame, ops, .. } =
                pollster::block_on(time_features(&backbone, &frames[..batch], iterations)).map_err(|e| e.to_string())?;
            let ratio = reference.get_or_insert(warm_ms_per_frame);
            let shares: Vec<String> = ops.kinds().iter().map(|(kind, ms)| format!("{kind} {:.0}%", ms / ops.total() * 100.0)).collect();
            println!(
                "{backend}\t{}\t{batch}\t{cold_ms_per_frame:.1}\t{warm_ms_per_frame:.1} ({:.2}x cpu batch 1)\t{} (each wait {:.2} ms)",
                backbone.compute().adapter,
                warm_ms_per_frame / *ratio,
                shares.join(", "),
                ops.sync
            );
        }
        Ok(())
    };
    each_backend(model, &mut rows)?;
    // The "befores" of the CPU kernels, in the same process.
    for (label, kernels) in [("cpu, Burn's 1×1 convs", CpuKernels::Depthwise), ("cpu, Burn's ops", CpuKernels::None)] {
        let mut before = load_backbone(&Model { backend: "cpu".into(), ..model.clone() })?;
        before.use_cpu_kernels(kernels).map_err(|e| e.to_string())?;
        rows(label, before)?;
    }
    Ok(())
}

/// Each network's features on the CPU, batch 1 and 8, as ratios to the default network's at
/// batch 1 in the same process.
pub fn networks(model: &Model, iterations: usize) -> Result<(), String> {
    let (width, height) = (640, 480);
    let pixels: Vec<Vec<u8>> = (0..8).map(|seed| textured_frame(seed, width, height)).collect();
    let frames: Vec<Frame> = pixels.iter().map(|p| Frame::new(p, width, height).unwrap()).collect();
    println!("network	batch	cold ms/frame	warm ms/frame	ratio to {} batch 1", glimpse::NETWORKS[0].id);
    let mut reference: Option<f64> = None;
    for network in glimpse::NETWORKS {
        let backbone = load_network(model, network)?;
        for batch in [1, 8] {
            let t = pollster::block_on(time_features(&backbone, &frames[..batch], iterations)).map_err(|e| e.to_string())?;
            let ratio = t.warm_ms_per_frame / *reference.get_or_insert(t.warm_ms_per_frame);
            println!("{}	{batch}	{:.1}	{:.1}	{ratio:.2}x", network.id, t.cold_ms_per_frame, t.warm_ms_per_frame);
        }
    }
    Ok(())
}

/// Adding an example, training the default head at 100 and 1,000 examples, predicting. Training
/// is compared with extracting the same number of features once (the cost a user already paid
/// while capturing).
fn learning(model: &Model, iterations: usize) -> Result<(), String> {
    let pixels = textured_frame(1, 640, 480);
    let frame = Frame::new(&pixels, 640, 480).unwrap();
    println!("backend\tadd example ms\texamples\tms/epoch\t50 epochs ms\tvs extracting them\tpredict ms (head only)");
    each_backend(model, |backend, backbone| {
        let backbone = Rc::new(backbone);
        let add_ms = pollster::block_on(time_capture(backbone.clone(), frame, iterations.max(3))).map_err(|e| e.to_string())?;
        for examples in [100, 1000] {
            let t = pollster::block_on(time_learning(examples, backbone.device())).map_err(|e| e.to_string())?;
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

/// The counter's cut (the 1/8 map, block 5's input, beside the chosen 1/16), object weights,
/// mirrored and moved copies and thresholds, each trained on `train` and scored on `test`; each row's speed as a
/// ratio to the chosen cut's.
pub fn counting(model: &Model, train: &Path, test: &Path) -> Result<(), String> {
    let backbone = load_backbone(&Model { backend: "cpu".into(), ..model.clone() })?;
    let read = |dir: &Path| -> Result<(usize, Vec<_>), String> {
        let labelled = yolo::read(dir)?;
        let images = labelled.images.iter().map(|(path, points)| Ok((path.clone(), decode(path)?, points.clone()))).collect::<Result<Vec<_>, String>>()?;
        Ok((labelled.classes.len(), images))
    };
    let ((classes, train), (test_classes, test)) = (read(train)?, read(test)?);
    if classes != test_classes {
        return Err(format!("the folders name {classes} and {test_classes} classes"));
    }
    let (train, test) = (labelled(&train)?, labelled(&test)?);
    // Each candidate changes one thing from the learner's choice, and is trained with 3 seeds
    // (the held-out split and the initial weights): rows are their means.
    let learner = Settings::default();
    let chosen = Candidate { recipe: RECIPE, settings: learner.clone(), moved: false };
    let with = |recipe: Recipe, settings: Settings| Candidate { recipe, settings, ..chosen.clone() };
    let mut changes: Vec<(String, Candidate)> = vec![
        ("as chosen".into(), chosen.clone()),
        (format!("mirrored {}", !RECIPE.mirror), with(Recipe { mirror: !RECIPE.mirror, ..RECIPE }, learner.clone())),
        ("moved by a cell too".into(), Candidate { moved: true, ..chosen.clone() }),
    ];
    for weight in [1.0, 3.0, 10.0, 30.0, 100.0].into_iter().filter(|&w| w != RECIPE.object_weight) {
        changes.push((format!("object weight {weight}"), with(Recipe { object_weight: weight, ..RECIPE }, learner.clone())));
    }
    changes.extend([
        ("batch 8".into(), with(RECIPE, Settings { batch_size: 8, ..learner.clone() })),
        ("learning rate 3e-3".into(), with(RECIPE, Settings { learning_rate: 3e-3, ..learner.clone() })),
        ("150 epochs".into(), with(RECIPE, Settings { epochs: 150, ..learner.clone() })),
    ]);
    const SEEDS: [u32; 3] = [1, 2, 3];
    let candidates: Vec<Candidate> =
        changes.iter().flat_map(|(_, c)| SEEDS.map(|seed| Candidate { settings: Settings { seed, ..c.settings.clone() }, ..c.clone() })).collect();
    let thresholds = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    let outcomes = pollster::block_on(choices(&backbone, (&train, &test), classes, (&[cut_block(backbone.network()), 5], &candidates, &thresholds)))
        .map_err(|e| e.to_string())?;
    println!("{} frames to train on, {} to score on; the learner's threshold is {}; means of seeds {SEEDS:?}", train.len(), test.len(), learner.threshold);
    println!("cut\tmap\tchange\tbest epochs\tthreshold\tF1\tprecision\trecall\texact counts\ttrunk ms/frame\thead ms/frame");
    let reference = outcomes[0].trunk_ms + outcomes[0].head_ms;
    for runs in outcomes.chunks(SEEDS.len()) {
        let (o, n) = (&runs[0], runs.len() as f32);
        let [c, side, _] = o.shape;
        let mean = |f: &dyn Fn(&Outcome) -> f64| runs.iter().map(f).sum::<f64>() / n as f64;
        let (trunk, head) = (mean(&|o| o.trunk_ms), mean(&|o| o.head_ms));
        let epochs: Vec<u32> = runs.iter().map(|o| o.best_epoch).collect();
        for (k, (t, _)) in o.scores.iter().enumerate() {
            let score = |f: &dyn Fn(&glimpse::CountEvaluation) -> f32| runs.iter().map(|o| f(&o.scores[k].1)).sum::<f32>() / n;
            println!(
                "block {}\t{c}×{side}×{side}\t{}\t{epochs:?}\t{t}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{trunk:.1}\t{head:.2} ({:.2}x the chosen cut)",
                o.block,
                changes[o.candidate / SEEDS.len()].0,
                score(&|e| e.f1),
                score(&|e| e.precision),
                score(&|e| e.recall),
                score(&|e| e.exact_counts),
                (trunk + head) / reference
            );
        }
    }
    Ok(())
}

type Decoded = (std::path::PathBuf, image::RgbaImage, Vec<(usize, f32, f32)>);

fn labelled(images: &[Decoded]) -> Result<Vec<Labelled<'_>>, String> {
    images
        .iter()
        .map(|(path, image, points)| {
            Ok(Labelled { frame: frame(path, image)?, points: points.iter().map(|&(k, x, y)| Point { class: k as u32, x, y }).collect() })
        })
        .collect()
}
