//! `glimpse adapt`: a trained project adapted to a new camera or scene from a folder of its
//! unlabelled images (see the core's `learn::tasks::adapt`), or that adaptation removed.

use std::path::Path;

use super::files::{Output, decode, frame, images_in, probe};
use super::report::Progress;
use super::{Model, open_project};

/// Images per batch through the backbone: bounds memory for large folders.
const BATCH: usize = 8;

pub fn run(model: &Model, project: &Path, dir: Option<&Path>, remove: bool, output: &Output) -> Result<i32, String> {
    output.check()?;
    let session = match (dir, remove) {
        (None, true) => {
            let session = open_project(model, project)?;
            match session.remove_adaptation() {
                true => println!("removed the adaptation: predictions are as before adapting"),
                false => println!("{} was not adapted: nothing to remove", project.display()),
            }
            session
        }
        (Some(dir), false) => {
            let images = images_in(dir)?;
            if images.is_empty() {
                return Err(format!("{} has no PNG or JPEG images (unlabelled images of the new camera or scene)", dir.display()));
            }
            images.iter().try_for_each(|p| probe(p))?;
            let session = open_project(model, project)?;
            let mut features = Vec::new();
            let mut progress = Progress::new("features", images.len());
            for batch in images.chunks(BATCH) {
                let decoded = batch.iter().map(|p| decode(p)).collect::<Result<Vec<_>, _>>()?;
                let frames = batch.iter().zip(&decoded).map(|(p, i)| frame(p, i)).collect::<Result<Vec<_>, _>>()?;
                features.extend(pollster::block_on(session.features(&frames)).map_err(|e| format!("{}: {e}", project.display()))?);
                progress.advance(batch.len());
            }
            drop(progress);
            let made = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64);
            let summary = session.adapt(&features, made).map_err(|e| e.to_string())?;
            println!("adapted to {} images of {}", summary.frames, dir.display());
            session
        }
        _ => {
            return Err(
                "adapt needs a project and a folder of unlabelled images: glimpse adapt PROJECT DIR -o OUT (or glimpse adapt PROJECT --remove -o OUT)".into()
            );
        }
    };
    output.write(&session.save())?;
    println!("wrote {}", output.path.display());
    Ok(0)
}
