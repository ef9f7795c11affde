//! EfficientNet-Lite (Lite0, Lite2: see `network`) with its BatchNorms folded into the convolutions.
//!
//! Lite is EfficientNet made quantisation-friendly: ReLU6 instead of swish, no
//! squeeze-excite, and a stem and head that are not scaled. The padding is TensorFlow's
//! "same" (asymmetric on stride-2 layers), which Burn's `PaddingConfig2d::Same` reproduces,
//! because the weights were trained in TensorFlow.

use std::sync::Arc;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu6;

use super::depthwise::Depthwise;
use super::network::{BlockShape, Network, STEM_CHANNELS, STEM_STRIDE};
use super::pointwise::Pointwise;
use super::stem::Stem;
use crate::Error;
use crate::parallel;

/// Width of the pooled feature vector that heads train on: the head conv's width, which every
/// EfficientNet-Lite keeps at 1280 (Lite does not scale its stem and head).
pub const FEATURE_DIM: usize = 1280;
/// Number of ImageNet classes of the pretrained classifier.
pub const IMAGENET_CLASSES: usize = 1000;

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

/// A whole network, as its [`Network`] describes it. Inputs are normalised `[N, 3, S, S]` images
/// (see `preprocess`; S is the network's input side).
#[derive(Module, Debug)]
pub struct EfficientNet {
    pub stem: Conv2d,
    pub blocks: Vec<MbConv>,
    pub head: Conv2d,
    pub classifier: Linear,
    /// The head conv with its ReLU6 as a CPU kernel, when the model runs them.
    #[module(skip)]
    cpu_head: Option<Pointwise>,
    #[module(skip)]
    cpu_stem: Option<Stem>,
    #[module(skip)]
    network: &'static Network,
}

impl EfficientNet {
    /// A network with random weights; load real ones with `weights::load`.
    pub fn new(network: &'static Network, device: &Device) -> Self {
        let blocks = network.blocks();
        let last = blocks.last().map(|b| b.output).unwrap_or(STEM_CHANNELS);
        Self {
            stem: conv([3, STEM_CHANNELS], 3, STEM_STRIDE, 1, device),
            blocks: blocks.into_iter().map(|shape| MbConv::new(shape, device)).collect(),
            head: conv([last, FEATURE_DIM], 1, 1, 1, device),
            classifier: LinearConfig::new(FEATURE_DIM, IMAGENET_CLASSES).init(device),
            cpu_head: None,
            cpu_stem: None,
            network,
        }
    }

    /// What this network is.
    pub fn network(&self) -> &'static Network {
        self.network
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
    /// `[N, 1280, side, side]`, which heat maps read.
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

    /// The last feature map before pooling, `[N, 1280, side, side]`.
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
    use crate::backbone::network::NETWORKS;

    #[test]
    fn shapes_flow_through_each_network() {
        let device = Device::flex();
        for network in NETWORKS {
            let model = EfficientNet::new(network, &device);
            let input = Tensor::<4>::zeros([2, 3, network.input, network.input], &device);
            let half = network.input / 2;
            assert_eq!(model.trunk(input.clone(), 1).dims(), [2, 16, half, half]);
            let side = network.map_side();
            assert_eq!(model.feature_map(input.clone()).dims(), [2, FEATURE_DIM, side, side], "{}", network.id);
            let features = model.features(input);
            assert_eq!(features.dims(), [2, FEATURE_DIM]);
            assert_eq!(model.classify(features).dims(), [2, IMAGENET_CLASSES]);
        }
    }
}
