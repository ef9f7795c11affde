//! `glimpse imagenet`: what the pretrained network itself sees in each image.

use std::path::PathBuf;

use serde_json::json;

use super::files::{decode, frame, probe};
use super::{Model, load_backbone, shown};

pub fn run(model: &Model, images: &[PathBuf], json: bool) -> Result<i32, String> {
    // Every file checked first, so that a bad one fails before the model is loaded.
    images.iter().try_for_each(|p| probe(p))?;
    let backbone = load_backbone(model)?;
    for path in images {
        let image = decode(path)?;
        let top = pollster::block_on(backbone.imagenet_top_k(&[frame(path, &image)?], 5)).map_err(|e| e.to_string())?.remove(0);
        if json {
            let classes: Vec<_> = top.iter().map(|c| json!({ "index": c.index, "label": c.label, "probability": c.probability })).collect();
            println!("{}", json!({ "path": shown(path), "top": classes }));
            continue;
        }
        println!("{}", shown(path));
        for class in &top {
            println!("{:.4}\t{}\t{}", class.probability, class.index, class.label);
        }
    }
    Ok(0)
}
