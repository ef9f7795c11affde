//! What is built on the features and heads: spotting anomalies, counting and locating objects,
//! grouping unlabelled captures,
//! classes known by name only, adapting to a new camera, heat maps, and the check that the
//! pretrained features help.

pub mod adapt;
pub mod anomaly;
pub mod counting;
pub mod explain;
pub mod grouping;
pub mod negative_transfer;
pub mod zero_shot;
