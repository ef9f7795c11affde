//! Anomaly detection from normal examples only: a frame's score is how far its feature lies from
//! the normal examples' (one minus the mean cosine similarity of its `k` most similar ones), and
//! it is an anomaly when that score is higher than the scores of all but a chosen share of normal
//! examples (the false-alarm rate).
//!
//! The threshold comes from held-out scores of the normal examples themselves: the captures, in
//! the order they were taken, are cut into [`FOLDS`] consecutive parts, and each example is
//! scored against the parts it is not in. Consecutive parts, because captures taken together
//! (a burst, one writer's digits) resemble each other more than the frames the detector will
//! meet later: scored against its own burst, a normal example looks more normal than it is, and
//! the threshold comes out too low (measured on digits: 26 % false alarms for a chosen 10 %
//! when each capture alone was left out, see docs/benchmarks.md). Every example is held out
//! once, so the threshold has as many scores as there are examples and the detector keeps them
//! all. The scores are stored sorted, so the false-alarm rate can change without training again.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::device::read_floats;
use crate::learn::examples::dataset::Dataset;
use crate::learn::vectors::{unit_rows, unit_rows_of};

/// Captures of normal things needed before a threshold means anything.
pub const MIN_CAPTURES: usize = 5;
/// Consecutive parts the captures are cut into for the held-out scores.
pub const FOLDS: usize = 5;

/// A detector of one class of normal things: the normal examples' unit-length features
/// (`examples × dim`) and their held-out scores, sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detector {
    pub k: u32,
    pub features: Vec<f32>,
    pub calibration: Vec<f32>,
}

impl Detector {
    /// Whether its numbers fit features of `dim` values.
    pub fn fits(&self, dim: usize) -> bool {
        let sorted = self.calibration.windows(2).all(|w| w[0] <= w[1]);
        let finite = self.features.iter().chain(&self.calibration).all(|v| v.is_finite());
        self.k > 0 && self.features.len() == self.calibration.len() * dim && self.calibration.len() >= 2 && sorted && finite
    }

    /// The score above which a frame is an anomaly at false-alarm rate `rate` (see [`threshold`]).
    pub fn threshold(&self, rate: f32) -> f32 {
        threshold(&self.calibration, rate)
    }

    /// How ordinary a frame of score `score` looks (see [`normality`]).
    pub fn normality(&self, score: f32) -> f32 {
        normality(&self.calibration, score)
    }
}

/// A detector uploaded for scoring frames.
#[derive(Debug, Clone)]
pub struct DeviceDetector {
    detector: Detector,
    /// The normal examples as columns, `dim × examples`.
    stored: Tensor<2>,
}

impl DeviceDetector {
    pub fn new(detector: &Detector, dim: usize, device: &Device) -> Self {
        Self { detector: detector.clone(), stored: stored(&detector.features, dim, device) }
    }

    /// Each row's verdict at false-alarm rate `rate`, with how ordinary it looks.
    pub async fn detect(&self, features: Tensor<2>, rate: f32) -> Result<Vec<(AnomalyScore, f32)>, Error> {
        let threshold = self.detector.threshold(rate);
        let scores = scores(features, &self.stored, self.detector.k as usize).await?;
        Ok(scores.into_iter().map(|score| (AnomalyScore { score, threshold, anomaly: score > threshold }, self.detector.normality(score))).collect())
    }
}

/// Rows of the query at a time when scoring many frames, bounding the similarity matrix read
/// back (rows × stored examples).
const CHUNK: usize = 256;

/// The anomaly score of one frame against the stored normal examples (`similarities` to each),
/// skipping those `skip` says are the frame itself.
fn score(similarities: &[f32], k: usize, skip: impl Fn(usize) -> bool) -> f32 {
    let mut kept: Vec<f32> = similarities.iter().enumerate().filter(|(i, _)| !skip(*i)).map(|(_, &s)| s).collect();
    let k = k.min(kept.len()).max(1);
    kept.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    1.0 - kept[..k].iter().sum::<f32>() / k as f32
}

/// Cosine similarities of `queries` (`rows × dim`, any length) to `stored` (`dim × n`, unit
/// columns), read back `CHUNK` rows at a time; `each(row, similarities)` gets every row.
async fn similarities(queries: Tensor<2>, stored: &Tensor<2>, mut each: impl FnMut(usize, &[f32])) -> Result<(), Error> {
    let [rows, _] = queries.dims();
    let n = stored.dims()[1];
    let queries = unit_rows(queries);
    for start in (0..rows).step_by(CHUNK) {
        let end = (start + CHUNK).min(rows);
        let s = read_floats(queries.clone().slice([start..end]).matmul(stored.clone())).await?;
        for (i, row) in s.chunks(n).enumerate() {
            each(start + i, row);
        }
    }
    Ok(())
}

/// The normal examples as columns on the device, `dim × n`, unit length.
fn stored(features: &[f32], dim: usize, device: &Device) -> Tensor<2> {
    let n = features.len() / dim;
    unit_rows(Tensor::from_data(TensorData::new(features.to_vec(), [n, dim]), device)).transpose()
}

/// The anomaly score of each row of `features` (`rows × dim`).
async fn scores(features: Tensor<2>, stored: &Tensor<2>, k: usize) -> Result<Vec<f32>, Error> {
    let mut out = vec![0.0; features.dims()[0]];
    similarities(features, stored, |i, row| out[i] = score(row, k, |_| false)).await?;
    Ok(out)
}

/// Fits the detector to the normal examples of `data` (one class), comparing each frame with its
/// `k` most similar ones.
pub async fn fit(data: &Dataset, k: u32, device: &Device) -> Result<Detector, Error> {
    if data.classes.len() != 1 {
        return Err(Error::NotOneNormalClass(data.classes.len()));
    }
    let mut captures = data.captures.clone();
    captures.sort_unstable();
    captures.dedup();
    if captures.len() < MIN_CAPTURES {
        return Err(Error::TooFewNormal { found: captures.len(), needed: MIN_CAPTURES });
    }
    let dim = data.dim;
    let features = unit_rows_of(&data.features, dim);
    let columns = stored(&features, dim, device);
    let rows = Tensor::from_data(TensorData::new(features.clone(), [data.len(), dim]), device);
    // Capture ids grow as captures are taken: part p holds the p-th fifth of them.
    let part = |capture: u32| captures.binary_search(&capture).expect("a capture of the data") * FOLDS / captures.len();
    let parts: Vec<usize> = data.captures.iter().map(|&c| part(c)).collect();
    let mut calibration = vec![0.0; data.len()];
    similarities(rows, &columns, |i, row| calibration[i] = score(row, k as usize, |j| parts[j] == parts[i])).await?;
    calibration.sort_by(f32::total_cmp);
    Ok(Detector { k, features, calibration })
}

/// The score above which a frame is an anomaly, so that at most `rate` of the held-out normal
/// scores (`calibration`, sorted) would be: the `⌊rate · n⌋ + 1`-th highest of them. With too few
/// scores for the rate that is the highest, so only what is stranger than every normal example
/// is flagged.
pub fn threshold(calibration: &[f32], rate: f32) -> f32 {
    let n = calibration.len();
    let above = ((rate * n as f32).floor() as usize).min(n - 1);
    calibration[n - 1 - above]
}

/// Share of the held-out normal examples that score at least `score`: how ordinary the frame
/// looks (near 1 typical, near 0 stranger than almost every normal example).
pub fn normality(calibration: &[f32], score: f32) -> f32 {
    let below = calibration.partition_point(|&s| s < score);
    (calibration.len() - below) as f32 / calibration.len() as f32
}

/// A frame's anomaly score with the threshold it was compared to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyScore {
    pub score: f32,
    pub threshold: f32,
    pub anomaly: bool,
}

/// How a detector does on frames known to be normal or anomalous.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyEvaluation {
    pub normal: u32,
    pub anomalies: u32,
    /// Area under the ROC curve: the chance that an anomaly scores higher than a normal frame.
    pub auc: f32,
    /// Normal frames flagged, at the threshold.
    pub false_alarm_rate: f32,
    /// Anomalies flagged, at the threshold.
    pub detection_rate: f32,
}

/// Scores `labelled` frames (`(is an anomaly, its score)`); fails without both kinds.
pub fn evaluate(labelled: &[(bool, AnomalyScore)]) -> Result<AnomalyEvaluation, Error> {
    let (anomalies, normal): (Vec<&(bool, AnomalyScore)>, Vec<&(bool, AnomalyScore)>) = labelled.iter().partition(|(a, _)| *a);
    if anomalies.is_empty() || normal.is_empty() {
        return Err(Error::Settings(format!(
            "evaluating a detector needs normal frames and anomalies, got {} normal and {} anomalies",
            normal.len(),
            anomalies.len()
        )));
    }
    // Mann–Whitney: pairs ranked right, ties counting half.
    let mut normal_scores: Vec<f32> = normal.iter().map(|(_, s)| s.score).collect();
    normal_scores.sort_by(f32::total_cmp);
    let pairs: f64 = anomalies
        .iter()
        .map(|(_, s)| {
            let below = normal_scores.partition_point(|&n| n < s.score);
            let equal = normal_scores[below..].partition_point(|&n| n <= s.score);
            below as f64 + equal as f64 / 2.0
        })
        .sum();
    let flagged = |set: &[&(bool, AnomalyScore)]| set.iter().filter(|(_, s)| s.anomaly).count() as f32 / set.len() as f32;
    Ok(AnomalyEvaluation {
        normal: normal.len() as u32,
        anomalies: anomalies.len() as u32,
        auc: (pairs / (normal.len() * anomalies.len()) as f64) as f32,
        false_alarm_rate: flagged(&normal),
        detection_rate: flagged(&anomalies),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_flags_the_chosen_share_of_normal_scores() {
        let calibration: Vec<f32> = (1..=100).map(|i| i as f32 / 100.0).collect();
        let t = threshold(&calibration, 0.05);
        assert_eq!(calibration.iter().filter(|&&s| s > t).count(), 5);
        assert_eq!(threshold(&calibration, 0.0), 1.0, "rate 0: only what is stranger than every normal example");
        assert_eq!(threshold(&calibration[..10], 0.05), 1.0 / 10.0, "too few scores for 5 %: the highest");
        assert_eq!(normality(&calibration, 0.955), 0.05);
        assert_eq!(normality(&calibration, 2.0), 0.0);
        assert_eq!(normality(&calibration, 0.0), 1.0);
    }

    #[test]
    fn a_score_leaves_out_the_frame_itself() {
        let similarities = [1.0, 0.9, 0.5, 0.1];
        assert!((score(&similarities, 2, |_| false) - 0.05).abs() < 1e-6);
        assert!((score(&similarities, 2, |i| i == 0) - 0.3).abs() < 1e-6);
        assert!((score(&similarities, 10, |i| i < 2) - 0.7).abs() < 1e-6, "k larger than what is left");
    }

    #[test]
    fn auc_counts_ranked_pairs_and_ties_as_half() {
        let s = |score: f32, anomaly: bool| AnomalyScore { score, threshold: 0.5, anomaly };
        let labelled = [(false, s(0.1, false)), (false, s(0.6, true)), (true, s(0.6, true)), (true, s(0.9, true))];
        let e = evaluate(&labelled).unwrap();
        // Anomaly 0.6: above 0.1, tied with 0.6 → 1.5; anomaly 0.9: above both → 2; of 4 pairs.
        assert!((e.auc - 3.5 / 4.0).abs() < 1e-6, "{e:?}");
        assert_eq!((e.false_alarm_rate, e.detection_rate), (0.5, 1.0));
        assert!(evaluate(&labelled[..2]).is_err(), "no anomalies");
    }
}
