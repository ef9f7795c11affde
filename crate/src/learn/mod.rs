//! Learning from a few examples, independent of where frames come from: the examples and
//! their views and split (`examples`), the heads and how they are trained (`heads`, with the
//! shared epoch loop in `train`), and the tasks built on them (`tasks`). `recipe` is what one
//! training runs; `predict` turns features into what a person reads.

pub mod examples;
pub mod heads;
pub mod metrics;
pub mod predict;
pub mod progress;
pub mod recipe;
pub mod rng;
pub mod settings;
pub mod tasks;
pub mod train;
pub mod trained;
pub mod vectors;
