//! `glimpse adapt`: a trained project adapted to a new camera or scene from a folder of its
//! unlabelled images (see `glimpse::learn::adapt`), or that adaptation removed.

use std::path::Path;

use super::learn::images_in;
use super::{Options, decode, frame, open_project};

/// Images per batch through the backbone: bounds memory for large folders.
const BATCH: usize = 8;

pub fn run(options: &Options) -> Result<i32, String> {
    let output = options.output.as_ref().ok_or("adapt needs -o PROJECT (where to write the adapted project)")?;
    let session = match (options.rest.as_slice(), options.remove) {
        ([project], true) => {
            let session = open_project(options, project)?;
            match session.remove_adaptation() {
                true => println!("removed the adaptation: predictions are as before adapting"),
                false => println!("{project} was not adapted: nothing to remove"),
            }
            session
        }
        ([project, dir], false) => {
            let session = open_project(options, project)?;
            let images = images_in(Path::new(dir))?;
            if images.is_empty() {
                return Err(format!("{dir} has no PNG or JPEG images (unlabelled images of the new camera or scene)"));
            }
            let mut features = Vec::new();
            let mut done = 0;
            for batch in images.chunks(BATCH) {
                let decoded = batch.iter().map(|p| decode(p)).collect::<Result<Vec<_>, _>>()?;
                let frames = batch.iter().zip(&decoded).map(|(p, i)| frame(p, i)).collect::<Result<Vec<_>, _>>()?;
                features.extend(pollster::block_on(session.features(&frames)).map_err(|e| format!("{project}: {e}"))?);
                done += batch.len();
                eprintln!("features: {done}/{} images", images.len());
            }
            let made = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64);
            let summary = session.adapt(&features, made).map_err(|e| e.to_string())?;
            println!("adapted to {} images of {dir}", summary.frames);
            session
        }
        _ => {
            return Err(
                "adapt needs a project and a folder of unlabelled images: glimpse adapt PROJECT DIR -o OUT (or glimpse adapt PROJECT --remove -o OUT)".into()
            );
        }
    };
    std::fs::write(output, session.save()).map_err(|e| format!("{}: {e}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(0)
}
