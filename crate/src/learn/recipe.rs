//! What one training runs, in order. A classifier: auto's search when asked, the head, the
//! negative-transfer check, fine-tuning when asked, then the refit on every example, all on
//! features centred on the examples' mean. An anomaly detector: its fit. A counter: its per-cell
//! head.

use burn::prelude::Device;

use crate::Error;
use crate::backbone::EfficientNet;
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::store::ClassId;
use crate::learn::heads::auto;
use crate::learn::heads::fine_tune::fine_tune;
use crate::learn::heads::fit::{Fitted, fit};
use crate::learn::heads::refit::refit;
use crate::learn::heads::stored::{Head, HeadWeights};
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::{HeadChoice, Settings, Task};
use crate::learn::tasks::anomaly;
use crate::learn::tasks::counting::cells::{self, Frames};
use crate::learn::tasks::negative_transfer::{self, Baselines};
use crate::learn::train::Stop;
use crate::learn::trained::Trained;

/// What a training learns from (see `Project::lessons`).
pub enum Lessons {
    /// Examples' features by class (to classify or to learn what is normal), and what the
    /// negative-transfer check compares the head with.
    Examples { data: Dataset, baselines: Option<Baselines> },
    /// Frames captured for counting, with their objects' centres, and the classes counted.
    Scenes { frames: Frames, classes: Vec<ClassId> },
}

/// Trains what `settings` ask for on `lessons`, on `device`; `model` is the backbone
/// fine-tuning retrains the top of. Takes the lessons: a classifier centres their features in
/// place (a copy would double a fine-tuning's cached activations).
pub async fn train(
    mut lessons: Lessons,
    settings: &Settings,
    model: &EfficientNet,
    device: &Device,
    run: &mut Run<'_, impl Progress>,
) -> Result<Trained, Error> {
    settings.check()?;
    let (data, baselines) = match (&mut lessons, settings.task) {
        (Lessons::Scenes { frames, classes }, Task::Count) => return count(frames, classes, settings, device, run).await,
        (Lessons::Examples { data, baselines }, Task::Classify | Task::SpotAnomalies) => (data, baselines.as_ref()),
        _ => return Err(Error::Inconsistent("the lessons do not fit the task".into())),
    };
    match settings.task {
        Task::Count => unreachable!("counting returned above"),
        Task::SpotAnomalies => {
            let detector = anomaly::fit(data, settings.k, device).await?;
            let head = Head { classes: data.classes.clone(), dim: data.dim as u32, weights: HeadWeights::Anomaly(detector) };
            let fitted = Fitted { head, history: Vec::new(), stop: Stop::Finished, best_epoch: 0, evaluation: None };
            Ok(Trained {
                fitted,
                fine_tuned: None,
                feature_mean: Some(data.mean()),
                transfer: None,
                auto: None,
                counted: None,
                refit: None,
                tuning: None,
                centre: None,
            })
        }
        Task::Classify => {
            // Every head learns from, and reads, features centred on the examples' mean.
            let centre = data.mean();
            data.centre(&centre);
            let data = &*data;
            let (settings, kind, auto) = match settings.head {
                HeadChoice::Fixed(kind) => (settings.clone(), kind, None),
                HeadChoice::Auto => {
                    let choice = auto::choose(data, settings, device, run).await?;
                    let chosen = choice.chosen();
                    (chosen.settings(settings), chosen.head, Some(choice))
                }
            };
            let fitted = fit(data, kind, &settings, device, run).await?;
            let head_epochs = fitted.best_epoch;
            let accuracy = fitted.evaluation.as_ref().map(|e| e.accuracy);
            let transfer = negative_transfer::check(accuracy, baselines, kind, &settings, device, run).await?;
            let feature_mean = Some(centre.clone());
            let mut trained = Trained { fitted, fine_tuned: None, feature_mean, transfer, auto, counted: None, refit: None, tuning: None, centre: None };
            let mut tuned = None;
            if settings.fine_tune > 0 {
                let tuning = fine_tune(trained.fitted, data, &centre, model, &settings, device, run).await?;
                trained.fitted = tuning.fitted;
                trained.fine_tuned = Some(tuning.fine_tuned);
                trained.tuning = tuning.check;
                if let Some(mean) = tuning.feature_mean {
                    trained.feature_mean = Some(mean);
                }
                tuned = Some(tuning.again);
            }
            refit(&mut trained, head_epochs, tuned.as_ref(), data, model, &settings, device, run).await?;
            trained.centre = Some(centre);
            Ok(trained)
        }
    }
}

async fn count(frames: &Frames, classes: &[ClassId], settings: &Settings, device: &Device, run: &mut Run<'_, impl Progress>) -> Result<Trained, Error> {
    let counted = cells::train(frames, classes, settings, cells::RECIPE, device, run).await?;
    let head = Head { classes: classes.to_vec(), dim: frames.shape[0] as u32, weights: HeadWeights::Cells(counted.cells) };
    let fitted = Fitted { head, history: counted.history, stop: counted.stop, best_epoch: counted.best_epoch, evaluation: None };
    Ok(Trained {
        fitted,
        fine_tuned: None,
        feature_mean: None,
        transfer: None,
        auto: None,
        counted: counted.evaluation,
        refit: None,
        tuning: None,
        centre: None,
    })
}
