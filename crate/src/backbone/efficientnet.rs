//! EfficientNet-Lite0 with its BatchNorms folded into the convolutions.
//!
//! Lite0 is EfficientNet-B0 made quantisation-friendly: ReLU6 instead of swish, no
//! squeeze-excite, and a stem and head that are not scaled. The padding is TensorFlow's
//! "same" (asymmetric on stride-2 layers), which Burn's `PaddingConfig2d::Same` reproduces,
//! because the weights were trained in TensorFlow.

use std::sync::Arc;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu6;

use super::depthwise::Depthwise;
use super::pointwise::Pointwise;
use super::stem::Stem;
use crate::Error;
use crate::parallel;
use crate::preprocess::Preprocess;

/// Width of the pooled feature vector that heads train on.
pub const FEATURE_DIM: usize = 1280;
/// Number of ImageNet classes of the pretrained classifier.
pub const IMAGENET_CLASSES: usize = 1000;
/// Side of the square input image.
pub const INPUT_SIZE: usize = 224;
/// What EfficientNet-Lite was trained with in TensorFlow: `(x - 127) / 128` on 0..255.
pub const PREPROCESS: Preprocess = Preprocess { size: INPUT_SIZE as u32, mean: [127.0 / 255.0; 3], std: [128.0 / 255.0; 3] };
/// Side of the last feature map: the input shrunk by the network's total stride of 32.
pub const MAP_SIDE: usize = INPUT_SIZE / 32;

pub(crate) const STEM_CHANNELS: usize = 32;
const STEM_STRIDE: usize = 2;

/// One stage of the block table: `repeats` blocks, the first of which applies `stride` and
/// changes the width from `input` to `output` channels.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    pub repeats: usize,
    pub kernel: usize,
    pub stride: usize,
    pub expand: usize,
    pub input: usize,
    pub output: usize,
}

/// Lite0's stages, as in TensorFlow's `efficientnet_lite_builder` (width and depth 1.0).
pub const LITE0_STAGES: [Stage; 7] = [
    Stage { repeats: 1, kernel: 3, stride: 1, expand: 1, input: 32, output: 16 },
    Stage { repeats: 2, kernel: 3, stride: 2, expand: 6, input: 16, output: 24 },
    Stage { repeats: 2, kernel: 5, stride: 2, expand: 6, input: 24, output: 40 },
    Stage { repeats: 3, kernel: 3, stride: 2, expand: 6, input: 40, output: 80 },
    Stage { repeats: 3, kernel: 5, stride: 1, expand: 6, input: 80, output: 112 },
    Stage { repeats: 4, kernel: 5, stride: 2, expand: 6, input: 112, output: 192 },
    Stage { repeats: 1, kernel: 3, stride: 1, expand: 6, input: 192, output: 320 },
];

/// The shape of one inverted-residual block, derived from the stage table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockShape {
    pub input: usize,
    pub hidden: usize,
    pub output: usize,
    pub kernel: usize,
    pub stride: usize,
}

/// Every block of Lite0, in order (16 of them).
pub fn lite0_blocks() -> Vec<BlockShape> {
    LITE0_STAGES
        .iter()
        .flat_map(|stage| {
            (0..stage.repeats).map(move |i| {
                let input = if i == 0 { stage.input } else { stage.output };
                BlockShape { input, hidden: input * stage.expand, output: stage.output, kernel: stage.kernel, stride: if i == 0 { stage.stride } else { 1 } }
            })
        })
        .collect()
}

fn conv(channels: [usize; 2], kernel: usize, stride: usize, groups: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .with_bias(true) // the folded BatchNorm's shift
        .init(device)
}

/// Which layers run this crate's CPU kernels (for a model on the CPU) instead of Burn's ops,
/// which autodiff can differentiate and any device runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuKernels {
    /// Burn's ops everywhere.
    None,
    /// The fused depthwise stages only (the benchmarks' "before" of the pointwise kernel).
    Depthwise,
    /// The depthwise stages and every 1×1 conv.
    All,
}

/// The CPU kernels of one block, read from its weights.
#[derive(Debug, Clone)]
struct BlockKernels {
    expand: Option<Pointwise>,
    depthwise: Depthwise,
    project: Option<Pointwise>,
}

/// Mobile inverted bottleneck: 1×1 expand, k×k depthwise, 1×1 linear projection.
#[derive(Module, Debug)]
pub struct MbConv {
    pub expand: Option<Conv2d>,
    pub depthwise: Conv2d,
    pub project: Conv2d,
    #[module(skip)]
    shape: BlockShape,
    /// The CPU kernels, when the block runs on the CPU (shared: a fine-tuned top clones blocks,
    /// and the kernels never change once read).
    #[module(skip)]
    cpu: Option<Arc<BlockKernels>>,
}

impl MbConv {
    pub fn new(shape: BlockShape, device: &Device) -> Self {
        let expand = (shape.hidden != shape.input).then(|| conv([shape.input, shape.hidden], 1, 1, 1, device));
        Self {
            expand,
            depthwise: conv([shape.hidden, shape.hidden], shape.kernel, shape.stride, shape.hidden, device),
            project: conv([shape.hidden, shape.output], 1, 1, 1, device),
            shape,
            cpu: None,
        }
    }

    /// Chooses the block's CPU kernels. Reads the weights, so call it after they change.
    pub fn use_cpu_kernels(&mut self, kernels: CpuKernels) -> Result<(), Error> {
        let pointwise = |conv: &Conv2d| (kernels == CpuKernels::All).then(|| Pointwise::of(conv, false)).transpose();
        self.cpu = match kernels {
            CpuKernels::None => None,
            _ => Some(Arc::new(BlockKernels {
                expand: self.expand.as_ref().map(pointwise).transpose()?.flatten(),
                depthwise: Depthwise::of(&self.depthwise, self.shape.kernel, self.shape.stride)?,
                project: pointwise(&self.project)?,
            })),
        };
        Ok(())
    }

    pub fn shape(&self) -> BlockShape {
        self.shape
    }

    /// True when the block adds its input to its output.
    pub fn residual(&self) -> bool {
        self.shape.stride == 1 && self.shape.input == self.shape.output
    }

    /// The 1×1 expansion, before its activation (the identity when the block has none).
    pub fn expand(&self, input: Tensor<4>) -> Tensor<4> {
        match (&self.expand, self.cpu.as_ref().and_then(|cpu| cpu.expand.as_ref())) {
            (_, Some(fused)) => fused.forward(input),
            (Some(expand), None) => expand.forward(input),
            (None, None) => input,
        }
    }

    /// The depthwise stage on an expansion's output: ReLU6, depthwise conv, ReLU6 (ReLU6 is
    /// idempotent, so the stem's already activated output may come in as well).
    pub fn depthwise_stage(&self, x: Tensor<4>) -> Tensor<4> {
        match &self.cpu {
            Some(cpu) => cpu.depthwise.forward(x),
            None => relu6(self.depthwise.forward(relu6(x))),
        }
    }

    /// The 1×1 linear projection.
    pub fn projection(&self, x: Tensor<4>) -> Tensor<4> {
        match self.cpu.as_ref().and_then(|cpu| cpu.project.as_ref()) {
            Some(fused) => fused.forward(x),
            None => self.project.forward(x),
        }
    }

    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let x = self.projection(self.depthwise_stage(self.expand(input.clone())));
        if self.residual() { x + input } else { x }
    }
}

/// The whole network. Inputs are normalised `[N, 3, 224, 224]` images (see `preprocess`).
#[derive(Module, Debug)]
pub struct Lite0 {
    pub stem: Conv2d,
    pub blocks: Vec<MbConv>,
    pub head: Conv2d,
    pub classifier: Linear,
    /// The head conv with its ReLU6 as a CPU kernel, when the model runs them.
    #[module(skip)]
    cpu_head: Option<Pointwise>,
    #[module(skip)]
    cpu_stem: Option<Stem>,
}

impl Lite0 {
    /// A network with random weights; load real ones with `weights::load`.
    pub fn new(device: &Device) -> Self {
        let blocks = lite0_blocks();
        let last = blocks.last().map(|b| b.output).unwrap_or(STEM_CHANNELS);
        Self {
            stem: conv([3, STEM_CHANNELS], 3, STEM_STRIDE, 1, device),
            blocks: blocks.into_iter().map(|shape| MbConv::new(shape, device)).collect(),
            head: conv([last, FEATURE_DIM], 1, 1, 1, device),
            classifier: LinearConfig::new(FEATURE_DIM, IMAGENET_CLASSES).init(device),
            cpu_head: None,
            cpu_stem: None,
        }
    }

    /// Chooses the CPU kernels (for a model on the CPU) or Burn's ops. Reads the weights, so
    /// call it once after loading.
    pub fn use_cpu_kernels(&mut self, kernels: CpuKernels) -> Result<(), Error> {
        self.cpu_head = (kernels == CpuKernels::All).then(|| Pointwise::of(&self.head, true)).transpose()?;
        self.cpu_stem = (kernels == CpuKernels::All).then(|| Stem::of(&self.stem, STEM_STRIDE)).transpose()?;
        self.blocks.iter_mut().try_for_each(|block| block.use_cpu_kernels(kernels))
    }

    /// The feature map after the first `blocks` blocks (0 = after the stem). This is the seam
    /// for reading an intermediate block or for fine-tuning only the blocks above it.
    pub fn trunk(&self, input: Tensor<4>, blocks: usize) -> Tensor<4> {
        self.pass(input, |input| {
            let x = self.stem_stage(input);
            self.blocks[..blocks.min(self.blocks.len())].iter().fold(x, |x, block| block.forward(x))
        })
    }

    /// Runs blocks `from..to` on the output of the first `from` blocks.
    pub fn blocks_between(&self, x: Tensor<4>, from: usize, to: usize) -> Tensor<4> {
        self.pass(x, |x| self.blocks[from..to].iter().fold(x, |x, block| block.forward(x)))
    }

    /// Runs blocks `from..` and the head on a trunk output: the last feature map before pooling,
    /// `[N, 1280, 7, 7]`, which heat maps read.
    pub fn feature_map_from(&self, trunk: Tensor<4>, from: usize) -> Tensor<4> {
        self.pass(trunk, |trunk| {
            let x = self.blocks[from.min(self.blocks.len())..].iter().fold(trunk, |x, block| block.forward(x));
            self.head_stage(x)
        })
    }

    /// Runs `pass` on a batch. On the CPU it runs on the thread pool (see `parallel::in_pool`),
    /// and a batch of several images is split into single images that the threads take whole:
    /// no thread waits on another between ops, and each image's activations stay in cache (a
    /// whole batch's do not: batch 8 cost 1.17× batch 1 per frame on one native thread). A
    /// GPU's pass stays on the caller's thread, batch and all.
    fn pass(&self, input: Tensor<4>, pass: impl Fn(Tensor<4>) -> Tensor<4> + Send + Sync) -> Tensor<4> {
        let [n, ..] = input.dims();
        match self.cpu_head.is_some() {
            false => pass(input),
            true if n == 1 => parallel::in_pool(|| pass(input)),
            true => {
                let images = (0..n).map(|i| input.clone().narrow(0, i, 1)).collect();
                Tensor::cat(parallel::in_pool(|| parallel::map_each(images, &pass)), 0)
            }
        }
    }

    /// The stem with its ReLU6 (one kernel on the CPU).
    pub fn stem_stage(&self, input: Tensor<4>) -> Tensor<4> {
        match &self.cpu_stem {
            Some(fused) => fused.forward(input),
            None => relu6(self.stem.forward(input)),
        }
    }

    /// The head conv and its ReLU6.
    pub fn head_stage(&self, x: Tensor<4>) -> Tensor<4> {
        match &self.cpu_head {
            Some(fused) => fused.forward(x),
            None => relu6(self.head.forward(x)),
        }
    }

    /// Global average pooling: `[N, C, H, W]` → `[N, C]`.
    pub fn pool(map: Tensor<4>) -> Tensor<2> {
        let [n, c, _, _] = map.dims();
        map.mean_dim(3).mean_dim(2).reshape([n, c])
    }

    /// Runs blocks `from..` and the head on a trunk output, returning pooled `[N, 1280]` features.
    pub fn features_from(&self, trunk: Tensor<4>, from: usize) -> Tensor<2> {
        Self::pool(self.feature_map_from(trunk, from))
    }

    /// The last feature map before pooling, `[N, 1280, 7, 7]`.
    pub fn feature_map(&self, input: Tensor<4>) -> Tensor<4> {
        self.feature_map_from(self.trunk(input, 0), 0)
    }

    /// Pooled pre-classifier features, `[N, 1280]`.
    pub fn features(&self, input: Tensor<4>) -> Tensor<2> {
        Self::pool(self.feature_map(input))
    }

    /// ImageNet logits from pooled features, `[N, 1000]`.
    pub fn classify(&self, features: Tensor<2>) -> Tensor<2> {
        self.classifier.forward(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_table_matches_lite0() {
        let blocks = lite0_blocks();
        assert_eq!(blocks.len(), 16);
        assert_eq!(blocks[0], BlockShape { input: 32, hidden: 32, output: 16, kernel: 3, stride: 1 });
        assert_eq!(blocks[1], BlockShape { input: 16, hidden: 96, output: 24, kernel: 3, stride: 2 });
        assert_eq!(blocks[2].stride, 1);
        assert_eq!(blocks[15], BlockShape { input: 192, hidden: 1152, output: 320, kernel: 3, stride: 1 });
        let strides: usize = blocks.iter().map(|b| b.stride).product();
        assert_eq!(strides * 2, 32, "224 input must reach a 7x7 map");
    }

    #[test]
    fn shapes_flow_through_the_network() {
        let device = Device::flex();
        let model = Lite0::new(&device);
        let input = Tensor::<4>::zeros([2, 3, INPUT_SIZE, INPUT_SIZE], &device);
        assert_eq!(model.trunk(input.clone(), 1).dims(), [2, 16, 112, 112]);
        let features = model.features(input);
        assert_eq!(features.dims(), [2, FEATURE_DIM]);
        assert_eq!(model.classify(features).dims(), [2, IMAGENET_CLASSES]);
    }
}
