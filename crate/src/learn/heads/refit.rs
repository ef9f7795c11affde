//! Learning from every example: once the held-out split has chosen what it chooses (the head's
//! epochs; whether fine-tuning pays, and its epochs), the softmax head, and the retrained layers
//! when kept, train again on every example with those choices (the usual refit, as
//! scikit-learn's searches do). At 10 examples per class, the fifth held out cost the head about
//! two points (issue 34). The held-out scores stay those of the model that did not see them.

use burn::prelude::Device;

use crate::Error;
use crate::backbone::EfficientNet;
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::split::Split;
use crate::learn::heads::fine_tune::{Retune, retune};
use crate::learn::heads::softmax;
use crate::learn::heads::stored::HeadWeights;
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::Settings;
use crate::learn::trained::{Refit, Trained};

/// Retrains `trained` on every example of `data` when `settings.refit` asks, its head is a
/// softmax (the instant heads already keep every example) and some examples were held out.
/// `head_epochs` is the head's best epoch on the held-out split; `tuned`, what fine-tuning kept.
pub async fn refit(
    trained: &mut Trained,
    head_epochs: u32,
    tuned: Option<&Retune>,
    data: &Dataset,
    model: &EfficientNet,
    settings: &Settings,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<(), Error> {
    let softmax = matches!(trained.fitted.head.weights, HeadWeights::Softmax { .. });
    if !settings.refit || !softmax || trained.fitted.evaluation.is_none() {
        return Ok(());
    }
    let head_epochs = head_epochs.max(1);
    let tuned = tuned.filter(|t| t.epochs > 0);
    let tune_epochs = tuned.map_or(0, |t| t.epochs);
    let fine_tuning = if tune_epochs > 0 { format!(", then {tune_epochs} of fine-tuning") } else { String::new() };
    run.stage(&format!("Learning from all {} examples: {head_epochs} epochs of the head{fine_tuning}, as the held-out ones chose", data.len()));
    let every = Split::every(data.len());
    let head_settings = Settings { epochs: head_epochs, ..settings.clone() };
    let head = softmax::train(data, &every, &head_settings, device, &mut run.unreported()).await?;
    trained.fitted.head.weights = head.net.weights().await?;
    if let Some(again) = tuned {
        let (head, top, mean) = retune(&trained.fitted.head.weights, again, data, model, settings, device, &mut run.unreported()).await?;
        trained.fitted.head.weights = head;
        trained.feature_mean = Some(mean);
        if let Some(fine_tuned) = &mut trained.fine_tuned {
            fine_tuned.top = Some(top);
        }
    }
    trained.refit = Some(Refit { examples: data.len() as u32, head_epochs, tune_epochs });
    Ok(())
}
