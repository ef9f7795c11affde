//! `glimpse export`: a project's model as an ONNX file, for onnxruntime and other engines.

use std::path::Path;

use super::files::Output;
use super::{Model, open_project};

pub fn run(model: &Model, project: &Path, output: &Output) -> Result<i32, String> {
    output.check()?;
    let session = open_project(model, project)?;
    let exported = pollster::block_on(session.export_onnx()).map_err(|e| format!("{}: {e}", project.display()))?;
    output.write(&exported.bytes)?;
    println!("wrote {} ({:.1} MB): classes {}", output.path.display(), exported.bytes.len() as f64 / 1e6, exported.classes.join(", "));
    println!("input: image, float32 [N, 3, {side}, {side}]: {}", glimpse::PREPROCESSING, side = session.backbone().preprocess().size);
    Ok(0)
}
