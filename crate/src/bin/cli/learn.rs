//! `glimpse train`, `eval` and `predict`: the learner on folders of images.

use std::path::{Path, PathBuf};

use glimpse::{EpochStats, Prediction, Progress, Session, Task};

use super::{Options, decode, frame, open_project, print_prediction, session};

/// The PNG and JPEG files in `dir` (not in its sub-folders), sorted.
pub fn images_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            ["png", "jpg", "jpeg"].contains(&ext.as_str())
        })
        .collect();
    images.sort();
    Ok(images)
}

/// Class folders of `dir` (sorted by name) with their PNG/JPEG files (sorted).
pub fn labelled_images(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut classes = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if !path.is_dir() {
            continue;
        }
        let images = images_in(&path)?;
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

struct Stderr;

impl Progress for Stderr {
    fn epoch(&mut self, s: &EpochStats) {
        let validation = match (s.validation_loss, s.validation_accuracy) {
            (Some(l), Some(a)) => format!("  validation loss {l:.4} accuracy {a:.3}"),
            _ => String::new(),
        };
        eprintln!("epoch {:>3}  train loss {:.4} accuracy {:.3}{validation}", s.epoch, s.train_loss, s.train_accuracy);
    }
    fn fine_tuning(&mut self, layers: &str) {
        eprintln!("fine-tuning {layers} with the head");
    }
    fn stage(&mut self, what: &str) {
        eprintln!("{what}");
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
    let session = session(options)?;
    session.set_settings(options.settings.clone()).map_err(|e| e.to_string())?;
    let total: usize = classes.iter().map(|(_, images)| images.len()).sum();
    let mut done = 0;
    for (name, images) in &classes {
        let class = session.add_class(Some(name)).map_err(|e| e.to_string())?;
        for path in images {
            let image = decode(path)?;
            pollster::block_on(session.capture(class, frame(path, &image)?)).map_err(|e| e.to_string())?;
            done += 1;
            if done % 25 == 0 || done == total {
                eprintln!("features: {done}/{total} images");
            }
        }
    }
    for name in options.zero_shot.iter().flatten() {
        session.add_class(Some(name)).map_err(|e| e.to_string())?;
        let senses = session.classes().pop().expect("just added").senses;
        let sense = senses.first().ok_or_else(|| glimpse::Error::NoConcept(name.clone()).to_string())?;
        eprintln!("{name}: zero-shot, {} ({})", sense.description, sense.covers);
    }
    let examples = session.example_ids().len();
    match options.settings.task {
        Task::SpotAnomalies => eprintln!("fitting an anomaly detector to {examples} examples of {}", classes[0].0),
        Task::Classify => eprintln!("training a {} head on {examples} examples of {} classes", options.settings.head, classes.len()),
    }
    let summary = pollster::block_on(session.train(&mut Stderr)).map_err(|e| e.to_string())?;
    if let Some(a) = &summary.auto {
        match a.folds {
            0 | 1 => println!("auto: every class needs at least 2 captures to cross-validate: kept {}", a.chosen().describe()),
            folds => {
                println!("auto: {folds}-fold cross-validation accuracy of each candidate ({:.1} s):", a.seconds);
                for c in &a.candidates {
                    let score = c.accuracy.map_or(format!("not tried (over the {} s budget)", glimpse::AutoChoice::BUDGET_S), |v| format!("{v:.4}"));
                    println!("  {score}  {}", c.describe());
                }
                println!("auto chose {}", a.chosen().describe());
            }
        }
    }
    if let Some(n) = summary.normal_examples {
        println!("anomaly threshold set so that {:.1} % of {n} held-out normal examples are flagged", options.settings.false_alarm_rate * 100.0);
    }
    if let Some(f) = &summary.fine_tuned {
        match f.kept {
            true => println!("fine-tuned {} from epoch {}", f.layers, f.first_epoch),
            false => println!("fine-tuning {} did not beat the head alone on the held-out examples: kept the head alone", f.layers),
        }
    }
    match &summary.evaluation {
        Some(e) => println!("held-out accuracy: {:.4} on {} examples (macro F1 {:.4})", e.accuracy, e.examples, e.macro_f1),
        None if summary.normal_examples.is_some() => {}
        None => println!("no held-out examples (every class has a single capture): nothing to evaluate"),
    }
    if let Some(t) = &summary.transfer {
        let accuracy = t.accuracy;
        let intermediate = accuracy.intermediate.map_or(String::new(), |a| format!(", {a:.4} on an intermediate layer (block 11's 192 channels)"));
        println!(
            "transfer: the head alone on held-out examples: {:.4} on the pretrained features, {:.4} on raw pixels{intermediate}",
            accuracy.features, accuracy.pixels
        );
        if t.intermediate_better {
            println!(
                "note: an intermediate layer beats the network's final features: its last layers specialised away from this task; try --fine-tune 2 or more"
            );
        }
        if t.negative {
            println!(
                "warning: raw pixels beat the pretrained features (negative transfer): the network does not see what tells these classes apart; try --fine-tune, or check that the classes differ in what the images show"
            );
        }
    }
    std::fs::write(output, session.save()).map_err(|e| format!("{}: {e}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(0)
}

fn predict_file(session: &Session, path: &Path) -> Result<Prediction, String> {
    let image = decode(path)?;
    let mut p = pollster::block_on(session.predict(&[frame(path, &image)?])).map_err(|e| e.to_string())?;
    Ok(p.remove(0))
}

pub fn eval(options: &Options) -> Result<i32, String> {
    let [project, dir] = options.rest.as_slice() else {
        return Err("eval needs a project and a folder: glimpse eval PROJECT DIR".into());
    };
    let classes = labelled_images(Path::new(dir))?;
    let session = open_project(options, project)?;
    if session.settings().task == Task::SpotAnomalies {
        return eval_detector(&session, dir, &classes);
    }
    let head = session.head_classes().map_err(|e| format!("{project}: {e}"))?;
    // Every folder must name a class before any image is classified.
    let labels = classes
        .iter()
        .map(|(name, _)| head.iter().position(|(_, n)| n == name).ok_or(format!("{dir}/{name}: the project has no class named {name:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut labelled = Vec::new();
    for ((_, images), &label) in classes.iter().zip(&labels) {
        for path in images {
            labelled.push((label, predict_file(&session, path)?));
        }
    }
    let e = session.evaluate(&labelled).map_err(|e| e.to_string())?;
    let width = head.iter().map(|(_, n)| n.len()).max().unwrap_or(5).max(5);
    println!("{:width$}  precision  recall     f1  support", "class");
    for ((_, name), m) in head.iter().zip(&e.classes) {
        println!("{name:width$}  {:9.4}  {:6.4}  {:5.4}  {:7}", m.precision, m.recall, m.f1, m.support);
    }
    println!("{:width$}  {:9.4}  {:6.4}  {:5.4}  {:7}", "macro", e.macro_precision, e.macro_recall, e.macro_f1, e.examples);
    println!("\nconfusion matrix (rows: true class, columns: predicted)");
    println!("{:width$}  {}", "", head.iter().map(|(_, n)| format!("{n:>width$}")).collect::<Vec<_>>().join(" "));
    for ((_, name), row) in head.iter().zip(&e.confusion) {
        println!("{name:width$}  {}", row.iter().map(|cell| format!("{:>width$}", cell.len())).collect::<Vec<_>>().join(" "));
    }
    println!("accuracy: {:.4}", e.accuracy);
    Ok(0)
}

/// `DIR/normal` and `DIR/anomaly` through a detector: ROC AUC, and the rates at its threshold.
fn eval_detector(session: &Session, dir: &str, folders: &[(String, Vec<PathBuf>)]) -> Result<i32, String> {
    let mut labelled = Vec::new();
    for (name, images) in folders {
        let anomaly = match name.as_str() {
            "normal" => false,
            "anomaly" => true,
            other => return Err(format!("{dir}/{other}: evaluating an anomaly detector takes two folders, normal/ and anomaly/")),
        };
        for path in images {
            labelled.push((anomaly, predict_file(session, path)?));
        }
    }
    let e = session.evaluate_anomalies(&labelled).map_err(|e| format!("{dir}: {e}"))?;
    let threshold = labelled[0].1.anomaly.map_or(0.0, |a| a.threshold);
    println!(
        "{} normal images, {} anomalies; threshold {threshold:.4} (false-alarm rate {:.3} chosen)",
        e.normal,
        e.anomalies,
        session.settings().false_alarm_rate
    );
    println!("false-alarm rate: {:.4}", e.false_alarm_rate);
    println!("detection rate: {:.4}", e.detection_rate);
    println!("auc: {:.4}", e.auc);
    Ok(0)
}

pub fn predict(options: &Options) -> Result<i32, String> {
    let Some((project, images)) = options.rest.split_first().filter(|(_, images)| !images.is_empty()) else {
        return Err("predict needs a project and images: glimpse predict PROJECT IMAGE...".into());
    };
    let session = open_project(options, project)?;
    for path in images {
        print_prediction(path, &predict_file(&session, Path::new(path))?);
    }
    Ok(0)
}
