//! `glimpse train`, `eval` and `predict`: the learner on folders of images (a counter's training
//! and evaluation are in `count`).

use std::path::{Path, PathBuf};

use glimpse::{Prediction, Session, Task};
use serde_json::json;

use super::files::{Output, decode, frame, labelled_images, probe};
use super::report::{Progress, Training, print_prediction};
use super::{Model, count, open_project, session, shown};

pub fn train(model: &Model, dir: &Path, output: &Output, settings: glimpse::Settings, zero_shot: Option<&[String]>) -> Result<i32, String> {
    settings.check().map_err(|e| e.to_string())?;
    // Found out before the work, not after it: a bad class name, an unwritable output.
    let classes = labelled_images(dir)?;
    output.check()?;
    let session = session(model)?;
    session.set_settings(settings.clone()).map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for (name, images) in &classes {
        ids.push(session.add_class(Some(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))?);
        images.iter().try_for_each(|p| probe(p))?;
    }
    let mut progress = Progress::new("features", classes.iter().map(|(_, images)| images.len()).sum());
    for ((_, images), class) in classes.iter().zip(ids) {
        for path in images {
            let image = decode(path)?;
            pollster::block_on(session.capture(class, frame(path, &image)?)).map_err(|e| format!("{}: {e}", path.display()))?;
            progress.advance(1);
        }
    }
    drop(progress);
    for name in zero_shot.unwrap_or_default() {
        let meaning = Session::meaning(name).map_err(|e| e.to_string())?;
        session.add_class(Some(name)).map_err(|e| e.to_string())?;
        eprintln!("{name}: zero-shot, {} ({})", meaning.senses[0].description, meaning.senses[0].covers);
    }
    let examples = session.example_ids().len();
    match settings.task {
        Task::SpotAnomalies => eprintln!("fitting an anomaly detector to {examples} examples of {}", classes[0].0),
        Task::Classify => eprintln!("training a {} head on {examples} examples of {} classes", settings.head, classes.len()),
        Task::Count => return Err("counting learns from a YOLO folder: train with --detect".into()),
    }
    let summary = pollster::block_on(session.train(&mut Training::new(session.max_epochs()))).map_err(|e| e.to_string())?;
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
        println!("anomaly threshold set so that {:.1} % of {n} held-out normal examples are flagged", settings.false_alarm_rate * 100.0);
    }
    if let Some(f) = &summary.fine_tuned {
        let scores =
            f.check.map_or(String::new(), |c| format!(" (held out: {:.4} fine-tuned, {:.4} the head alone, margin {:.4})", c.tuned, c.head, c.margin()));
        match f.kept {
            true => println!("fine-tuned {} from epoch {}{scores}", f.layers, f.first_epoch),
            false => println!("fine-tuning {} scored below the head alone by more than the margin: kept the head alone{scores}", f.layers),
        }
    }
    let before = if summary.refit.is_some() { " (before the refit)" } else { "" };
    match &summary.evaluation {
        Some(e) => println!("held-out accuracy{before}: {:.4} on {} examples (macro F1 {:.4})", e.accuracy, e.examples, e.macro_f1),
        None if summary.normal_examples.is_some() => {}
        None => println!("no held-out examples (every class has a single capture): nothing to evaluate"),
    }
    if let Some(r) = &summary.refit {
        println!(
            "refit: learned from all {} examples, {} epochs of the head and {} of fine-tuning, as the held-out examples chose",
            r.examples, r.head_epochs, r.tune_epochs
        );
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
    output.write(&session.save())?;
    println!("wrote {}", output.path.display());
    Ok(0)
}

fn predict_file(session: &Session, path: &Path) -> Result<Prediction, String> {
    let image = decode(path)?;
    let mut p = pollster::block_on(session.predict(&[frame(path, &image)?])).map_err(|e| e.to_string())?;
    Ok(p.remove(0))
}

pub fn eval(model: &Model, project: &Path, dir: &Path, json: bool) -> Result<i32, String> {
    let session = open_project(model, project)?;
    if session.settings().task == Task::Count {
        return count::eval(&session, project, dir, json);
    }
    let classes = labelled_images(dir)?;
    classes.iter().flat_map(|(_, images)| images).try_for_each(|p| probe(p))?;
    if session.settings().task == Task::SpotAnomalies {
        return eval_detector(&session, dir, &classes, json);
    }
    let head = session.head_classes().map_err(|e| format!("{}: {e}", project.display()))?;
    // Every folder must name a class before any image is classified (as a class name, without
    // the spaces around it that a folder's name may have).
    let labels = classes
        .iter()
        .map(|(name, _)| {
            head.iter().position(|(_, n)| n == name.trim()).ok_or(format!("{}: the project has no class named “{}”", dir.join(name).display(), name.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let total = classes.iter().map(|(_, images)| images.len()).sum();
    let mut progress = Progress::new("classifying", total);
    let mut labelled = Vec::new();
    for ((_, images), &label) in classes.iter().zip(&labels) {
        for path in images {
            labelled.push((label, predict_file(&session, path)?));
            progress.advance(1);
        }
    }
    drop(progress);
    let e = session.evaluate(&labelled).map_err(|e| e.to_string())?;
    if json {
        let per_class: Vec<_> = head
            .iter()
            .zip(&e.classes)
            .map(|((_, name), m)| json!({ "class": name, "precision": m.precision, "recall": m.recall, "f1": m.f1, "support": m.support }))
            .collect();
        let confusion: Vec<Vec<usize>> = e.confusion.iter().map(|row| row.iter().map(Vec::len).collect()).collect();
        let macro_scores = json!({ "precision": e.macro_precision, "recall": e.macro_recall, "f1": e.macro_f1 });
        let labels: Vec<&str> = head.iter().map(|(_, n)| n.as_str()).collect();
        println!(
            "{}",
            json!({ "accuracy": e.accuracy, "examples": e.examples, "classes": per_class, "macro": macro_scores, "labels": labels, "confusion": confusion })
        );
        return Ok(0);
    }
    let width = head.iter().map(|(_, n)| n.chars().count()).max().unwrap_or(5).max(5);
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
fn eval_detector(session: &Session, dir: &Path, folders: &[(String, Vec<PathBuf>)], json: bool) -> Result<i32, String> {
    let mut labelled = Vec::new();
    for (name, images) in folders {
        let anomaly = match name.as_str() {
            "normal" => false,
            "anomaly" => true,
            other => return Err(format!("{}: evaluating an anomaly detector takes two folders, normal/ and anomaly/", dir.join(other).display())),
        };
        for path in images {
            labelled.push((anomaly, predict_file(session, path)?));
        }
    }
    let e = session.evaluate_anomalies(&labelled).map_err(|e| format!("{}: {e}", dir.display()))?;
    let threshold = labelled[0].1.anomaly.map_or(0.0, |a| a.threshold);
    let rate = session.settings().false_alarm_rate;
    if json {
        println!(
            "{}",
            json!({ "normal": e.normal, "anomalies": e.anomalies, "threshold": threshold, "chosenFalseAlarmRate": rate,
                    "falseAlarmRate": e.false_alarm_rate, "detectionRate": e.detection_rate, "auc": e.auc })
        );
        return Ok(0);
    }
    println!("{} normal images, {} anomalies; threshold {threshold:.4} (false-alarm rate {rate:.3} chosen)", e.normal, e.anomalies);
    println!("false-alarm rate: {:.4}", e.false_alarm_rate);
    println!("detection rate: {:.4}", e.detection_rate);
    println!("auc: {:.4}", e.auc);
    Ok(0)
}

pub fn predict(model: &Model, project: &Path, images: &[PathBuf], json: bool) -> Result<i32, String> {
    images.iter().try_for_each(|p| probe(p))?;
    let session = open_project(model, project)?;
    for path in images {
        print_prediction(&shown(path), &predict_file(&session, path)?, json);
    }
    Ok(0)
}
