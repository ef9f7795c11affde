//! A project's model as one ONNX file, for onnxruntime and every engine that reads ONNX: the
//! backbone (its fine-tuned layers if any), the camera adaptation, the head, and the mixing with
//! classes known by name only, so that the file predicts what `glimpse predict` does.
//!
//! Input `image`: float32 `[N, 3, S, S]`, RGB in 0–1, the frame's centre square resized to S×S
//! (see [`PREPROCESSING`]); the normalisation is inside. Outputs: `probabilities` `[N, C]` in
//! the project's class order (with `none` `[N, 1]`, "none of the named things", when every class
//! is known by name only); a detector's `score` `[N, 1]`, an anomaly above its threshold; a
//! counter's `cells` `[N, 1 + C, side, side]`, from the whole frame (see
//! [`WHOLE_FRAME_PREPROCESSING`]).
//! `metadata_props` say the classes, the threshold, the backbone and the preprocessing.

mod graph;
mod heads;
mod network;

use graph::{Dim, Graph};

use crate::Error;
use crate::backbone::top::Top;
use crate::backbone::{Backbone, FEATURE_DIM};
use crate::learn::heads::stored::HeadWeights;
use crate::learn::predict::{Sources, TrainedSource};
use crate::learn::tasks::counting::cells::cut_block;
use crate::learn::tasks::zero_shot::ZeroShot;
use crate::project::Project;

/// How a frame becomes the `image` input, in the words the file carries.
pub const PREPROCESSING: &str = "RGB in 0–1, channels first; the frame's centre square (side: its shorter side), \
resized to the input's side with a triangle (bilinear) filter widened to the scale when shrinking; no normalisation (it is inside the model)";

/// How a frame becomes a counter's `image` input (see `View::Whole`).
pub const WHOLE_FRAME_PREPROCESSING: &str = "RGB in 0–1, channels first; the whole frame squashed to the input's square (its aspect ratio not kept, so \
that a point at fractions (x, y) of the frame is at the same fractions of the input), resized with a triangle (bilinear) filter widened to the scale \
when shrinking; no normalisation (it is inside the model)";

/// What `glimpse export` and the page write.
pub struct Exported {
    pub bytes: Vec<u8>,
    /// The class names, in the order of the `probabilities` output.
    pub classes: Vec<String>,
}

/// The project's model as an ONNX file; refuses a project that cannot predict yet, saying why.
pub async fn onnx(project: &Project, backbone: &Backbone) -> Result<Exported, Error> {
    let sources = project.sources()?;
    let model = backbone.model();
    let preprocess = backbone.preprocess();
    let side = preprocess.size as i64;
    let mut g = Graph::default();
    let image = g.input("image", vec![Dim::Named("N"), Dim::Fixed(3), Dim::Fixed(side), Dim::Fixed(side)]);
    let input = network::normalise(&mut g, &image, preprocess);

    let Sources { trained, zero_shot, threshold, false_alarm_rate } = sources;
    let mut metadata = vec![
        ("backbone".to_string(), backbone.network().name.to_string()),
        ("weights_sha256".to_string(), backbone.network().weights_sha256.to_string()),
        ("input_size".to_string(), side.to_string()),
    ];
    if let TrainedSource::Cells { cells, classes } = trained {
        let map = network::trunk(&mut g, &input, model, cut_block(backbone.network())).await?;
        let probabilities = heads::cells(&mut g, &map, cells);
        let grid = cells.side as i64;
        g.output(&probabilities, "cells", vec![Dim::Named("N"), Dim::Fixed(classes.len() as i64 + 1), Dim::Fixed(grid), Dim::Fixed(grid)]);
        let classes: Vec<String> = classes.into_iter().map(|(_, name)| name).collect();
        metadata.extend([
            ("preprocessing".to_string(), WHOLE_FRAME_PREPROCESSING.to_string()),
            ("task".to_string(), "count".to_string()),
            ("classes".to_string(), json_strings(&classes)),
            ("threshold".to_string(), threshold.to_string()),
            (
                "description".to_string(),
                "cells: for each cell of a grid over the whole frame (row-major, y down), the probability that it is background (channel 0) or holds \
the centre of an object of each class (channels 1.., in the order of `classes`); an object is a group of touching cells whose most probable \
channel is that class at or above the threshold, at the probability-weighted centre of its cells"
                    .to_string(),
            ),
        ]);
        return Ok(Exported { bytes: g.encode("glimpse", &metadata), classes });
    }
    metadata.push(("preprocessing".to_string(), PREPROCESSING.to_string()));
    let top = match &trained {
        TrainedSource::Head { trained, .. } => match trained.fine_tuned.as_ref().and_then(|f| f.top.as_ref()) {
            Some(weights) => Some(Top::load(model, weights, backbone.device(), false)?),
            None => None,
        },
        _ => None,
    };
    let from = top.as_ref().map_or(model.blocks.len(), Top::first_block);
    let trunk = network::trunk(&mut g, &input, model, from).await?;
    let features = network::features(&mut g, &trunk, model, top.as_ref(), from).await?;
    // Zero-shot classes read the original network, before any fine-tuning or adaptation.
    let original = match (&top, zero_shot.is_empty()) {
        (Some(_), false) => network::features(&mut g, &trunk, model, None, from).await?,
        _ => features.clone(),
    };

    let mut classes: Vec<String> = Vec::new();
    // The trained classes' probabilities, `None` when no class is trained (a lone trained
    // class is certain of itself until the named classes take their share).
    let trained_probabilities = match trained {
        TrainedSource::Nothing => None,
        TrainedSource::Cells { .. } => unreachable!("a counter returned above"),
        TrainedSource::Lone { name, .. } => {
            classes.push(name);
            Some(None)
        }
        TrainedSource::Head { trained, classes: names, shift } => {
            classes.extend(names.into_iter().map(|(_, name)| name));
            let features = match shift {
                Some(shift) => {
                    let shift = g.floats("shift", &[1, FEATURE_DIM], shift);
                    g.node("Add", &[&features, &shift], vec![]).name().to_string()
                }
                None => features.clone(),
            };
            if let HeadWeights::Anomaly(detector) = &trained.head().weights {
                let score = heads::detector_score(&mut g, &features, detector, trained.head().dim as usize);
                g.output(&score, "score", vec![Dim::Named("N"), Dim::Fixed(1)]);
                metadata.extend([
                    ("task".to_string(), "anomaly".to_string()),
                    ("classes".to_string(), json_strings(&classes)),
                    ("threshold".to_string(), detector.threshold(false_alarm_rate).to_string()),
                    ("false_alarm_rate".to_string(), false_alarm_rate.to_string()),
                    (
                        "description".to_string(),
                        "score: one minus the mean cosine similarity of the k most similar normal examples; above the threshold, an anomaly".to_string(),
                    ),
                ]);
                return Ok(Exported { bytes: g.encode("glimpse", &metadata), classes });
            }
            Some(Some(heads::classifier(&mut g, &features, trained.head())))
        }
    };

    let probabilities = match zero_shot.is_empty() {
        true => trained_probabilities.flatten().ok_or(Error::NotTrained)?,
        false => {
            let covers: Vec<Vec<usize>> = zero_shot.iter().map(|(_, _, covers)| covers.clone()).collect();
            classes.extend(zero_shot.into_iter().map(|(_, name, _)| name));
            let imagenet = network::imagenet(&mut g, &original, model).await?;
            mix(&mut g, &imagenet, &ZeroShot::new(&covers), trained_probabilities)
        }
    };
    g.output(&probabilities, "probabilities", vec![Dim::Named("N"), Dim::Fixed(classes.len() as i64)]);
    metadata.extend([
        ("task".to_string(), "classify".to_string()),
        ("classes".to_string(), json_strings(&classes)),
        ("threshold".to_string(), threshold.to_string()),
        ("description".to_string(), "probabilities of the classes, in the order of `classes`; below the threshold, unknown".to_string()),
    ]);
    Ok(Exported { bytes: g.encode("glimpse", &metadata), classes })
}

/// The zero-shot classes' masses beside the trained classes' probabilities (`tasks::zero_shot::
/// mix`): with `trained` classes, their probabilities times "none of the named things"; without,
/// that probability as the output `none`.
fn mix(g: &mut Graph, imagenet: &str, zero_shot: &ZeroShot, trained: Option<Option<String>>) -> String {
    let (shares, uncovered) = zero_shot.matrices();
    let shares = g.floats("shares", &[shares.len() / zero_shot.len(), zero_shot.len()], shares);
    let masses = g.node("MatMul", &[imagenet, &shares], vec![]);
    let uncovered = g.floats("uncovered", &[1, uncovered.len()], uncovered);
    let others = g.node("Mul", &[imagenet, &uncovered], vec![]);
    let other = g.node("ReduceMax", &[&others], vec![graph::Attr::Ints("axes", vec![1]), graph::Attr::Int("keepdims", 1)]);
    let axes = g.ints("axes", vec![1]);
    let named = g.node("ReduceSum", &[&masses, &axes], vec![graph::Attr::Int("keepdims", 1)]);
    let total = g.node("Add", &[&named, &other], vec![]);
    let smallest = g.scalar("smallest", f32::MIN_POSITIVE);
    let total = g.node("Max", &[&total, &smallest], vec![]);
    let rest = g.node("Div", &[&other, &total], vec![]);
    let named = g.node("Div", &[&masses, &total], vec![]);
    match trained {
        None => {
            g.output(&rest, "none", vec![Dim::Named("N"), Dim::Fixed(1)]);
            named.name().to_string()
        }
        Some(q) => {
            let shared = match q {
                Some(q) => g.node("Mul", &[&q, &rest], vec![]).name().to_string(),
                None => rest.name().to_string(),
            };
            g.node("Concat", &[&shared, &named], vec![graph::Attr::Int("axis", 1)]).name().to_string()
        }
    }
}

/// A JSON array of strings (the names may hold quotes, backslashes, any character).
fn json_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        })
        .collect();
    format!("[{}]", quoted.join(","))
}
