//! The backbone as ONNX nodes: its convolutions with the BatchNorms already folded into them,
//! TensorFlow's "same" padding (`SAME_UPPER`: the extra pixel of a stride-2 layer after the
//! image, as TensorFlow pads), ReLU6 as `Clip`.

use burn::nn::conv::Conv2d;

use super::graph::{Attr, Graph};
use crate::Error;
use crate::backbone::efficientnet::{EfficientNet, MbConv};
use crate::backbone::top::Top;
use crate::device::read_floats;
use crate::preprocess::Preprocess;

/// `(x − mean) / std` per channel on the image input (`[N, 3, H, W]`, RGB in 0–1).
pub fn normalise(g: &mut Graph, image: &str, preprocess: &Preprocess) -> String {
    let mean = g.floats("mean", &[1, 3, 1, 1], preprocess.mean.to_vec());
    let std = g.floats("std", &[1, 3, 1, 1], preprocess.std.to_vec());
    let centred = g.node("Sub", &[image, &mean], vec![]);
    g.node("Div", &[&centred, &std], vec![]).name().to_string()
}

async fn conv(g: &mut Graph, x: &str, conv: &Conv2d, stride: usize, groups: usize) -> Result<String, Error> {
    let weight = conv.weight.val();
    let dims = weight.dims();
    let w = g.floats("w", &dims, read_floats(weight).await?);
    let bias = conv.bias.as_ref().expect("the convs carry the folded BatchNorm's bias");
    let b = g.floats("b", &[dims[0]], read_floats(bias.val()).await?);
    let attributes = vec![
        Attr::Ints("kernel_shape", vec![dims[2] as i64, dims[3] as i64]),
        Attr::Ints("strides", vec![stride as i64; 2]),
        Attr::Int("group", groups as i64),
        Attr::Text("auto_pad", "SAME_UPPER"),
    ];
    Ok(g.node("Conv", &[x, &w, &b], attributes).name().to_string())
}

fn relu6(g: &mut Graph, x: &str) -> String {
    let (low, high) = (g.scalar("zero", 0.0), g.scalar("six", 6.0));
    g.node("Clip", &[x, &low, &high], vec![]).name().to_string()
}

async fn block(g: &mut Graph, x: &str, block: &MbConv) -> Result<String, Error> {
    let shape = block.shape();
    let expanded = match &block.expand {
        Some(expand) => conv(g, x, expand, 1, 1).await?,
        None => x.to_string(),
    };
    let activated = relu6(g, &expanded);
    let depthwise = conv(g, &activated, &block.depthwise, shape.stride, shape.hidden).await?;
    let activated = relu6(g, &depthwise);
    let projected = conv(g, &activated, &block.project, 1, 1).await?;
    Ok(match block.residual() {
        true => g.node("Add", &[&projected, x], vec![]).name().to_string(),
        false => projected,
    })
}

/// The stem and the first `blocks` blocks: the trunk below a fine-tuned top.
pub async fn trunk(g: &mut Graph, x: &str, model: &EfficientNet, blocks: usize) -> Result<String, Error> {
    let stem = conv(g, x, &model.stem, 2, 1).await?;
    let mut x = relu6(g, &stem);
    for b in &model.blocks[..blocks] {
        x = block(g, &x, b).await?;
    }
    Ok(x)
}

/// Blocks `from..` and the head conv of `model`, or of `top` when it retrained them, then global
/// average pooling: the pooled features `[N, 1280]`.
pub async fn features(g: &mut Graph, trunk: &str, model: &EfficientNet, top: Option<&Top>, from: usize) -> Result<String, Error> {
    let (blocks, head) = match top {
        Some(top) => (top.blocks.iter().collect::<Vec<_>>(), &top.head),
        None => (model.blocks[from..].iter().collect(), &model.head),
    };
    let mut x = trunk.to_string();
    for b in blocks {
        x = block(g, &x, b).await?;
    }
    let head = conv(g, &x, head, 1, 1).await?;
    let map = relu6(g, &head);
    let pooled = g.node("GlobalAveragePool", &[&map], vec![]);
    Ok(g.node("Flatten", &[&pooled], vec![Attr::Int("axis", 1)]).name().to_string())
}

/// The ImageNet classifier's probabilities `[N, 1000]` from the original network's features.
pub async fn imagenet(g: &mut Graph, features: &str, model: &EfficientNet) -> Result<String, Error> {
    let weight = model.classifier.weight.val();
    let dims = weight.dims();
    let w = g.floats("imagenet_w", &dims, read_floats(weight).await?);
    let bias = model.classifier.bias.as_ref().expect("the classifier has a bias");
    let b = g.floats("imagenet_b", &[dims[1]], read_floats(bias.val()).await?);
    let logits = g.node("Gemm", &[features, &w, &b], vec![]);
    Ok(g.node("Softmax", &[&logits], vec![Attr::Int("axis", 1)]).name().to_string())
}
