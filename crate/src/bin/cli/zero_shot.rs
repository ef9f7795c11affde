//! `glimpse zero-shot`: classes from typed names alone, and what a name covers.

use std::path::PathBuf;

use glimpse::Session;
use serde_json::json;

use super::files::{decode, frame, probe};
use super::report::print_prediction;
use super::{Model, session, shown};

/// The senses of `name`, each with the ImageNet classes it covers.
pub fn explain_name(name: &str, json: bool) -> Result<i32, String> {
    let meaning = Session::meaning(name).map_err(|e| e.to_string())?;
    if json {
        let senses: Vec<_> = meaning.senses.iter().map(|s| json!({ "id": s.id, "description": s.description, "covers": s.covers })).collect();
        println!("{}", json!({ "name": meaning.name, "senses": senses }));
        return Ok(0);
    }
    for (n, sense) in meaning.senses.iter().enumerate() {
        let marker = if n == 0 { " (used)" } else { "" };
        println!("{}. {}{marker}\n   {}", n + 1, sense.description, sense.covers);
    }
    Ok(0)
}

pub fn run(model: &Model, classes: &[String], images: &[PathBuf], json: bool) -> Result<i32, String> {
    // Every file checked first, so that a bad one fails before the model is loaded.
    images.iter().try_for_each(|p| probe(p))?;
    let session = session(model)?;
    for name in classes {
        session.add_class(Some(name)).map_err(|e| e.to_string())?;
    }
    if let Some(e) = session.unready() {
        return Err(e.to_string());
    }
    for path in images {
        let image = decode(path)?;
        let p = pollster::block_on(session.predict(&[frame(path, &image)?])).map_err(|e| e.to_string())?.remove(0);
        print_prediction(&shown(path), &p, json);
    }
    Ok(0)
}
