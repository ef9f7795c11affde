//! Automatic settings (`head: auto`): each candidate head, with its main hyper-parameter, is
//! scored by stratified cross-validation on the examples (folds of whole captures), within a time
//! budget; the best one is then trained as usual. The default head is tried first and is kept
//! unless another leads it by more than a standard error on these very examples.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clock::now_ms;
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::split::{fewest_captures, folds};
use crate::learn::heads::fit::{fit, predict_rows};
use crate::learn::heads::on_device::DeviceHead;
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::{HeadChoice, HeadKind, Settings};

/// How long auto keeps trying candidates; the first (the default head) is always tried.
pub const BUDGET_S: f64 = 30.0;
/// Folds of cross-validation, fewer when a class has fewer captures.
pub const MAX_FOLDS: usize = 5;

/// One head to try, and how it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub head: HeadKind,
    pub hidden: u32,
    pub learning_rate: f32,
    pub k: u32,
    /// Held-out accuracy over all folds; `None` when it was not tried (the budget ran out, or
    /// too few captures to cross-validate).
    pub accuracy: Option<f32>,
}

impl Candidate {
    /// In words, for the page and the CLI.
    pub fn describe(&self) -> String {
        match self.head {
            HeadKind::Softmax if self.hidden > 0 => format!("softmax with a hidden layer of {} (learning rate {})", self.hidden, self.learning_rate),
            HeadKind::Softmax => format!("softmax (learning rate {})", self.learning_rate),
            HeadKind::Prototype => "prototypes".into(),
            HeadKind::Knn => format!("k nearest neighbours (k = {})", self.k),
        }
    }

    /// `base` with this head and its hyper-parameters.
    pub fn settings(&self, base: &Settings) -> Settings {
        Settings { head: HeadChoice::Fixed(self.head), hidden: self.hidden, learning_rate: self.learning_rate, k: self.k, ..base.clone() }
    }
}

/// What auto tried and chose. Since format 5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoChoice {
    pub candidates: Vec<Candidate>,
    /// Index into `candidates`.
    pub chosen: u32,
    /// Folds of cross-validation; below 2 nothing could be compared and the default was kept.
    pub folds: u32,
    pub seconds: f32,
}

impl AutoChoice {
    /// How long auto keeps trying candidates.
    pub const BUDGET_S: f64 = BUDGET_S;

    pub fn chosen(&self) -> &Candidate {
        &self.candidates[self.chosen as usize]
    }

    /// What auto tried, best first, and what it kept, in words.
    pub fn describe(&self) -> String {
        let chosen = self.chosen().describe();
        if self.folds < 2 {
            return format!("Auto kept {chosen}: every class needs at least 2 captures to compare heads.");
        }
        let mut tried: Vec<&Candidate> = self.candidates.iter().filter(|c| c.accuracy.is_some()).collect();
        tried.sort_by(|a, b| b.accuracy.unwrap_or(0.0).total_cmp(&a.accuracy.unwrap_or(0.0)));
        let scores: Vec<String> = tried.iter().map(|c| format!("{} {:.1} %", c.describe(), c.accuracy.unwrap_or(0.0) * 100.0)).collect();
        let skipped = self.candidates.len() - tried.len();
        let budget = if skipped > 0 { format!("; {skipped} not tried within the {BUDGET_S} s budget") } else { String::new() };
        let kept = match tried.first() {
            Some(top) if self.chosen == 0 && top.accuracy > self.candidates[0].accuracy => {
                format!(" The default is kept: {} leads it by less than one standard error.", top.describe())
            }
            _ => String::new(),
        };
        format!("Auto chose {chosen} by {}-fold cross-validation in {:.1} s: {}{budget}.{kept}", self.folds, self.seconds, scores.join(", "))
    }
}

/// The candidates in the order they are tried: the default head first, the instant heads next
/// (they cost almost nothing), then the slower softmax variants.
fn candidates() -> Vec<Candidate> {
    let default = Settings::default();
    let candidate = |head, hidden, learning_rate, k| Candidate { head, hidden, learning_rate, k, accuracy: None };
    vec![
        candidate(HeadKind::Softmax, 0, default.learning_rate, default.k),
        candidate(HeadKind::Prototype, 0, default.learning_rate, default.k),
        candidate(HeadKind::Knn, 0, default.learning_rate, 1),
        candidate(HeadKind::Knn, 0, default.learning_rate, 3),
        candidate(HeadKind::Knn, 0, default.learning_rate, 5),
        candidate(HeadKind::Knn, 0, default.learning_rate, 10),
        candidate(HeadKind::Softmax, 0, 1e-2, default.k),
        candidate(HeadKind::Softmax, 256, default.learning_rate, default.k),
    ]
}

/// Scores the candidates on `data` by cross-validation, each trained with `base`'s other
/// settings, and picks the best; `progress` hears which one is being tried.
pub async fn choose(data: &Dataset, base: &Settings, device: &Device, run: &mut Run<'_, impl Progress>) -> Result<AutoChoice, Error> {
    let start = now_ms();
    let mut candidates = candidates();
    let k = fewest_captures(&data.labels, &data.captures).min(MAX_FOLDS);
    if k >= 2 {
        let splits = folds(&data.labels, &data.captures, k, base.seed);
        let total = candidates.len();
        for (i, candidate) in candidates.iter_mut().enumerate() {
            if i > 0 && now_ms() - start > BUDGET_S * 1e3 {
                break;
            }
            run.stage(&format!("Auto: trying {} ({} of {total}, {k}-fold cross-validation)", candidate.describe(), i + 1));
            let settings = candidate.settings(base);
            let mut right = 0;
            for split in &splits {
                let fitted = fit(&data.subset(&split.train), candidate.head, &settings, device, &mut run.unreported()).await?;
                let predicted = predict_rows(&DeviceHead::new(&fitted.head, device)?, data, &split.validation, device).await?;
                right += split.validation.iter().zip(&predicted).filter(|(row, p)| data.labels[**row] == **p).count();
                run.pause().await;
            }
            candidate.accuracy = Some(right as f32 / data.len() as f32);
            run.check()?;
        }
    }
    let chosen = best(&candidates, data.len());
    Ok(AutoChoice { candidates, chosen: chosen as u32, folds: k as u32, seconds: ((now_ms() - start) / 1e3) as f32 })
}

/// The best-scoring candidate, by the one-standard-error rule (Breiman et al. 1984): the default
/// (the first) is kept unless the best leads it by more than the standard error of the best's
/// accuracy over `examples`. A few examples per class cannot tell closer heads apart: at 5 digits
/// per class a hidden layer led by one example in 50 and lost 4.7 points on new digits.
fn best(candidates: &[Candidate], examples: usize) -> usize {
    // Strictly better replaces: ties keep the earlier.
    let mut best = 0;
    for (i, c) in candidates.iter().enumerate() {
        if c.accuracy > candidates[best].accuracy {
            best = i;
        }
    }
    match (candidates[0].accuracy, candidates[best].accuracy) {
        (Some(default), Some(top)) if top - default <= standard_error(top, examples) => 0,
        _ => best,
    }
}

/// The standard error of an accuracy `p` measured on `n` examples.
fn standard_error(p: f32, n: usize) -> f32 {
    (p * (1.0 - p) / n.max(1) as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(accuracies: &[f32]) -> Vec<Candidate> {
        candidates().into_iter().zip(accuracies).map(|(c, &a)| Candidate { accuracy: Some(a), ..c }).collect()
    }

    #[test]
    fn the_default_is_kept_unless_another_head_leads_by_more_than_a_standard_error() {
        // One example in 50 ahead (standard error of 0.58 on 50: 0.07): the default stays.
        assert_eq!(best(&scored(&[0.56, 0.40, 0.58]), 50), 0);
        // The same lead on 5,000 examples (standard error 0.007) is evidence.
        assert_eq!(best(&scored(&[0.56, 0.40, 0.58]), 5000), 2);
        // A clear lead on few examples too; the best of several is the one chosen.
        assert_eq!(best(&scored(&[0.40, 0.75, 0.70]), 50), 1);
        let choice = AutoChoice { candidates: scored(&[0.56, 0.40, 0.58]), chosen: 0, folds: 5, seconds: 1.0 };
        assert!(choice.describe().contains("leads it by less than one standard error"), "{}", choice.describe());
    }
}
