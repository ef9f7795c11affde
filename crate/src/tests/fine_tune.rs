//! Fine-tuning the top of the backbone with the rest frozen: gradients, freezing, the cached
//! activations, and projects that keep their fine-tuned layers.

use super::common;

use std::rc::Rc;

use crate::backbone::EfficientNet;
use crate::backbone::LITE0;
use crate::backbone::top::{self, Top, TopWeights};
use crate::device::read_floats;
use crate::learn::examples::store::Activation;
use crate::project::Project;
use crate::{ComputeDevice, Error, Session};
use crate::{HeadChoice, Quiet, Settings};
use burn::prelude::*;
use common::{PHOTOS, max_abs_diff, photo};

fn floats(t: Tensor<4>) -> Vec<f32> {
    pollster::block_on(read_floats(t)).unwrap()
}

/// A fixed random input and readout, so that the loss `Σ features · r` is a smooth function of
/// the weights (away from ReLU6's kinks) whose gradient autodiff and finite differences both give.
fn loss_of(top: &Top, x: Tensor<4>, r: &Tensor<2>) -> Tensor<1> {
    (top.features(x) * r.clone()).sum()
}

#[test]
fn gradients_of_the_trainable_layers_match_finite_differences() {
    let device = Device::flex();
    let model = EfficientNet::new(&LITE0, &device);
    let depth = 2; // block 16 (1×1 expansion, 3×3 depthwise, 1×1 projection) and the head conv
    let base = pollster::block_on(Top::of(&model, depth).unwrap().weights()).unwrap();
    let [c, h, w] = top::boundary_shape(&LITE0, top::first_block(&LITE0, depth));
    let x = Tensor::<4>::random([2, c, h, w], burn::tensor::Distribution::Uniform(0.0, 1.0), &device);
    let r = Tensor::<2>::random([2, 1280], burn::tensor::Distribution::Uniform(-1.0, 1.0), &device);

    let autodiff = device.clone().autodiff();
    let top = Top::of(&model, depth).unwrap().trainable_on(&autodiff);
    let loss = loss_of(&top, x.clone().to_device(&autodiff), &r.clone().to_device(&autodiff));
    let grads = loss.backward();
    let block = &top.blocks[0];
    let analytic = [
        ("1×1 expansion weight", 0, block.expand.as_ref().unwrap().weight.val().grad(&grads)),
        ("depthwise weight", 2, block.depthwise.weight.val().grad(&grads)),
        ("head conv weight", 6, top.head.weight.val().grad(&grads)),
    ];
    let bias = [("depthwise bias", 3, block.depthwise.bias.as_ref().unwrap().val().grad(&grads))];

    let loss_with = |weights: &TopWeights| {
        let top = Top::load(&model, weights, &device, false).unwrap();
        pollster::block_on(read_floats(loss_of(&top, x.clone(), &r))).unwrap()[0]
    };
    let mut checked = 0;
    let mut compare = |name: &str, tensor: usize, gradient: Vec<f32>| {
        // The coordinates with the largest gradients, where f32 differences are most precise.
        let mut order: Vec<usize> = (0..gradient.len()).collect();
        order.sort_by(|&a, &b| gradient[b].abs().total_cmp(&gradient[a].abs()));
        for &i in &order[..3] {
            let eps = 1e-2 * base.tensors[tensor][i].abs().max(0.1);
            let shifted = |by: f32| {
                let mut w = base.clone();
                w.tensors[tensor][i] += by;
                loss_with(&w)
            };
            let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
            let error = (numeric - gradient[i]).abs() / gradient[i].abs().max(1e-3);
            assert!(error < 2e-2, "{name}[{i}]: autodiff {} vs finite differences {numeric}", gradient[i]);
            checked += 1;
        }
    };
    for (name, tensor, g) in analytic {
        compare(name, tensor, floats(g.expect("a trainable weight has a gradient")));
    }
    for (name, tensor, g) in bias {
        compare(name, tensor, pollster::block_on(read_floats(g.expect("a trainable bias has a gradient"))).unwrap());
    }
    assert_eq!(checked, 12);
}

/// Photos 0 and 1 as two classes, 8 views each, captured with fine-tuning at `depth`. Nothing is
/// held out, so that fine-tuning is kept (with a held-out split, the head alone already reaches
/// a validation loss of 4e-4 on two so distinct photos and fine-tuning is rightly dropped).
fn captured_session(depth: u32) -> Session {
    let session = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    let settings = Settings { fine_tune: depth, epochs: 4, validation_fraction: 0.0, ..Settings::default() };
    session.set_settings(settings).unwrap();
    for name in &PHOTOS[..2] {
        let class = session.add_class(Some(name)).unwrap();
        for view in common::views(name, 8, 3) {
            let frame = crate::Frame::new(view.as_raw(), view.width(), view.height()).unwrap();
            pollster::block_on(session.capture(class, frame)).unwrap();
        }
    }
    session
}

#[test]
fn fine_tuning_changes_only_the_top_and_the_project_keeps_it() {
    let session = captured_session(2);
    let model = session.backbone().model();
    let frozen_before = floats(model.blocks[14].project.weight.val());
    let summary = pollster::block_on(session.train(&mut Quiet)).unwrap();
    let fine_tuned = summary.fine_tuned.expect("the settings asked for fine-tuning");
    assert_eq!(fine_tuned.depth, 2);
    assert!(summary.history.len() as u32 >= fine_tuned.first_epoch, "fine-tuning epochs follow the head's");

    // Frozen layers are bit-identical; the retrained ones moved.
    assert_eq!(floats(model.blocks[14].project.weight.val()), frozen_before, "a frozen block changed");
    let project = session.project().clone();
    let trained = project.trained.as_ref().unwrap().fine_tuned.clone().unwrap();
    let tuned = trained.top.expect("without a held-out split the last epoch is kept");
    let original = pollster::block_on(Top::of(model, 2).unwrap().weights()).unwrap();
    assert_eq!(tuned.tensors.len(), original.tensors.len());
    for (i, (a, b)) in tuned.tensors.iter().zip(&original.tensors).enumerate() {
        assert!(max_abs_diff(a, b) > 0.0, "trainable tensor {i} did not change");
    }

    // Save → open → the same probabilities, through the fine-tuned layers.
    let frames: Vec<_> = PHOTOS.iter().map(|p| photo(p)).collect();
    let frames: Vec<_> = frames.iter().map(|i| i.frame()).collect();
    let before = pollster::block_on(session.predict(&frames)).unwrap();
    let bytes = session.save();
    let reopened = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    reopened.open(&bytes).unwrap();
    let after = pollster::block_on(reopened.predict(&frames)).unwrap();
    for (a, b) in before.iter().zip(&after) {
        let p = |x: &crate::Prediction| x.classes.iter().map(|c| c.probability).collect::<Vec<_>>();
        assert_eq!(p(a), p(b), "a reopened project predicts differently");
    }
    // The fine-tuned top is what predicts: the original layers with the same head differ.
    let mut without = project.clone();
    without.trained.as_mut().unwrap().fine_tuned = None;
    let plain = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    plain.open(&without.to_bytes(&LITE0)).unwrap();
    let differs = pollster::block_on(plain.predict(&frames)).unwrap();
    assert!(differs.iter().zip(&before).any(|(a, b)| max_abs_diff(
        &a.classes.iter().map(|c| c.probability).collect::<Vec<_>>(),
        &b.classes.iter().map(|c| c.probability).collect::<Vec<_>>()
    ) > 1e-4));

    // Damaged fine-tuned weights are refused with their own message, and nothing changes.
    for damage in [
        |w: &mut TopWeights| {
            w.tensors[4].truncate(10);
        },
        |w: &mut TopWeights| {
            w.tensors.pop();
        },
    ] {
        let mut bad = project.clone();
        damage(bad.trained.as_mut().unwrap().fine_tuned.as_mut().unwrap().top.as_mut().unwrap());
        let error = reopened.open(&bad.to_bytes(&LITE0)).unwrap_err().to_string();
        assert!(error.contains("fine-tuned layers' weights"), "{error}");
    }
    assert_eq!(reopened.save(), bytes, "a refused file changed the open project");

    // The model-only export carries the layers, not the cached activations.
    let model_only = session.export_model().unwrap();
    let (_, opened) = Project::default().open(&model_only, &LITE0).unwrap();
    assert!(opened.activations.is_empty());
    assert_eq!(opened.trained.unwrap().fine_tuned.unwrap().top.unwrap(), tuned);
}

#[test]
fn fine_tuning_works_on_every_example_captured_since_format_3_and_names_those_it_cannot_use() {
    // Captured with fine-tuning off, the examples still keep the 7×7 boundary: depths 1–5 work.
    let session = captured_session(0);
    assert_eq!(session.project().activations.len(), 16);
    assert!(session.project().activations.values().all(|a| a.values.len() * 2 == 18_816), "19 KB per example in f16");
    session.set_settings(Settings { fine_tune: 1, epochs: 2, ..session.settings() }).unwrap();
    let summary = pollster::block_on(session.train(&mut Quiet)).unwrap();
    assert_eq!(summary.fine_tuned.unwrap().depth, 1);
    // Depth 6 starts below that boundary.
    session.set_settings(Settings { fine_tune: 6, ..session.settings() }).unwrap();
    let error = pollster::block_on(session.train(&mut Quiet)).unwrap_err();
    assert!(matches!(error, Error::NotCached { missing: 16, total: 16, depth: 6, .. }), "{error}");
    assert!(error.to_string().contains("while 6 layers are chosen"), "{error}");
    // Examples from a file without activations (as format 2 wrote them) cannot be fine-tuned.
    let mut older = session.project().clone();
    older.activations.clear();
    older.settings.fine_tune = 2;
    session.open(&older.to_bytes(&LITE0)).unwrap();
    let error = pollster::block_on(session.train(&mut Quiet)).unwrap_err();
    assert!(matches!(error, Error::NotCached { missing: 16, total: 16, depth: 2, .. }), "{error}");
    assert!(session.project().trained.as_ref().unwrap().fine_tuned.as_ref().unwrap().depth == 1, "a refused training keeps the last one");
    // Captured with 6 layers chosen, depth 6 trains.
    let session = captured_session(6);
    assert!(session.project().activations.values().all(|a| a.values.len() * 2 == 43_904), "44 KB per example at depth 6");
    session.set_settings(Settings { epochs: 1, ..session.settings() }).unwrap();
    assert_eq!(pollster::block_on(session.train(&mut Quiet)).unwrap().fine_tuned.unwrap().depth, 6);
    // Refused settings name the problem.
    let error = session.set_settings(Settings { fine_tune: 2, head: HeadChoice::Fixed(crate::HeadKind::Prototype), ..Settings::default() });
    assert!(error.unwrap_err().to_string().contains("softmax head"));
    assert!(session.set_settings(Settings { fine_tune: 7, ..Settings::default() }).is_err());
}

#[test]
fn f16_activations_give_the_features_of_f32_ones() {
    let backbone = common::backbone(&ComputeDevice::cpu());
    let frames: Vec<_> = PHOTOS.iter().map(|p| photo(p)).collect();
    let frames: Vec<_> = frames.iter().map(|i| i.frame()).collect();
    for depth in [1, 6] {
        let block = top::cached_block(&LITE0, depth);
        let trunk = floats(backbone.trunk(&frames, block).unwrap());
        let [c, h, w] = top::boundary_shape(&LITE0, block);
        let rounded: Vec<f32> = trunk.chunks(c * h * w).flat_map(|a| Activation::of(block, a).floats()).collect();
        let features = |values: Vec<f32>| {
            let x = Tensor::<4>::from_data(TensorData::new(values, [frames.len(), c, h, w]), backbone.device());
            let x = backbone.model().blocks_between(x, block, top::first_block(&LITE0, depth));
            let top = Top::of(backbone.model(), depth).unwrap();
            pollster::block_on(read_floats(top.features(x))).unwrap()
        };
        let (exact, half) = (features(trunk), features(rounded));
        let scale = exact.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let error = max_abs_diff(&exact, &half);
        println!("depth {depth}: features from f16 activations differ by {error:.2e} (largest feature {scale:.2})");
        assert!(error < 1e-3 * scale.max(1.0), "depth {depth}: {error}");
    }
}

/// With examples held out, the refit trains the head and the kept layers again on every example,
/// for the epochs the held-out run kept; the held-out scores stay those of the run before it.
#[test]
fn the_refit_learns_from_every_example_with_the_epochs_held_out_ones_chose() {
    let trained = |refit: bool| {
        let session = captured_session(1);
        // No dropout: both runs' held-out halves are then the same computation.
        let settings = Settings { validation_fraction: 0.25, dropout: 0.0, refit, ..session.settings() };
        session.set_settings(settings).unwrap();
        let summary = pollster::block_on(session.train(&mut Quiet)).unwrap();
        (summary, session.project().trained.clone().unwrap(), session.example_ids().len())
    };
    let (once, plain, _) = trained(false);
    let (summary, refit, examples) = trained(true);
    assert!(once.refit.is_none() && plain.refit.is_none(), "refit off: the held-out run's model is kept");
    let done = summary.refit.expect("refit on, with examples held out");
    let fine_tuned = summary.fine_tuned.as_ref().unwrap();
    let check = fine_tuned.check.expect("the keep decision rests on held-out scores");
    assert_eq!(check.kept(), fine_tuned.kept);
    // The head's kept epoch, by `train::fit`'s rule: the last to lower the held-out loss by 1e-4.
    let mut head_best = (f32::INFINITY, 0);
    for e in summary.history.iter().filter(|e| e.epoch < fine_tuned.first_epoch) {
        if e.validation_loss.unwrap() < head_best.0 - 1e-4 {
            head_best = (e.validation_loss.unwrap(), e.epoch);
        }
    }
    assert_eq!(done.examples as usize, examples, "every example, the held-out ones among them");
    assert_eq!(done.head_epochs, head_best.1, "the head's epochs: up to the best on the held-out examples");
    assert_eq!(done.tune_epochs, if fine_tuned.kept { summary.best_epoch + 1 - fine_tuned.first_epoch } else { 0 });
    assert_eq!(summary.evaluation, once.evaluation, "the held-out score is that of the run before the refit");
    assert_eq!(summary.history, once.history);
    assert!(summary.report.outcome.contains(&format!("learned from all {examples} examples")), "{}", summary.report.outcome);
    let weights = |t: &crate::learn::trained::Trained| match &t.fitted.head.weights {
        crate::learn::heads::stored::HeadWeights::Softmax { output, .. } => output.weight.clone(),
        _ => unreachable!("a softmax head"),
    };
    assert!(max_abs_diff(&weights(&refit), &weights(&plain)) > 1e-6, "the refit head is the held-out run's");
    if fine_tuned.kept {
        let top = |t: &crate::learn::trained::Trained| t.fine_tuned.clone().unwrap().top.unwrap().tensors;
        assert!(top(&refit).iter().zip(top(&plain)).any(|(a, b)| max_abs_diff(a, &b) > 1e-6), "the retrained layers were not trained again");
    }
}
