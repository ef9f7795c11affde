//! The top of a network that fine-tuning retrains: the 1×1 head conv and, above depth 1, the last
//! blocks below it. Everything under the top stays frozen and runs once per example (its output
//! is cached, see [`cached_block`]); the top runs with Burn's differentiable ops.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu6;
use serde::{Deserialize, Serialize};

use super::efficientnet::{CpuKernels, EfficientNet, MbConv};
use super::network::Network;
use crate::Error;
use crate::device::read_floats;

/// The deepest top that can be fine-tuned: the head conv, the last block and the four below it
/// (in EfficientNet, the whole last stride-2 stage).
pub const MAX_DEPTH: u32 = 6;

/// The first block a top of `depth` layers retrains (depth 1: none, only the head conv).
pub fn first_block(network: &Network, depth: u32) -> usize {
    network.blocks().len() + 1 - depth.clamp(1, MAX_DEPTH) as usize
}

/// The block whose input is cached for a top of `depth` layers. Above the last stride-2 block
/// every boundary is a map of the last side, the smallest being the last stride-2 block's output
/// (Lite0: 192×7×7, 18.8 KB per example in f16): one cache there serves every depth that starts
/// above it, with the few frozen blocks between re-run once per training. In EfficientNet, depth 6
/// starts at the stride-2 block itself and needs its 112×14×14 input (43.9 KB).
pub fn cached_block(network: &Network, depth: u32) -> usize {
    first_block(network, depth).min(last_stride_block(network) + 1)
}

/// The last block that halves the map: its input is the deepest map at 1/16 of the input.
pub fn last_stride_block(network: &Network) -> usize {
    network.blocks().iter().rposition(|b| b.stride == 2).unwrap_or(0)
}

/// The layers a top of `depth` retrains, in words for people.
pub fn describe(network: &Network, depth: u32) -> String {
    let shapes = network.blocks();
    let blocks = shapes.len();
    match depth {
        0 => "none (the head alone)".into(),
        1 => format!("the last 1×1 conv ({}→{})", shapes[blocks - 1].output, super::FEATURE_DIM),
        2 => format!("the last 1×1 conv and block {blocks} of {blocks}"),
        d => format!("the last 1×1 conv and blocks {}–{blocks} of {blocks}", first_block(network, d) + 1),
    }
}

/// The shape `[channels, side, side]` of block `index`'s input (index = the block count: the
/// head conv's input).
pub fn boundary_shape(network: &Network, index: usize) -> [usize; 3] {
    let blocks = network.blocks();
    let side = network.side_at(index);
    let channels = match blocks.get(index) {
        Some(b) => b.input,
        None => blocks.last().map_or(0, |b| b.output),
    };
    [channels, side, side]
}

/// The retrained layers as a Burn module.
#[derive(Module, Debug)]
pub struct Top {
    pub blocks: Vec<MbConv>,
    pub head: Conv2d,
    #[module(skip)]
    network: &'static Network,
}

/// A top's numbers as the project file keeps them: each conv's weight then bias, blocks first
/// (expansion, depthwise, projection), the head conv last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopWeights {
    pub depth: u32,
    pub tensors: Vec<Vec<f32>>,
}

impl TopWeights {
    /// Refuses weights whose count or sizes do not fit a top of their depth in `network`.
    pub fn check(&self, network: &Network) -> Result<(), Error> {
        let bad = |why: String| Err(Error::Inconsistent(format!("the fine-tuned layers' weights {why}")));
        if !(1..=MAX_DEPTH).contains(&self.depth) {
            return bad(format!("are for {} layers; at most {MAX_DEPTH} can be fine-tuned", self.depth));
        }
        let shapes = param_shapes(network, self.depth);
        if shapes.len() != self.tensors.len() {
            return bad(format!("hold {} tensors, {} layers need {}", self.tensors.len(), self.depth, shapes.len()));
        }
        for (i, (shape, values)) in shapes.iter().zip(&self.tensors).enumerate() {
            let size: usize = shape.iter().product();
            if values.len() != size {
                return bad(format!("are cut short or misshapen (tensor {i} has {} values, needs {size})", values.len()));
            }
            if values.iter().any(|v| !v.is_finite()) {
                return bad(format!("are damaged (tensor {i} holds a value that is not a number)"));
            }
        }
        Ok(())
    }
}

/// Shapes of a top's parameters, in [`TopWeights`] order.
fn param_shapes(network: &Network, depth: u32) -> Vec<Vec<usize>> {
    let blocks = network.blocks();
    let mut shapes = Vec::new();
    for b in &blocks[first_block(network, depth)..] {
        if b.hidden != b.input {
            shapes.extend([vec![b.hidden, b.input, 1, 1], vec![b.hidden]]);
        }
        shapes.extend([vec![b.hidden, 1, b.kernel, b.kernel], vec![b.hidden]]);
        shapes.extend([vec![b.output, b.hidden, 1, 1], vec![b.output]]);
    }
    let last = blocks.last().map_or(0, |b| b.output);
    shapes.extend([vec![super::FEATURE_DIM, last, 1, 1], vec![super::FEATURE_DIM]]);
    shapes
}

impl Top {
    /// The top `depth` layers of `model`, with Burn's depthwise ops (differentiable).
    pub fn of(model: &EfficientNet, depth: u32) -> Result<Self, Error> {
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(Error::Settings(format!("between 1 and {MAX_DEPTH} layers can be fine-tuned, not {depth}")));
        }
        let mut blocks = model.blocks[first_block(model.network(), depth)..].to_vec();
        blocks.iter_mut().try_for_each(|b| b.use_cpu_kernels(CpuKernels::None))?;
        Ok(Self { blocks, head: model.head.clone(), network: model.network() })
    }

    /// A top of `model`'s shape with stored weights, on `device`. With `fused`, its depthwise
    /// stages and 1×1 convs run the CPU kernels (for prediction on the CPU; not differentiable).
    pub fn load(model: &EfficientNet, weights: &TopWeights, device: &Device, fused: bool) -> Result<Self, Error> {
        weights.check(model.network())?;
        let mut top = Self::of(model, weights.depth)?;
        let shapes = param_shapes(model.network(), weights.depth);
        let mut values = weights.tensors.iter().zip(&shapes);
        for conv in top.convs_mut() {
            let (w, shape) = values.next().expect("checked: one tensor per parameter");
            let dims: [usize; 4] = shape.as_slice().try_into().expect("conv weights are 4-d");
            conv.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w.clone(), dims), device));
            let (b, _) = values.next().expect("checked: one tensor per parameter");
            conv.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(b.clone(), [b.len()]), device)));
        }
        let kernels = if fused { CpuKernels::All } else { CpuKernels::None };
        top.blocks.iter_mut().try_for_each(|b| b.use_cpu_kernels(kernels))?;
        Ok(top)
    }

    /// The same layers on an autodiff device, tracked for training (its parameters leaves of their
    /// own: gradients never reach the module they were copied from).
    pub fn trainable_on(self, autodiff: &Device) -> Self {
        self.fork(autodiff).unfreeze().train()
    }

    /// Layers retrained (1 = the head conv only).
    pub fn depth(&self) -> u32 {
        self.blocks.len() as u32 + 1
    }

    /// The index of the block whose input the top reads.
    pub fn first_block(&self) -> usize {
        first_block(self.network, self.depth())
    }

    fn convs_mut(&mut self) -> Vec<&mut Conv2d> {
        let mut convs = Vec::new();
        for b in &mut self.blocks {
            convs.extend(b.expand.as_mut());
            convs.extend([&mut b.depthwise, &mut b.project]);
        }
        convs.push(&mut self.head);
        convs
    }

    fn convs(&self) -> Vec<&Conv2d> {
        let mut convs = Vec::new();
        for b in &self.blocks {
            convs.extend(b.expand.as_ref());
            convs.extend([&b.depthwise, &b.project]);
        }
        convs.push(&self.head);
        convs
    }

    pub async fn weights(&self) -> Result<TopWeights, Error> {
        let mut tensors = Vec::new();
        for conv in self.convs() {
            tensors.push(read_floats(conv.weight.val()).await?);
            let bias = conv.bias.as_ref().expect("the convs carry the folded BatchNorm's bias");
            tensors.push(read_floats(bias.val()).await?);
        }
        Ok(TopWeights { depth: self.depth(), tensors })
    }

    /// The last feature map `[N, 1280, side, side]` from the input of the top's first block.
    pub fn feature_map(&self, boundary: Tensor<4>) -> Tensor<4> {
        let x = self.blocks.iter().fold(boundary, |x, block| block.forward(x));
        relu6(self.head.forward(x))
    }

    /// Pooled features `[N, 1280]` from the input of the top's first block.
    pub fn features(&self, boundary: Tensor<4>) -> Tensor<2> {
        EfficientNet::pool(self.feature_map(boundary))
    }
}

// Native only: reading weights back needs an executor (pollster), which the wasm tests lack.
#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    #[test]
    fn depths_map_to_blocks_and_caches() {
        use crate::backbone::{LITE0, LITE2};
        assert_eq!(first_block(&LITE0, 1), 16, "depth 1 retrains the head conv only");
        assert_eq!(first_block(&LITE0, 2), 15);
        assert_eq!(first_block(&LITE0, 6), 11);
        assert_eq!((1..=5).map(|d| cached_block(&LITE0, d)).collect::<Vec<_>>(), vec![12; 5], "one 7×7 cache serves depths 1-5");
        assert_eq!(cached_block(&LITE0, 6), 11);
        assert_eq!(boundary_shape(&LITE0, 12), [192, 7, 7]);
        assert_eq!(boundary_shape(&LITE0, 11), [112, 14, 14]);
        assert_eq!(boundary_shape(&LITE0, 16), [320, 7, 7]);
        assert_eq!(last_stride_block(&LITE0), 11);
        // Lite2: 21 blocks, the last stride-2 one is block 15 (120→208), on a 17×17 map.
        assert_eq!(first_block(&LITE2, 6), 16);
        assert_eq!((1..=6).map(|d| cached_block(&LITE2, d)).collect::<Vec<_>>(), vec![16; 6]);
        assert_eq!(boundary_shape(&LITE2, 15), [120, 17, 17]);
        assert_eq!(boundary_shape(&LITE2, 16), [208, 9, 9]);
        assert_eq!(describe(&LITE2, 1), "the last 1×1 conv (352→1280)");
    }

    #[test]
    fn weights_round_trip_and_bad_ones_are_refused() {
        let device = Device::flex();
        let model = EfficientNet::new(&crate::backbone::LITE0, &device);
        let top = Top::of(&model, 3).unwrap();
        let weights = pollster::block_on(top.weights()).unwrap();
        weights.check(&crate::backbone::LITE0).unwrap();
        assert!(weights.check(&crate::backbone::LITE2).is_err(), "Lite2's blocks are wider");
        let again = Top::load(&model, &weights, &device, false).unwrap();
        assert_eq!(pollster::block_on(again.weights()).unwrap(), weights);
        let mut short = weights.clone();
        short.tensors[2].pop();
        assert!(short.check(&crate::backbone::LITE0).unwrap_err().to_string().contains("cut short"));
        let mut fewer = weights.clone();
        fewer.tensors.pop();
        assert!(fewer.check(&crate::backbone::LITE0).is_err());
        assert!(TopWeights { depth: 9, ..weights }.check(&crate::backbone::LITE0).is_err());
    }
}
