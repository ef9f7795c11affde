//! `glimpse explain`: where in each image the evidence for its class lies.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use glimpse::{HeatMap, Session};

use super::{Options, decode, frame, open_project, session};

/// True when `path` starts like a project file (so it is not an image to explain).
fn is_project(path: &str) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && Session::is_project_file(&magic)
}

pub fn run(options: &Options) -> Result<i32, String> {
    let (project, images) = match options.rest.split_first() {
        Some((first, rest)) if is_project(first) => (Some(first), rest),
        _ => (None, options.rest.as_slice()),
    };
    if images.is_empty() {
        return Err("explain needs images: glimpse explain [PROJECT] IMAGE... [-o DIR]".into());
    }
    // Decode everything first, so that a bad file fails before the model is loaded.
    let decoded = images.iter().map(|p| decode(Path::new(p))).collect::<Result<Vec<_>, _>>()?;
    if let Some(dir) = &options.output {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let session = match project {
        Some(path) => open_project(options, path)?,
        None => session(options)?,
    };
    let mut written = HashSet::new();
    for (path, image) in images.iter().zip(&decoded) {
        let frame = frame(Path::new(path), image)?;
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
        println!("{path}\t{class}\t{x:.3}\t{y:.3}");
        if let Some(dir) = &options.output {
            // One file per image, named after it; a name seen before gets a number.
            let stem = Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or("image");
            let name =
                (1..).map(|n| if n == 1 { format!("{stem}.png") } else { format!("{stem}-{n}.png") }).find(|n| written.insert(n.clone())).expect("a free name");
            let out = dir.join(name);
            map.overlay(frame).save(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
    }
    Ok(0)
}
