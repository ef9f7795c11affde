//! Adapting a trained head to a new domain — another camera, other light, photos from elsewhere —
//! from unlabelled frames of it: their mean feature is moved onto the mean of the features the
//! head was trained on, and every frame's features move with it before the head reads them.
//!
//! Centring alone, not diagonal CORAL (which also rescales each dimension to the training
//! spread) nor SimpleShot's centring + L2 per domain: on scikit-learn's digits under five
//! synthetic camera shifts, centring recovered the most accuracy in each (see
//! `docs/benchmarks.md`, "Adapting to a new camera"), and it needs no retraining.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::backbone::FEATURE_DIM;
use crate::learn::vectors::mean;

/// Fewer frames than this give too rough a mean (measured: 10 frames, one per digit, already
/// recover most of the accuracy; fewer start to pull the mean towards one object).
pub const MIN_FRAMES: usize = 8;

/// What adaptation learned of a new domain, stored in the project. Since format 4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adaptation {
    /// Mean of the new domain's features, as the head reads them (`FEATURE_DIM` values).
    pub mean: Vec<f32>,
    pub frames: u32,
    /// When it was made, in milliseconds since 1970 (the caller's clock).
    pub made: f64,
    /// The fine-tuned layers (0: none) the features went through: the adaptation applies only to
    /// a head that reads features the same way.
    pub layers: u32,
}

/// An adaptation as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdaptationSummary {
    pub frames: u32,
    pub made: f64,
    /// False when the head was retrained through other fine-tuned layers since: adapt again.
    pub applies: bool,
}

impl Adaptation {
    /// The adaptation to a domain of which `features` (`frames × FEATURE_DIM`) were seen.
    pub fn of(features: &[f32], made: f64, layers: u32) -> Result<Self, Error> {
        let frames = features.len() / FEATURE_DIM;
        if features.len() % FEATURE_DIM != 0 {
            return Err(Error::Inconsistent(format!("{} feature values are not whole rows of {FEATURE_DIM}", features.len())));
        }
        if frames < MIN_FRAMES {
            return Err(Error::TooFewFrames { found: frames, needed: MIN_FRAMES });
        }
        Ok(Self { mean: mean(features, FEATURE_DIM), frames: frames as u32, made, layers })
    }

    /// What to add to each feature so that the domain's mean lands on `trained_mean`.
    pub fn shift_towards(&self, trained_mean: &[f32]) -> Vec<f32> {
        trained_mean.iter().zip(&self.mean).map(|(s, t)| s - t).collect()
    }

    /// How it stands with a head reading through `layers` fine-tuned layers.
    pub fn summary(&self, layers: u32) -> AdaptationSummary {
        AdaptationSummary { frames: self.frames, made: self.made, applies: self.layers == layers }
    }

    pub fn check(&self) -> Result<(), Error> {
        if self.mean.len() != FEATURE_DIM || self.mean.iter().any(|v| !v.is_finite()) || self.frames == 0 {
            return Err(Error::Inconsistent(format!("the adaptation holds {} values from {} frames", self.mean.len(), self.frames)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shift_moves_the_domain_mean_onto_the_trained_mean() {
        let mut features = Vec::new();
        for i in 0..MIN_FRAMES {
            features.extend((0..FEATURE_DIM).map(|j| (i * 3 + j % 7) as f32));
        }
        let a = Adaptation::of(&features, 0.0, 0).unwrap();
        let trained: Vec<f32> = (0..FEATURE_DIM).map(|j| j as f32 * 0.5).collect();
        let shift = a.shift_towards(&trained);
        let moved: Vec<f32> = features.chunks(FEATURE_DIM).flat_map(|r| r.iter().zip(&shift).map(|(x, s)| x + s).collect::<Vec<_>>()).collect();
        let m = mean(&moved, FEATURE_DIM);
        assert!(m.iter().zip(&trained).all(|(a, b)| (a - b).abs() < 1e-4));
        assert!(a.summary(0).applies && !a.summary(1).applies);
    }

    #[test]
    fn too_few_frames_or_ragged_rows_are_refused() {
        let few = vec![0.5; FEATURE_DIM * (MIN_FRAMES - 1)];
        assert!(matches!(Adaptation::of(&few, 0.0, 0), Err(Error::TooFewFrames { found: 7, needed: MIN_FRAMES })));
        assert!(matches!(Adaptation::of(&vec![0.5; FEATURE_DIM * MIN_FRAMES + 1], 0.0, 0), Err(Error::Inconsistent(_))));
    }
}
