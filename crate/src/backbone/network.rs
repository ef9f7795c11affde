//! The backbones Glimpse can run, each described once: what the rest of the code reads instead of
//! any one network's numbers. Adding a network means a descriptor here and its weights from
//! `glimpse-convert`.

use serde::Serialize;

use crate::Error;
use crate::preprocess::Preprocess;

/// One stage of a block table: `repeats` blocks, the first of which applies `stride` and
/// changes the width from `input` to `output` channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub repeats: usize,
    pub kernel: usize,
    pub stride: usize,
    pub expand: usize,
    pub input: usize,
    pub output: usize,
}

/// The shape of one inverted-residual block, derived from the stage table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockShape {
    pub input: usize,
    pub hidden: usize,
    pub output: usize,
    pub kernel: usize,
    pub stride: usize,
}

/// One pretrained network: its block table, input and weights.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    /// What the CLI and the page call it (`lite0`).
    pub id: &'static str,
    /// The name projects record (`efficientnet-lite0`).
    pub name: &'static str,
    /// For people (`EfficientNet-Lite0`).
    pub title: &'static str,
    /// Side of the square input image.
    pub input: usize,
    /// ImageNet top-1 accuracy as published, in percent: what the larger network buys.
    pub imagenet_top1: f64,
    #[serde(skip)]
    pub stages: &'static [Stage],
    /// File name of the converted weights under `models/`.
    pub weights_file: &'static str,
    /// Its size in bytes: the page says what a first use downloads.
    pub weights_bytes: u64,
    /// The weights' SHA-256, in hex: the core refuses other weights.
    pub weights_sha256: &'static str,
}

/// What EfficientNet-Lite was trained with in TensorFlow: `(x - 127) / 128` on 0..255.
const MEAN: [f32; 3] = [127.0 / 255.0; 3];
const STD: [f32; 3] = [128.0 / 255.0; 3];

/// The hex digest that starts a `sha256sum` line.
const fn digest(line: &'static str) -> &'static str {
    line.split_at(64).0
}

const fn stage(repeats: usize, kernel: usize, stride: usize, expand: usize, input: usize, output: usize) -> Stage {
    Stage { repeats, kernel, stride, expand, input, output }
}

/// EfficientNet-Lite0: width and depth 1.0, as in TensorFlow's `efficientnet_lite_builder`.
pub const LITE0: Network = Network {
    id: "lite0",
    name: "efficientnet-lite0",
    title: "EfficientNet-Lite0",
    input: 224,
    imagenet_top1: 75.1,
    stages: &[
        stage(1, 3, 1, 1, 32, 16),
        stage(2, 3, 2, 6, 16, 24),
        stage(2, 5, 2, 6, 24, 40),
        stage(3, 3, 2, 6, 40, 80),
        stage(3, 5, 1, 6, 80, 112),
        stage(4, 5, 2, 6, 112, 192),
        stage(1, 3, 1, 6, 192, 320),
    ],
    weights_file: "efficientnet-lite0.bpk",
    weights_bytes: 18_537_600,
    weights_sha256: digest(include_str!("../../../models/efficientnet-lite0.bpk.sha256")),
};

/// EfficientNet-Lite2: width 1.1 (channels rounded to eights), depth 1.2 (but the first and last
/// stages kept at one block), 260×260 input; the stem and head are not scaled in Lite.
pub const LITE2: Network = Network {
    id: "lite2",
    name: "efficientnet-lite2",
    title: "EfficientNet-Lite2",
    input: 260,
    imagenet_top1: 77.6,
    stages: &[
        stage(1, 3, 1, 1, 32, 16),
        stage(3, 3, 2, 6, 16, 24),
        stage(3, 5, 2, 6, 24, 48),
        stage(4, 3, 2, 6, 48, 88),
        stage(4, 5, 1, 6, 88, 120),
        stage(5, 5, 2, 6, 120, 208),
        stage(1, 3, 1, 6, 208, 352),
    ],
    weights_file: "efficientnet-lite2.bpk",
    weights_bytes: 24_274_560,
    weights_sha256: digest(include_str!("../../../models/efficientnet-lite2.bpk.sha256")),
};

/// Every network this build runs, the default first.
pub const NETWORKS: [&Network; 2] = [&LITE0, &LITE2];

/// Channels of the stem, in every Lite network.
pub(crate) const STEM_CHANNELS: usize = 32;
/// The stem's stride.
pub(crate) const STEM_STRIDE: usize = 2;

impl Network {
    /// The network called `id` (`lite0`) or `name` (`efficientnet-lite0`).
    pub fn find(id: &str) -> Result<&'static Network, Error> {
        NETWORKS
            .into_iter()
            .find(|n| n.id == id || n.name == id)
            .ok_or_else(|| Error::NoSuchNetwork { name: id.to_string(), known: NETWORKS.iter().map(|n| n.id).collect::<Vec<_>>().join(" and ") })
    }

    /// The default network: the smaller and faster one.
    pub fn default_network() -> &'static Network {
        NETWORKS[0]
    }

    /// `sha256sum`'s line for the weights (the committed `.sha256` file), which projects record.
    pub fn weights_sha256_line(&self) -> String {
        format!("{}  {}\n", self.weights_sha256, self.weights_file)
    }

    /// The preprocessing the network was trained with, at its input size.
    pub fn preprocess(&self) -> Preprocess {
        Preprocess { size: self.input as u32, mean: MEAN, std: STD }
    }

    /// Every block, in order, with its shape.
    pub fn blocks(&self) -> Vec<BlockShape> {
        self.stages
            .iter()
            .flat_map(|stage| {
                (0..stage.repeats).map(move |i| {
                    let input = if i == 0 { stage.input } else { stage.output };
                    BlockShape {
                        input,
                        hidden: input * stage.expand,
                        output: stage.output,
                        kernel: stage.kernel,
                        stride: if i == 0 { stage.stride } else { 1 },
                    }
                })
            })
            .collect()
    }

    /// Side of the map that block `index` reads (`index` = the block count: the head's input).
    /// "Same" padding rounds each stride-2 layer's output up.
    pub fn side_at(&self, index: usize) -> usize {
        let blocks = self.blocks();
        let after_stem = self.input.div_ceil(STEM_STRIDE);
        blocks[..index.min(blocks.len())].iter().fold(after_stem, |side, b| side.div_ceil(b.stride))
    }

    /// Side of the last feature map (7 for Lite0's 224, 9 for Lite2's 260).
    pub fn map_side(&self) -> usize {
        self.side_at(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_tables() {
        let lite0 = LITE0.blocks();
        assert_eq!(lite0.len(), 16);
        assert_eq!(lite0[0], BlockShape { input: 32, hidden: 32, output: 16, kernel: 3, stride: 1 });
        assert_eq!(lite0[1], BlockShape { input: 16, hidden: 96, output: 24, kernel: 3, stride: 2 });
        assert_eq!(lite0[15], BlockShape { input: 192, hidden: 1152, output: 320, kernel: 3, stride: 1 });
        assert_eq!(LITE0.map_side(), 7);
        let lite2 = LITE2.blocks();
        assert_eq!(lite2.len(), 21);
        assert_eq!(lite2[4], BlockShape { input: 24, hidden: 144, output: 48, kernel: 5, stride: 2 });
        assert_eq!(lite2[20], BlockShape { input: 208, hidden: 1248, output: 352, kernel: 3, stride: 1 });
        assert_eq!(LITE2.map_side(), 9, "260 → 130 → 65 → 33 → 17 → 9");
        for network in NETWORKS {
            assert_eq!(network.blocks()[0].input, STEM_CHANNELS);
            assert!(network.weights_sha256.bytes().all(|b| b.is_ascii_hexdigit()), "{}", network.id);
            let committed = std::fs::read_to_string(format!("{}/../models/{}.sha256", env!("CARGO_MANIFEST_DIR"), network.weights_file)).unwrap();
            assert_eq!(network.weights_sha256_line(), committed, "what projects record");
        }
    }

    #[test]
    fn found_by_id_or_name() {
        assert_eq!(Network::find("lite2").unwrap(), &LITE2);
        assert_eq!(Network::find("efficientnet-lite0").unwrap(), &LITE0);
        assert!(matches!(Network::find("b7"), Err(Error::NoSuchNetwork { .. })));
    }
}
