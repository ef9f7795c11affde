//! Timing and profiling for the benchmarks (`glimpse bench`, the browser benchmark pages).
//! Only in builds with the `bench` feature: the product build carries none of it.

pub mod backbone;
pub mod counting;
pub mod learning;

pub use crate::backbone::CpuKernels;
pub use crate::learn::tasks::counting::cells::{RECIPE, Recipe, cut_block};
pub use crate::synthetic::textured_frame;
