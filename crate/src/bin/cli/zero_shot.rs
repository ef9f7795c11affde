//! `glimpse zero-shot`: classes from typed names alone, and what a name covers.

use std::path::Path;

use super::{Options, decode, frame, print_prediction, session};

pub fn run(options: &Options) -> Result<i32, String> {
    if let Some(name) = &options.explain_name {
        let meaning = glimpse::Session::meaning(name).map_err(|e| e.to_string())?;
        for (n, sense) in meaning.senses.iter().enumerate() {
            let marker = if n == 0 { " (used)" } else { "" };
            println!("{}. {}{marker}\n   {}", n + 1, sense.description, sense.covers);
        }
        return Ok(0);
    }
    let classes = options.zero_shot.as_ref().ok_or("zero-shot needs --classes \"bird,dog,…\" (or --explain-name NAME)")?;
    if options.rest.is_empty() {
        return Err("zero-shot needs images: glimpse zero-shot --classes \"bird,dog\" IMAGE...".into());
    }
    // Decode everything first, so that a bad file fails before the model is loaded.
    let images = options.rest.iter().map(|p| decode(Path::new(p))).collect::<Result<Vec<_>, _>>()?;
    let session = session(options)?;
    for name in classes {
        session.add_class(Some(name)).map_err(|e| e.to_string())?;
    }
    if let Some(e) = session.unready() {
        return Err(e.to_string());
    }
    for (path, image) in options.rest.iter().zip(&images) {
        print_prediction(path, &pollster::block_on(session.predict(&[frame(Path::new(path), image)?])).map_err(|e| e.to_string())?[0]);
    }
    Ok(0)
}
