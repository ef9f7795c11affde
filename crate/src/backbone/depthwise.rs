//! The depthwise stage on the CPU as one kernel: ReLU6 of the input, the k×k depthwise
//! convolution with TensorFlow "same" padding, the folded BatchNorm's bias, ReLU6.
//!
//! Why: Burn's CPU backend spends ~1 ns per element natively (~5 in wasm) on each ReLU6 and
//! takes a slow path on stride-2 depthwise layers (slower than stride 1 with 4× the outputs);
//! together they were ~45 % of a wasm CPU frame. Here the stride-1 inner loop is a contiguous
//! multiply-add over a row, which the compiler turns into SIMD (simd128 in the browser).

use burn::nn::conv::Conv2d;
use burn::prelude::{Tensor, TensorData};

use crate::Error;
use crate::device::read_cpu_floats;
use crate::parallel;

/// Weights of one depthwise layer, read once from the loaded module.
#[derive(Debug, Clone)]
pub struct Depthwise {
    kernel: usize,
    stride: usize,
    /// `channels × kernel × kernel`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// TensorFlow's "same" padding: (padding before, output size); the odd pixel goes after.
pub fn same_padding(input: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = input.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(input);
    (total / 2, out)
}

/// Weights whose shape the kernel cannot use: a problem of the weights, not of reading them.
fn misshapen(problem: String) -> Error {
    Error::Inconsistent(format!("the fused depthwise kernel cannot use {problem}"))
}

pub fn relu6_in_place(values: &mut [f32]) {
    for v in values {
        *v = v.clamp(0.0, 6.0);
    }
}

impl Depthwise {
    /// Copies the weights of a depthwise `conv` (on the CPU, where reading is immediate).
    pub fn of(conv: &Conv2d, kernel: usize, stride: usize) -> Result<Self, Error> {
        let weights = read_cpu_floats(conv.weight.val().flatten::<1>(0, 3))?;
        let bias = read_cpu_floats(conv.bias.as_ref().ok_or_else(|| misshapen("a depthwise conv without bias".into()))?.val())?;
        if weights.len() != bias.len() * kernel * kernel {
            return Err(misshapen(format!("depthwise weights of {} values for {} channels", weights.len(), bias.len())));
        }
        Ok(Self { kernel, stride, weights, bias })
    }

    /// `relu6(depthwise(relu6(input)) + bias)` for an `[N, C, H, W]` tensor on the CPU.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let device = input.device();
        let [n, c, h, w] = input.dims();
        let mut x = input.into_data().try_into_vec::<f32>().expect("a float tensor on the CPU");
        relu6_in_place(&mut x);
        let (out, [oh, ow]) = self.apply(&x, [n, c, h, w]);
        Tensor::from_data(TensorData::new(out, [n, c, oh, ow]), &device)
    }

    /// The kernel on NCHW values; returns the output and its height and width.
    pub fn apply(&self, x: &[f32], [n, c, h, w]: [usize; 4]) -> (Vec<f32>, [usize; 2]) {
        let plan = Plan::new([h, w], self.kernel, self.stride);
        let [oh, ow] = plan.output();
        let mut out = vec![0.0f32; n * c * oh * ow];
        let k = self.kernel;
        // Planes are independent: spread across the threads the build has, each with its phases.
        let one_plane = |phases: &mut Vec<f32>, plane_index: usize, plane: &[f32], out_plane: &mut [f32]| {
            let channel = plane_index % c;
            out_plane.fill(self.bias[channel]);
            plan.accumulate(plan.source(plane, phases), &self.weights[channel * k * k..(channel + 1) * k * k], out_plane);
            relu6_in_place(out_plane);
        };
        parallel::for_each_chunk(x, h * w, &mut out, oh * ow, || vec![0.0f32; plan.phases_len()], one_plane);
        (out, [oh, ow])
    }
}

/// How a k×k convolution with stride s and TensorFlow "same" padding reads one input plane,
/// worked out once per layer: shared by the depthwise stages and the stem.
///
/// With stride s, output column ox reads input column ox*s + kx - left. Splitting each input row
/// into s phases (columns p, p+s, p+2s, ...) makes that a contiguous run of a phase, so every
/// inner loop is a plain multiply-add over two slices, which compiles to SIMD.
pub struct Plan {
    size: [usize; 2],
    kernel: usize,
    stride: usize,
    top: usize,
    output: [usize; 2],
    phase_width: usize,
    /// Per kernel column: the output columns whose input lies inside the row, the phase they
    /// read and where in it they start.
    taps: Vec<Option<(usize, usize, usize, usize)>>,
}

impl Plan {
    pub fn new([h, w]: [usize; 2], kernel: usize, stride: usize) -> Self {
        let (k, s) = (kernel, stride);
        let (top, oh) = same_padding(h, k, s);
        let (left, ow) = same_padding(w, k, s);
        let taps = (0..k)
            .map(|kx| {
                let first = left.saturating_sub(kx).div_ceil(s);
                let end = ow.min((w + left).saturating_sub(kx).div_ceil(s));
                let start = (first * s + kx).checked_sub(left)?;
                (first < end).then_some((first, end, start % s, start / s))
            })
            .collect();
        Self { size: [h, w], kernel, stride, top, output: [oh, ow], phase_width: w.div_ceil(s), taps }
    }

    /// The output plane's height and width.
    pub fn output(&self) -> [usize; 2] {
        self.output
    }

    /// Values a plane's phases take (none at stride 1, which reads the plane itself).
    pub fn phases_len(&self) -> usize {
        let [h, _] = self.size;
        if self.stride > 1 { h * self.stride * self.phase_width } else { 0 }
    }

    /// What [`Plan::accumulate`] reads for `plane`: the plane itself at stride 1, else its
    /// phases, written into `phases` (of [`Plan::phases_len`] values).
    pub fn source<'a>(&self, plane: &'a [f32], phases: &'a mut [f32]) -> &'a [f32] {
        let ([_, w], s) = (self.size, self.stride);
        if s == 1 {
            return plane;
        }
        for (iy, row) in plane.chunks_exact(w).enumerate() {
            for phase in 0..s {
                let split = &mut phases[(iy * s + phase) * self.phase_width..][..self.phase_width];
                for (to, from) in split.iter_mut().zip(row[phase..].iter().step_by(s)) {
                    *to = *from;
                }
            }
        }
        phases
    }

    /// Adds the k×k `filter` (row-major) over `source` (see [`Plan::source`]) onto `out_plane`.
    pub fn accumulate(&self, source: &[f32], filter: &[f32], out_plane: &mut [f32]) {
        let ([h, _], [_, ow], k, s) = (self.size, self.output, self.kernel, self.stride);
        for (oy, row) in out_plane.chunks_exact_mut(ow).enumerate() {
            for ky in 0..k {
                let Some(iy) = (oy * s + ky).checked_sub(self.top).filter(|&iy| iy < h) else { continue };
                for (kx, tap) in self.taps.iter().enumerate() {
                    let Some((first, end, phase, offset)) = *tap else { continue };
                    let weight = filter[ky * k + kx];
                    let input = &source[(iy * s + phase) * self.phase_width + offset..][..end - first];
                    for (o, i) in row[first..end].iter_mut().zip(input) {
                        *o += weight * i;
                    }
                }
            }
        }
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

    #[test]
    fn same_padding_puts_the_odd_pixel_after() {
        assert_eq!(same_padding(112, 3, 2), (0, 56));
        assert_eq!(same_padding(56, 5, 2), (1, 28));
        assert_eq!(same_padding(14, 5, 1), (2, 14));
        assert_eq!(same_padding(7, 3, 1), (1, 7));
    }

    /// The kernel against Burn's own convolution and ReLU6, at every EfficientNet kernel and stride and
    /// at odd sizes, with inputs that go below 0 and above 6.
    #[test]
    fn matches_burn_at_every_kernel_stride_and_odd_sizes() {
        let device = Device::flex();
        for (kernel, stride, size) in [(3, 1, 9), (3, 2, 9), (5, 1, 8), (5, 2, 8), (5, 2, 7), (3, 2, 112), (5, 1, 14)] {
            let channels = 6;
            let conv = Conv2dConfig::new([channels, channels], [kernel, kernel])
                .with_stride([stride, stride])
                .with_groups(channels)
                .with_padding(PaddingConfig2d::Same)
                .with_bias(true)
                .init(&device);
            let input = Tensor::<4>::random([2, channels, size, size + 1], Distribution::Uniform(-3.0, 9.0), &device);
            let want = relu6(conv.forward(relu6(input.clone())));
            let got = Depthwise::of(&conv, kernel, stride).unwrap().forward(input);
            assert_eq!(got.dims(), want.dims(), "k{kernel} s{stride} {size}");
            let diff: f32 = (got - want).abs().max().into_scalar();
            assert!(diff < 1e-5, "k{kernel} s{stride} {size}: differs by {diff}");
        }
    }
}
