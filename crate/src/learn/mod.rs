//! Learning from a few examples: the store of captured examples, augmentation, the held-out
//! split, the heads, training and evaluation. Independent of where frames come from.

pub mod adapt;
pub mod anomaly;
pub mod augment;
pub mod auto;
pub mod cluster;
pub mod examples;
pub mod explain;
pub mod fine_tune;
pub mod head;
pub mod metrics;
pub mod predict;
pub mod rng;
pub mod settings;
pub mod split;
pub mod train;
pub mod transfer;
pub mod zero_shot;

pub use augment::Augment;
pub use examples::{Captured, ClassId, ExampleId, Examples};
pub use head::{DeviceHead, Head};
pub use metrics::Evaluation;
pub use settings::{HeadKind, Settings};
pub use train::{Dataset, EpochStats, Progress, Quiet, Trained, train};
