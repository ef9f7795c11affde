//! `glimpse explain`: where in each image the evidence for its class lies.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use glimpse::{HeatMap, Session};
use serde_json::json;

use super::files::{Output, decode, frame, probe};
use super::{Model, open_project, session, shown};

/// True when `path` starts like a project file (so it is not an image to explain).
fn is_project(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && Session::is_project_file(&magic)
}

/// Where the overlay of each image goes: `DIR/NAME.heatmap.png`, numbered when two images share a
/// name, never an input image, and an existing file only with `--force`.
fn overlays(dir: &Path, images: &[PathBuf], force: bool) -> Result<Vec<Output>, String> {
    let inputs: HashSet<PathBuf> = images.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut taken = HashSet::new();
    images
        .iter()
        .map(|path| {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into());
            let name = (1..)
                .map(|n| if n == 1 { format!("{stem}.heatmap.png") } else { format!("{stem}-{n}.heatmap.png") })
                .find(|n| taken.insert(n.clone()))
                .expect("a free name");
            let out = dir.join(name);
            if out.canonicalize().is_ok_and(|c| inputs.contains(&c)) {
                return Err(format!("{}: the overlay would replace an input image; choose another -o folder", out.display()));
            }
            let output = Output::new(out, force);
            if output.path.exists() && !force {
                return Err(format!("{} exists: glimpse does not replace a file unless asked (--force)", output.path.display()));
            }
            Ok(output)
        })
        .collect()
}

pub fn run(model: &Model, files: &[PathBuf], dir: Option<&Path>, force: bool, json: bool) -> Result<i32, String> {
    let (project, images) = match files.split_first() {
        Some((first, rest)) if is_project(first) => (Some(first), rest),
        _ => (None, files),
    };
    if images.is_empty() {
        return Err("explain needs images: glimpse explain [PROJECT] IMAGE... [-o DIR]".into());
    }
    // Every file checked first, so that a bad one fails before the model is loaded.
    images.iter().try_for_each(|p| probe(p))?;
    let session = match project {
        Some(path) => open_project(model, path)?,
        None => session(model)?,
    };
    // The folder is made only once the project opened: a bad project leaves nothing behind.
    let outputs = match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            Some(overlays(dir, images, force)?)
        }
        None => None,
    };
    for (i, path) in images.iter().enumerate() {
        let image = decode(path)?;
        let frame = frame(path, &image)?;
        let (class, map): (String, HeatMap) = match project {
            Some(_) => {
                let explained = pollster::block_on(session.explain(&[frame])).map_err(|e| e.to_string())?.remove(0);
                (explained.prediction.top().name.clone(), explained.map)
            }
            None => {
                let (class, map) = pollster::block_on(session.backbone().explain_imagenet(&[frame])).map_err(|e| e.to_string())?.remove(0);
                (class.label.to_string(), map)
            }
        };
        let (x, y) = map.peak(frame.width, frame.height);
        let overlay = outputs.as_ref().map(|o| &o[i]);
        if let Some(output) = overlay {
            let mut png = std::io::Cursor::new(Vec::new());
            map.overlay(frame).write_to(&mut png, image::ImageFormat::Png).map_err(|e| format!("{}: {e}", output.path.display()))?;
            output.write(png.get_ref())?;
        }
        match json {
            true => println!("{}", json!({ "path": shown(path), "class": class, "x": x, "y": y, "overlay": overlay.map(|o| shown(&o.path)) })),
            false => println!("{}\t{class}\t{x:.3}\t{y:.3}", shown(path)),
        }
    }
    Ok(0)
}
