//! What one training runs, in order. A classifier: auto's search when asked, the head, the
//! negative-transfer check, then fine-tuning when asked. A detector: its fit.

use burn::prelude::Device;

use crate::Error;
use crate::backbone::Lite0;
use crate::learn::examples::dataset::Dataset;
use crate::learn::heads::auto;
use crate::learn::heads::fine_tune::fine_tune;
use crate::learn::heads::fit::{Fitted, fit};
use crate::learn::heads::stored::{Head, HeadWeights};
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::{HeadChoice, Settings, Task};
use crate::learn::tasks::anomaly;
use crate::learn::tasks::negative_transfer::{self, Baselines};
use crate::learn::train::Stop;
use crate::learn::trained::Trained;

/// Trains what `settings` ask for on `data` (see `Project::dataset`), on `device`; `model` is the
/// backbone fine-tuning retrains the top of; `baselines` feed the negative-transfer check.
pub async fn train(
    data: &Dataset,
    baselines: Option<&Baselines>,
    settings: &Settings,
    model: &Lite0,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Trained, Error> {
    settings.check()?;
    match settings.task {
        Task::SpotAnomalies => {
            let detector = anomaly::fit(data, settings.k, device).await?;
            let head = Head { classes: data.classes.clone(), dim: data.dim as u32, weights: HeadWeights::Anomaly(detector) };
            let fitted = Fitted { head, history: Vec::new(), stop: Stop::Finished, best_epoch: 0, evaluation: None };
            Ok(Trained { fitted, fine_tuned: None, feature_mean: Some(data.mean()), transfer: None, auto: None })
        }
        Task::Classify => {
            let (settings, kind, auto) = match settings.head {
                HeadChoice::Fixed(kind) => (settings.clone(), kind, None),
                HeadChoice::Auto => {
                    let choice = auto::choose(data, settings, device, run).await?;
                    let chosen = choice.chosen();
                    (chosen.settings(settings), chosen.head, Some(choice))
                }
            };
            let fitted = fit(data, kind, &settings, device, run).await?;
            let accuracy = fitted.evaluation.as_ref().map(|e| e.accuracy);
            let transfer = negative_transfer::check(accuracy, baselines, kind, &settings, device, run).await?;
            let mut trained = Trained { fitted, fine_tuned: None, feature_mean: Some(data.mean()), transfer, auto };
            if settings.fine_tune > 0 {
                let tuning = fine_tune(trained.fitted, data, model, &settings, device, run).await?;
                trained.fitted = tuning.fitted;
                trained.fine_tuned = Some(tuning.fine_tuned);
                if let Some(mean) = tuning.feature_mean {
                    trained.feature_mean = Some(mean);
                }
            }
            Ok(trained)
        }
    }
}
