//! `glimpse train --detect` and `eval` of a counter: the learner on YOLO folders (see `yolo`).

use std::path::Path;

use glimpse::{ClassId, Point, Prediction, Session, Settings, Task};
use serde_json::json;

use super::files::{Output, decode, frame, probe};
use super::report::{Progress, Training};
use super::{Model, session, yolo};

pub fn train(model: &Model, dir: &Path, output: &Output, settings: Settings) -> Result<i32, String> {
    let settings = Settings { task: Task::Count, ..settings };
    settings.check().map_err(|e| e.to_string())?;
    // Every label file and image is checked before the work.
    let labelled = yolo::read(dir)?;
    labelled.images.iter().try_for_each(|(p, _)| probe(p))?;
    output.check()?;
    let session = session(model)?;
    session.set_settings(settings).map_err(|e| e.to_string())?;
    let ids: Vec<ClassId> = labelled
        .classes
        .iter()
        .map(|name| session.add_class(Some(name)).map_err(|e| format!("{}: class “{name}”: {e}", dir.display())))
        .collect::<Result<_, _>>()?;
    let mut progress = Progress::new("features", labelled.images.len());
    for (path, points) in &labelled.images {
        let image = decode(path)?;
        // A frame is kept with the class of its first object (any class: it counts them all).
        let class = points.first().map_or(ids[0], |&(k, _, _)| ids[k]);
        let added = pollster::block_on(session.capture(class, frame(path, &image)?)).map_err(|e| format!("{}: {e}", path.display()))?;
        let points = points.iter().map(|&(k, x, y)| Point { class: ids[k], x, y }).collect();
        session.set_points(added.ids[0], points).map_err(|e| format!("{}: {e}", path.display()))?;
        progress.advance(1);
    }
    drop(progress);
    let objects: usize = labelled.images.iter().map(|(_, p)| p.len()).sum();
    eprintln!("training a counter on {} images with {objects} objects of {} classes", labelled.images.len(), ids.len());
    let summary = pollster::block_on(session.train(&mut Training::new(session.max_epochs()))).map_err(|e| e.to_string())?;
    println!("{}", summary.report.outcome);
    output.write(&session.save())?;
    println!("wrote {}", output.path.display());
    Ok(0)
}

/// Scores a counter on a YOLO folder: precision, recall and F1 per class and over all, the share
/// of images counted exactly, and last `f1: <overall F1>`.
pub fn eval(session: &Session, project: &Path, dir: &Path, json: bool) -> Result<i32, String> {
    let labelled = yolo::read(dir)?;
    labelled.images.iter().try_for_each(|(p, _)| probe(p))?;
    let head = session.head_classes().map_err(|e| format!("{}: {e}", project.display()))?;
    let ids = labelled
        .classes
        .iter()
        .map(|name| head.iter().find(|(_, n)| n == name).map(|(id, _)| *id).ok_or(format!("{}: the project has no class named “{name}”", dir.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let mut progress = Progress::new("counting", labelled.images.len());
    let (mut truth, mut predictions) = (Vec::new(), Vec::<Prediction>::new());
    for (path, points) in &labelled.images {
        let image = decode(path)?;
        predictions.extend(pollster::block_on(session.predict(&[frame(path, &image)?])).map_err(|e| format!("{}: {e}", path.display()))?);
        truth.push(points.iter().map(|&(k, x, y)| Point { class: ids[k], x, y }).collect());
        progress.advance(1);
    }
    drop(progress);
    let e = session.evaluate_counts(&truth, &predictions).map_err(|e| e.to_string())?;
    let name = |id: ClassId| head.iter().find(|(c, _)| *c == id).map_or("?", |(_, n)| n.as_str());
    if json {
        let classes: Vec<_> = e
            .classes
            .iter()
            .map(|c| json!({ "class": name(c.class), "precision": c.precision, "recall": c.recall, "f1": c.f1, "objects": c.objects, "found": c.found }))
            .collect();
        println!(
            "{}",
            json!({ "images": e.frames, "classes": classes, "precision": e.precision, "recall": e.recall, "f1": e.f1, "exactCounts": e.exact_counts })
        );
        return Ok(0);
    }
    let width = head.iter().map(|(_, n)| n.chars().count()).max().unwrap_or(5).max(7);
    println!("{:width$}  precision  recall      f1  objects  found", "class");
    for c in &e.classes {
        println!("{:width$}  {:9.4}  {:6.4}  {:6.4}  {:7}  {:5}", name(c.class), c.precision, c.recall, c.f1, c.objects, c.found);
    }
    let (objects, found): (u32, u32) = e.classes.iter().fold((0, 0), |t, c| (t.0 + c.objects, t.1 + c.found));
    println!("{:width$}  {:9.4}  {:6.4}  {:6.4}  {objects:7}  {found:5}", "overall", e.precision, e.recall, e.f1);
    println!("exact counts: {:.4} of {} images", e.exact_counts, e.frames);
    println!("f1: {:.4}", e.f1);
    Ok(0)
}
