//! Lite0's 1×1 convolutions on the CPU: one matrix product per image, with the folded
//! BatchNorm's bias written into the output first and accumulated onto, and an optional ReLU6
//! on the way out.
//!
//! Why: Burn's CPU backend keeps a 1×1 conv on one thread below 192³ multiply-adds (every late
//! layer of Lite0 at batch 1), then adds the bias in a second pass over the output. Here the
//! product is split across the threads the build has (see `parallel`), and the bias costs no pass.

use burn::nn::conv::Conv2d;
use burn::prelude::{Tensor, TensorData};

use super::parallel;
use crate::Error;
use crate::device::read_cpu_floats;

/// Weights of one 1×1 layer, read once from the loaded module.
#[derive(Debug, Clone)]
pub struct Pointwise {
    inputs: usize,
    /// `outputs × inputs`, row-major (the conv's own layout).
    weights: Vec<f32>,
    bias: Vec<f32>,
    relu6: bool,
}

impl Pointwise {
    /// Copies the weights of a 1×1 `conv` (on the CPU, where reading is immediate); `relu6`
    /// clamps the output to [0, 6].
    pub fn of(conv: &Conv2d, relu6: bool) -> Result<Self, Error> {
        let [outputs, inputs, kh, kw] = conv.weight.dims();
        let misshapen = |problem: String| Error::Inconsistent(format!("the fused pointwise kernel cannot use {problem}"));
        if (kh, kw) != (1, 1) {
            return Err(misshapen(format!("a {kh}×{kw} convolution")));
        }
        let bias = read_cpu_floats(conv.bias.as_ref().ok_or_else(|| misshapen("a 1×1 conv without bias".into()))?.val())?;
        if bias.len() != outputs {
            return Err(misshapen(format!("{} biases for {outputs} outputs", bias.len())));
        }
        Ok(Self { inputs, weights: read_cpu_floats(conv.weight.val().flatten::<1>(0, 3))?, bias, relu6 })
    }

    /// The layer on an `[N, C, H, W]` tensor on the CPU.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let device = input.device();
        let [n, c, h, w] = input.dims();
        assert_eq!(c, self.inputs, "a 1×1 conv of {} inputs given {c} channels", self.inputs);
        let x = input.into_data().try_into_vec::<f32>().expect("a float tensor on the CPU");
        Tensor::from_data(TensorData::new(self.apply(&x, n, h * w), [n, self.bias.len(), h, w]), &device)
    }

    /// The layer on `n` images of `inputs × spatial` values (NCHW); returns `n × outputs × spatial`.
    pub fn apply(&self, x: &[f32], n: usize, spatial: usize) -> Vec<f32> {
        let outputs = self.bias.len();
        let mut out = vec![0.0f32; n * outputs * spatial];
        // A batch spreads its images across the threads; a single image, its product.
        let threads = if n == 1 { parallel::gemm_threads() } else { gemm::Parallelism::None };
        let one_image = |_: &mut (), _, image: &[f32], result: &mut [f32]| {
            for (row, bias) in result.chunks_exact_mut(spatial).zip(&self.bias) {
                row.fill(*bias);
            }
            // SAFETY: the three matrices are the slices above, with the shapes and strides
            // given: `result` is outputs × spatial, `weights` outputs × inputs, `image`
            // inputs × spatial, all row-major; `result` is borrowed mutably and alone.
            unsafe {
                gemm::gemm(
                    outputs,
                    spatial,
                    self.inputs,
                    result.as_mut_ptr(),
                    1,
                    spatial as isize,
                    true, // result := 1 × result (the bias) + 1 × weights · image
                    self.weights.as_ptr(),
                    1,
                    self.inputs as isize,
                    image.as_ptr(),
                    1,
                    spatial as isize,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    threads,
                );
            }
        };
        parallel::for_each_chunk(x, self.inputs * spatial, &mut out, outputs * spatial, || (), one_image);
        if self.relu6 {
            for v in &mut out {
                *v = v.clamp(0.0, 6.0);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backbone::FEATURE_DIM;
    use crate::backbone::efficientnet::{STEM_CHANNELS, lite0_blocks};
    use burn::nn::conv::Conv2dConfig;
    use burn::prelude::Device;
    use burn::tensor::Distribution;
    use burn::tensor::activation::relu6;

    /// The kernel against Burn's convolution (and ReLU6) at every 1×1 shape of Lite0 — each
    /// block's expansion and projection at its own resolution, and the head — at batch 1 and 2.
    #[test]
    fn matches_burn_at_every_lite0_shape() {
        let device = Device::flex();
        let mut shapes = Vec::new(); // (inputs, outputs, size)
        let mut size: usize = 112;
        let mut channels = STEM_CHANNELS;
        for block in lite0_blocks() {
            if block.hidden != block.input {
                shapes.push((block.input, block.hidden, size));
            }
            size = size.div_ceil(block.stride);
            shapes.push((block.hidden, block.output, size));
            channels = block.output;
        }
        shapes.push((channels, FEATURE_DIM, size));
        shapes.dedup();
        for (inputs, outputs, size) in shapes {
            let conv = Conv2dConfig::new([inputs, outputs], [1, 1]).with_bias(true).init(&device);
            for batch in [1, 2] {
                let input = Tensor::<4>::random([batch, inputs, size, size], Distribution::Uniform(-1.0, 1.0), &device);
                for activation in [false, true] {
                    let burn = conv.forward(input.clone());
                    let want = if activation { relu6(burn) } else { burn };
                    let got = Pointwise::of(&conv, activation).unwrap().forward(input.clone());
                    assert_eq!(got.dims(), want.dims());
                    let diff: f32 = (got - want).abs().max().into_scalar();
                    assert!(diff < 1e-4, "{inputs}→{outputs} at {size}², batch {batch}: differs by {diff}");
                }
            }
        }
    }

    #[test]
    fn refuses_what_it_cannot_compute() {
        let device = Device::flex();
        let three = Conv2dConfig::new([4, 4], [3, 3]).with_bias(true).init(&device);
        assert!(Pointwise::of(&three, false).unwrap_err().to_string().contains("3×3"));
        let unbiased = Conv2dConfig::new([4, 4], [1, 1]).with_bias(false).init(&device);
        assert!(Pointwise::of(&unbiased, false).unwrap_err().to_string().contains("without bias"));
    }
}
