//! The stem on the CPU as one kernel: the dense 3×3 stride-2 convolution of the RGB input
//! with TensorFlow "same" padding, the folded BatchNorm's bias, ReLU6; on the depthwise stages'
//! plan (each input plane split into its stride's phases once, read by every output channel).
//!
//! Why: Burn's CPU conv (im2col, then a product) took 2.5–4 ms of a wasm frame where
//! onnxruntime-web's took 1.0–1.4, and its ReLU6 was another pass over 32×112×112 values.

use burn::nn::conv::Conv2d;
use burn::prelude::{Tensor, TensorData};

use super::depthwise::{Plan, relu6_in_place};
use crate::Error;
use crate::device::read_cpu_floats;
use crate::parallel::{self, SharedOut};

/// Weights of the stem, read once from the loaded module.
#[derive(Debug, Clone)]
pub struct Stem {
    inputs: usize,
    kernel: usize,
    stride: usize,
    /// `outputs × inputs × kernel × kernel`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Stem {
    /// Copies the weights of the stem's `conv` (on the CPU, where reading is immediate).
    pub fn of(conv: &Conv2d, stride: usize) -> Result<Self, Error> {
        let [outputs, inputs, kh, kw] = conv.weight.dims();
        let misshapen = |problem: String| Error::Inconsistent(format!("the fused stem kernel cannot use {problem}"));
        if kh != kw {
            return Err(misshapen(format!("a {kh}×{kw} convolution")));
        }
        let bias = read_cpu_floats(conv.bias.as_ref().ok_or_else(|| misshapen("a conv without bias".into()))?.val())?;
        if bias.len() != outputs {
            return Err(misshapen(format!("{} biases for {outputs} outputs", bias.len())));
        }
        Ok(Self { inputs, kernel: kh, stride, weights: read_cpu_floats(conv.weight.val().flatten::<1>(0, 3))?, bias })
    }

    /// `relu6(conv(input) + bias)` for an `[N, C, H, W]` tensor on the CPU.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let device = input.device();
        let [n, c, h, w] = input.dims();
        let x = input.into_data().try_into_vec::<f32>().expect("a float tensor on the CPU");
        let (out, [oh, ow]) = self.apply(&x, [n, c, h, w]);
        Tensor::from_data(TensorData::new(out, [n, self.bias.len(), oh, ow]), &device)
    }

    /// The kernel on NCHW values; returns the output and its height and width.
    pub fn apply(&self, x: &[f32], [n, c, h, w]: [usize; 4]) -> (Vec<f32>, [usize; 2]) {
        assert_eq!(c, self.inputs, "a stem of {} inputs given {c} channels", self.inputs);
        let (k, outputs) = (self.kernel, self.bias.len());
        let plan = Plan::new([h, w], k, self.stride);
        let [oh, ow] = plan.output();
        let source_len = plan.phases_len().max(h * w);
        let mut sources = vec![0.0f32; n * c * source_len];
        let mut phases = vec![0.0f32; plan.phases_len()];
        for (plane, source) in x.chunks_exact(h * w).zip(sources.chunks_exact_mut(source_len)) {
            let read = plan.source(plane, &mut phases);
            source[..read.len()].copy_from_slice(read);
        }
        let mut out = vec![0.0f32; n * outputs * oh * ow];
        let result = SharedOut::new(&mut out);
        // One output plane a task: 32 per image, each a third of a million multiply-adds.
        parallel::for_each_index(n * outputs, |index| {
            let (image, output) = (index / outputs, index % outputs);
            // SAFETY: output plane `index` lies inside `out` and is this task's alone.
            let out_plane = unsafe { std::slice::from_raw_parts_mut(result.at(index * oh * ow), oh * ow) };
            out_plane.fill(self.bias[output]);
            for channel in 0..c {
                let source = &sources[(image * c + channel) * source_len..][..source_len];
                plan.accumulate(source, &self.weights[(output * c + channel) * k * k..][..k * k], out_plane);
            }
            relu6_in_place(out_plane);
        });
        (out, [oh, ow])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2dConfig;
    use burn::prelude::Device;
    use burn::tensor::Distribution;
    use burn::tensor::activation::relu6;

    /// The kernel against Burn's convolution and ReLU6: Lite0's stem at its own size, and odd
    /// sizes and a stride of 1, with inputs that reach past 0 and 6 after the conv.
    #[test]
    fn matches_burn_at_lite0s_stem_and_odd_sizes() {
        let device = Device::flex();
        for (kernel, stride, size, batch) in [(3, 2, 224, 1), (3, 2, 224, 2), (3, 2, 9, 3), (3, 1, 8, 1), (5, 2, 7, 1)] {
            let conv =
                Conv2dConfig::new([3, 32], [kernel, kernel]).with_stride([stride, stride]).with_padding(PaddingConfig2d::Same).with_bias(true).init(&device);
            let input = Tensor::<4>::random([batch, 3, size, size + 1], Distribution::Uniform(-30.0, 30.0), &device);
            let want = relu6(conv.forward(input.clone()));
            let got = Stem::of(&conv, stride).unwrap().forward(input);
            assert_eq!(got.dims(), want.dims(), "k{kernel} s{stride} {size}");
            let diff: f32 = (got - want.clone()).abs().max().into_scalar();
            assert!(diff < 1e-4, "k{kernel} s{stride} {size}: differs by {diff}");
            let clamped: f32 = want.clone().equal_elem(6.0).float().sum().into_scalar();
            assert!(clamped > 0.0, "the test's inputs reach ReLU6's top");
        }
    }
}
