//! The 1000 ImageNet class names, in the classifier's output order.

const LABELS: &str = include_str!("../../../models/imagenet-labels.txt");

/// The label of ImageNet class `index` (0..1000), e.g. "tabby, tabby cat".
pub fn label(index: usize) -> &'static str {
    LABELS.lines().nth(index).unwrap_or("?")
}

/// One prediction of the pretrained classifier.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImagenetClass {
    pub index: usize,
    pub label: &'static str,
    pub probability: f32,
}

/// Softmax of one row of logits.
pub fn probabilities(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// The `k` most probable classes of one row of logits, most probable first.
pub fn top_k(logits: &[f32], k: usize) -> Vec<ImagenetClass> {
    let p = probabilities(logits);
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    order.into_iter().take(k).map(|index| ImagenetClass { index, label: label(index), probability: p[index] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_a_thousand_labels_in_order() {
        assert_eq!(LABELS.lines().count(), 1000);
        assert_eq!(label(0), "tench, Tinca tinca");
        assert!(label(281).starts_with("tabby"));
        assert!(label(388).starts_with("giant panda"));
        assert!(label(999).starts_with("toilet tissue"));
    }

    #[test]
    fn top_k_is_a_sorted_softmax() {
        let mut logits = vec![0.0; 1000];
        logits[7] = 3.0;
        logits[3] = 2.0;
        let top = top_k(&logits, 2);
        assert_eq!((top[0].index, top[1].index), (7, 3));
        let z = 3f32.exp() + 2f32.exp() + 998.0;
        assert!((top[0].probability - 3f32.exp() / z).abs() < 1e-6);
    }
}
