//! The top of Lite0 that fine-tuning retrains: the 1×1 head conv and, above depth 1, the last
//! blocks below it. Everything under the top stays frozen and runs once per example (its output
//! is cached, see [`cached_block`]); the top runs with Burn's differentiable ops.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu6;
use serde::{Deserialize, Serialize};

use super::efficientnet::{CpuKernels, Lite0, MbConv, lite0_blocks};
use crate::Error;
use crate::device::read_floats;

/// The deepest top that can be fine-tuned: the head conv, the 192→320 block and the whole last
/// stage of 192-channel blocks.
pub const MAX_DEPTH: u32 = 6;

/// The first block a top of `depth` layers retrains (depth 1: none, only the head conv).
pub fn first_block(depth: u32) -> usize {
    lite0_blocks().len() + 1 - depth.clamp(1, MAX_DEPTH) as usize
}

/// The block whose input is cached for a top of `depth` layers. Above the last stride-2 block
/// every boundary is a 7×7 map, the smallest being the last stride-2 block's output (192×7×7,
/// 18.8 KB per example in f16): one cache there serves every depth that starts above it, with
/// the few frozen 7×7 blocks between re-run once per training. Depth 6 starts at the stride-2
/// block itself and needs its 112×14×14 input (43.9 KB).
pub fn cached_block(depth: u32) -> usize {
    let after_last_stride = lite0_blocks().iter().rposition(|b| b.stride == 2).map_or(0, |i| i + 1);
    first_block(depth).min(after_last_stride)
}

/// The layers a top of `depth` retrains, in words for people.
pub fn describe(depth: u32) -> String {
    let blocks = lite0_blocks().len();
    match depth {
        0 => "none (the head alone)".into(),
        1 => "the last 1×1 conv (320→1280)".into(),
        2 => format!("the last 1×1 conv and block {blocks} of {blocks}"),
        d => format!("the last 1×1 conv and blocks {}–{blocks} of {blocks}", first_block(d) + 1),
    }
}

/// The shape `[channels, side, side]` of block `index`'s input (index 16: the head conv's input).
pub fn boundary_shape(index: usize) -> [usize; 3] {
    let blocks = lite0_blocks();
    let mut side = super::INPUT_SIZE / 2; // after the stem
    for b in &blocks[..index.min(blocks.len())] {
        side /= b.stride;
    }
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
}

/// A top's numbers as the project file keeps them: each conv's weight then bias, blocks first
/// (expansion, depthwise, projection), the head conv last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopWeights {
    pub depth: u32,
    pub tensors: Vec<Vec<f32>>,
}

impl TopWeights {
    /// Refuses weights whose count or sizes do not fit a top of their depth.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |why: String| Err(Error::Inconsistent(format!("the fine-tuned layers' weights {why}")));
        if !(1..=MAX_DEPTH).contains(&self.depth) {
            return bad(format!("are for {} layers; at most {MAX_DEPTH} can be fine-tuned", self.depth));
        }
        let shapes = param_shapes(self.depth);
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
fn param_shapes(depth: u32) -> Vec<Vec<usize>> {
    let blocks = lite0_blocks();
    let mut shapes = Vec::new();
    for b in &blocks[first_block(depth)..] {
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
    pub fn of(model: &Lite0, depth: u32) -> Result<Self, Error> {
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(Error::Settings(format!("between 1 and {MAX_DEPTH} layers can be fine-tuned, not {depth}")));
        }
        let mut blocks = model.blocks[first_block(depth)..].to_vec();
        blocks.iter_mut().try_for_each(|b| b.use_cpu_kernels(CpuKernels::None))?;
        Ok(Self { blocks, head: model.head.clone() })
    }

    /// A top of `model`'s shape with stored weights, on `device`. With `fused`, its depthwise
    /// stages and 1×1 convs run the CPU kernels (for prediction on the CPU; not differentiable).
    pub fn load(model: &Lite0, weights: &TopWeights, device: &Device, fused: bool) -> Result<Self, Error> {
        weights.check()?;
        let mut top = Self::of(model, weights.depth)?;
        let shapes = param_shapes(weights.depth);
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
        first_block(self.depth())
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
            let bias = conv.bias.as_ref().expect("Lite0's convs carry the folded BatchNorm's bias");
            tensors.push(read_floats(bias.val()).await?);
        }
        Ok(TopWeights { depth: self.depth(), tensors })
    }

    /// The last feature map `[N, 1280, 7, 7]` from the input of the top's first block.
    pub fn feature_map(&self, boundary: Tensor<4>) -> Tensor<4> {
        let x = self.blocks.iter().fold(boundary, |x, block| block.forward(x));
        relu6(self.head.forward(x))
    }

    /// Pooled features `[N, 1280]` from the input of the top's first block.
    pub fn features(&self, boundary: Tensor<4>) -> Tensor<2> {
        Lite0::pool(self.feature_map(boundary))
    }
}

// Native only: reading weights back needs an executor (pollster), which the wasm tests lack.
#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    #[test]
    fn depths_map_to_blocks_and_caches() {
        assert_eq!(first_block(1), 16, "depth 1 retrains the head conv only");
        assert_eq!(first_block(2), 15);
        assert_eq!(first_block(6), 11);
        assert_eq!((1..=5).map(cached_block).collect::<Vec<_>>(), vec![12; 5], "one 7×7 cache serves depths 1-5");
        assert_eq!(cached_block(6), 11);
        assert_eq!(boundary_shape(12), [192, 7, 7]);
        assert_eq!(boundary_shape(11), [112, 14, 14]);
        assert_eq!(boundary_shape(16), [320, 7, 7]);
    }

    #[test]
    fn weights_round_trip_and_bad_ones_are_refused() {
        let device = Device::flex();
        let model = Lite0::new(&device);
        let top = Top::of(&model, 3).unwrap();
        let weights = pollster::block_on(top.weights()).unwrap();
        weights.check().unwrap();
        let again = Top::load(&model, &weights, &device, false).unwrap();
        assert_eq!(pollster::block_on(again.weights()).unwrap(), weights);
        let mut short = weights.clone();
        short.tensors[2].pop();
        assert!(short.check().unwrap_err().to_string().contains("cut short"));
        let mut fewer = weights.clone();
        fewer.tensors.pop();
        assert!(fewer.check().is_err());
        assert!(TopWeights { depth: 9, ..weights }.check().is_err());
    }
}
