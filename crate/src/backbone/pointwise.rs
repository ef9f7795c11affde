//! The 1×1 convolutions on the CPU: one matrix product per image, cut into blocks for the
//! threads, each block with the folded BatchNorm's bias written into it first and accumulated
//! onto, and an optional ReLU6 on the way out.
//!
//! Why: Burn's CPU backend keeps a 1×1 conv on one thread below 192³ multiply-adds (every late
//! layer of EfficientNet at batch 1), then adds the bias in a second pass over the output; and gemm's
//! own threading made the 7×7 layers slower on two threads than on one (wasm, 2 cores: 1152→192
//! took 1.5 ms against 1.1). Here each block is one single-threaded product, cut where packing
//! costs least.

use burn::nn::conv::Conv2d;
use burn::prelude::{Tensor, TensorData};

use super::depthwise::relu6_in_place;
use crate::Error;
use crate::device::read_cpu_floats;
use crate::parallel;

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
        assert_eq!(x.len(), n * self.inputs * spatial, "a 1×1 conv of {} inputs given {} values", self.inputs, x.len());
        let mut out = vec![0.0f32; n * outputs * spatial];
        let split = Split::of(n, outputs, self.inputs, spatial, parallel::threads());
        let result = parallel::SharedOut::new(&mut out);
        parallel::for_each_index(n * split.parts, |task| {
            let (image, part) = (task / split.parts, task % split.parts);
            let (rows, columns) = split.block(part, outputs, spatial);
            // SAFETY: each task writes only its own block (rows × columns) of its own image's
            // output, and the blocks of all tasks partition `out`, which outlives the loop.
            let result = unsafe { result.at(image * outputs * spatial) };
            self.block(&x[image * self.inputs * spatial..][..self.inputs * spatial], result, spatial, rows, columns);
        });
        out
    }

    /// Rows `rows` and columns `columns` of one image's output, written at `result`
    /// (`outputs × spatial`, row-major): the bias, the product onto it, then ReLU6 where asked.
    fn block(&self, image: &[f32], result: *mut f32, spatial: usize, rows: std::ops::Range<usize>, columns: std::ops::Range<usize>) {
        let width = columns.len();
        // SAFETY: row < outputs and columns ⊂ 0..spatial: inside the image's output, in the
        // block this call alone writes.
        let row_of = |row: usize| unsafe { std::slice::from_raw_parts_mut(result.add(row * spatial + columns.start), width) };
        for row in rows.clone() {
            row_of(row).fill(self.bias[row]);
        }
        // SAFETY: `result` at (rows.start, columns.start) with row stride `spatial` is the
        // block above, borrowed by this call alone; the weights' rows `rows` (row stride
        // `inputs`) and the image's columns `columns` (row stride `spatial`) lie in their slices.
        unsafe {
            gemm::gemm(
                rows.len(),
                width,
                self.inputs,
                result.add(rows.start * spatial + columns.start),
                1,
                spatial as isize,
                true, // result := 1 × result (the bias) + 1 × weights · image
                self.weights.as_ptr().add(rows.start * self.inputs),
                1,
                self.inputs as isize,
                image.as_ptr().add(columns.start),
                1,
                spatial as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        if self.relu6 {
            for row in rows {
                relu6_in_place(row_of(row));
            }
        }
    }
}

/// How one image's product is cut into blocks for the threads: along the output channels or
/// along the pixels, whichever leaves the smaller operand to be packed again by every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Split {
    parts: usize,
    by_rows: bool,
}

impl Split {
    /// Each block at least this many multiply-adds: below it, a thread's wake-up costs more than
    /// it saves.
    const MIN_WORK: usize = 1 << 18;
    /// Blocks per thread, so that a thread that wakes late takes fewer of them.
    const PER_THREAD: usize = 2;

    fn of(n: usize, outputs: usize, inputs: usize, spatial: usize, threads: usize) -> Self {
        // Cutting by rows packs the image again in every block; by columns, the weights.
        let by_rows = spatial < outputs;
        let wanted = (threads * Self::PER_THREAD).div_ceil(n);
        let extent = if by_rows { outputs.div_ceil(Self::ROWS) } else { spatial.div_ceil(Self::COLUMNS) };
        let parts = if threads <= 1 { 1 } else { wanted.min((outputs * inputs * spatial) / Self::MIN_WORK).min(extent).max(1) };
        Self { parts, by_rows }
    }

    /// Blocks keep whole micro-kernel tiles: rows in eights, columns in sixteens.
    const ROWS: usize = 8;
    const COLUMNS: usize = 16;

    /// The rows and columns of block `part`.
    fn block(&self, part: usize, outputs: usize, spatial: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let cut = |extent: usize, tile: usize| {
            let tiles = extent.div_ceil(tile);
            let (from, to) = (tiles * part / self.parts, tiles * (part + 1) / self.parts);
            (from * tile).min(extent)..(to * tile).min(extent)
        };
        if self.by_rows { (cut(outputs, Self::ROWS), 0..spatial) } else { (0..outputs, cut(spatial, Self::COLUMNS)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backbone::FEATURE_DIM;
    use crate::backbone::NETWORKS;
    use crate::backbone::network::STEM_CHANNELS;
    use burn::nn::conv::Conv2dConfig;
    use burn::prelude::Device;
    use burn::tensor::Distribution;
    use burn::tensor::activation::relu6;

    /// The kernel against Burn's convolution (and ReLU6) at every 1×1 shape of every network —
    /// each block's expansion and projection at its own resolution, and the head — at batch 1 and 2.
    #[test]
    fn matches_burn_at_every_shape() {
        let device = Device::flex();
        let mut shapes = Vec::new(); // (inputs, outputs, size)
        for network in NETWORKS {
            let mut size = network.input / 2;
            let mut channels = STEM_CHANNELS;
            for block in network.blocks() {
                if block.hidden != block.input {
                    shapes.push((block.input, block.hidden, size));
                }
                size = size.div_ceil(block.stride);
                shapes.push((block.hidden, block.output, size));
                channels = block.output;
            }
            shapes.push((channels, FEATURE_DIM, size));
        }
        shapes.sort();
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

    /// Every cut of every EfficientNet shape, on 1 to 8 threads and batches of 1 and 8: the blocks
    /// cover each image's output exactly once, keep whole tiles, and each is worth a thread.
    #[test]
    fn blocks_partition_the_output() {
        for (inputs, outputs, spatial) in [(32, 16, 112 * 112), (16, 96, 112 * 112), (144, 40, 28 * 28), (672, 192, 49), (320, 1280, 49), (4, 4, 9)] {
            for threads in 1..=8 {
                for n in [1, 8] {
                    let split = Split::of(n, outputs, inputs, spatial, threads);
                    assert!(split.parts >= 1);
                    if threads == 1 || n >= 2 * threads {
                        assert_eq!(split.parts, 1, "{inputs}→{outputs} at {spatial} on {threads} threads, batch {n}: the images alone keep the threads busy");
                    }
                    let mut covered = vec![0u8; outputs * spatial];
                    for part in 0..split.parts {
                        let (rows, columns) = split.block(part, outputs, spatial);
                        assert!(!rows.is_empty() && !columns.is_empty(), "{inputs}→{outputs} at {spatial}, part {part} of {}: empty", split.parts);
                        assert!(if split.by_rows { rows.start % Split::ROWS == 0 } else { columns.start % Split::COLUMNS == 0 });
                        if split.parts > 1 {
                            assert!(rows.len() * columns.len() * inputs >= Split::MIN_WORK / 2, "part {part}: too little work for a thread");
                        }
                        for row in rows {
                            for column in columns.clone() {
                                covered[row * spatial + column] += 1;
                            }
                        }
                    }
                    assert!(covered.iter().all(|&c| c == 1), "{inputs}→{outputs} at {spatial} in {} parts: not covered exactly once", split.parts);
                }
            }
        }
        // The cut leaves the smaller operand to pack again: pixels at the start, channels late.
        assert!(!Split::of(1, 96, 16, 112 * 112, 2).by_rows);
        assert!(Split::of(1, 1152, 192, 49, 2).by_rows);
        assert!(Split::of(1, 1152, 192, 49, 2).parts > 1);
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
