//! The examples: the store of classes and captures (`store`), the extra views a capture adds
//! (`augment`), the rows training reads (`dataset`) and the held-out split (`split`).

pub mod augment;
pub mod dataset;
pub mod split;
pub mod store;
