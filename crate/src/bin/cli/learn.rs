//! `glimpse train`, `eval` and `predict`: the learner on folders of images.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use glimpse::learn::metrics::evaluate;
use glimpse::learn::train::argmax;
use glimpse::learn::{train as fit, EpochStats, Progress};
use glimpse::learner::capture;
use glimpse::{Backbone, Frame, Learner, Prediction};

use super::{decode, device, load_backbone, Options};

/// Class folders of `dir` (sorted by name) with their PNG/JPEG files (sorted).
fn labelled_images(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut classes = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if !path.is_dir() {
            continue;
        }
        let mut images: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                ["png", "jpg", "jpeg"].contains(&ext.as_str())
            })
            .collect();
        images.sort();
        if images.is_empty() {
            return Err(format!("{} has no PNG or JPEG images", path.display()));
        }
        let name = path.file_name().and_then(|n| n.to_str()).ok_or(format!("{}: not a UTF-8 name", path.display()))?;
        classes.push((name.to_string(), images));
    }
    classes.sort();
    if classes.is_empty() {
        return Err(format!("{} has no class folders (one sub-folder of images per class)", dir.display()));
    }
    Ok(classes)
}

fn with_frame<T>(path: &Path, f: impl FnOnce(Frame<'_>) -> Result<T, String>) -> Result<T, String> {
    let name = path.display().to_string();
    let (rgba, width, height) = decode(&name)?;
    f(Frame::new(&rgba, width, height).map_err(|e| format!("{name}: {e}"))?)
}

struct Stderr;

impl Progress for Stderr {
    fn epoch(&mut self, s: &EpochStats) -> ControlFlow<()> {
        let validation = match (s.validation_loss, s.validation_accuracy) {
            (Some(l), Some(a)) => format!("  validation loss {l:.4} accuracy {a:.3}"),
            _ => String::new(),
        };
        eprintln!("epoch {:>3}  train loss {:.4} accuracy {:.3}{validation}", s.epoch, s.train_loss, s.train_accuracy);
        ControlFlow::Continue(())
    }
    async fn pause(&mut self) {}
}

pub fn train(options: &Options) -> Result<i32, String> {
    let [dir] = options.rest.as_slice() else {
        return Err("train needs one folder: glimpse train DIR -o PROJECT".into());
    };
    let output = options.output.as_ref().ok_or("train needs -o PROJECT (where to write the project file)")?;
    options.settings.check().map_err(|e| e.to_string())?;
    let classes = labelled_images(Path::new(dir))?;
    let device = device(&options.backend)?;
    let backbone = load_backbone(options, &device)?;
    let mut learner = Learner::new();
    learner.set_settings(options.settings.clone()).map_err(|e| e.to_string())?;
    let total: usize = classes.iter().map(|(_, images)| images.len()).sum();
    let mut done = 0;
    for (name, images) in &classes {
        let class = learner.examples_mut().add_class(name).map_err(|e| e.to_string())?;
        for path in images {
            let (augment, mut rng) = learner.next_capture();
            let captured = with_frame(path, |frame| {
                pollster::block_on(capture(&backbone, frame, &augment, &mut rng)).map_err(|e| e.to_string())
            })?;
            learner.add(class, captured).map_err(|e| e.to_string())?;
            done += 1;
            if done % 25 == 0 || done == total {
                eprintln!("features: {done}/{total} images");
            }
        }
    }
    let data = learner.dataset().map_err(|e| e.to_string())?;
    eprintln!("training a {:?} head on {} examples of {} classes", options.settings.head, data.len(), data.classes.len());
    let trained = pollster::block_on(fit(&data, learner.settings(), backbone.device(), &mut Stderr)).map_err(|e| e.to_string())?;
    match &trained.evaluation {
        Some(e) => println!("held-out accuracy: {:.4} on {} examples (macro F1 {:.4})", e.accuracy, e.examples, e.macro_f1),
        None => println!("no held-out examples (every class has a single capture): nothing to evaluate"),
    }
    learner.set_trained(trained).map_err(|e| e.to_string())?;
    std::fs::write(output, learner.save()).map_err(|e| format!("{}: {e}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(0)
}

fn open(path: &str) -> Result<Learner, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let mut learner = Learner::new();
    learner.open(&bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(learner)
}

fn predict_file(learner: &mut Learner, backbone: &Backbone, path: &Path) -> Result<Prediction, String> {
    let predictor = learner.predictor(backbone).map_err(|e| e.to_string())?;
    with_frame(path, |frame| {
        let mut p = pollster::block_on(predictor.predict(backbone, &[frame])).map_err(|e| e.to_string())?;
        Ok(p.remove(0))
    })
}

pub fn eval(options: &Options) -> Result<i32, String> {
    let [project, dir] = options.rest.as_slice() else {
        return Err("eval needs a project and a folder: glimpse eval PROJECT DIR".into());
    };
    let mut learner = open(project)?;
    let classes = labelled_images(Path::new(dir))?;
    let head_classes: Vec<(u32, String)> = {
        let t = learner.trained().ok_or(format!("{project}: has no trained head"))?;
        t.head.classes.iter().map(|&id| (id, learner.examples().class(id).map(|c| c.name.clone()).unwrap_or_default())).collect()
    };
    let device = device(&options.backend)?;
    let backbone = load_backbone(options, &device)?;
    let (mut truth, mut predicted, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    for (name, images) in &classes {
        let label = head_classes
            .iter()
            .position(|(_, n)| n == name)
            .ok_or(format!("{dir}/{name}: the project has no class named {name:?}"))?;
        for path in images {
            let p = predict_file(&mut learner, &backbone, path)?;
            let row: Vec<f32> = p.classes.iter().map(|c| c.probability).collect();
            truth.push(label);
            predicted.push(argmax(&row));
            ids.push(ids.len() as u32 + 1);
        }
    }
    let ids_of: Vec<u32> = head_classes.iter().map(|(id, _)| *id).collect();
    let e = evaluate(&ids_of, &truth, &predicted, &ids);
    let width = head_classes.iter().map(|(_, n)| n.len()).max().unwrap_or(5).max(5);
    println!("{:width$}  precision  recall     f1  support", "class");
    for ((_, name), m) in head_classes.iter().zip(&e.classes) {
        println!("{name:width$}  {:9.4}  {:6.4}  {:5.4}  {:7}", m.precision, m.recall, m.f1, m.support);
    }
    println!("{:width$}  {:9.4}  {:6.4}  {:5.4}  {:7}", "macro", e.macro_precision, e.macro_recall, e.macro_f1, e.examples);
    println!("\nconfusion matrix (rows: true class, columns: predicted)");
    println!("{:width$}  {}", "", head_classes.iter().map(|(_, n)| format!("{n:>width$}")).collect::<Vec<_>>().join(" "));
    for ((_, name), row) in head_classes.iter().zip(&e.confusion) {
        println!("{name:width$}  {}", row.iter().map(|cell| format!("{:>width$}", cell.len())).collect::<Vec<_>>().join(" "));
    }
    println!("accuracy: {:.4}", e.accuracy);
    Ok(0)
}

pub fn predict(options: &Options) -> Result<i32, String> {
    let Some((project, images)) = options.rest.split_first().filter(|(_, images)| !images.is_empty()) else {
        return Err("predict needs a project and images: glimpse predict PROJECT IMAGE...".into());
    };
    let mut learner = open(project)?;
    let device = device(&options.backend)?;
    let backbone = load_backbone(options, &device)?;
    for path in images {
        let p = predict_file(&mut learner, &backbone, Path::new(path))?;
        let best = p.classes.iter().max_by(|a, b| a.probability.total_cmp(&b.probability)).expect("two classes or more");
        match p.unknown {
            false => println!("{path}\t{}\t{:.4}", best.name, best.probability),
            true => println!("{path}\tunknown\t{:.4}\t(closest: {})", best.probability, best.name),
        }
    }
    Ok(0)
}
