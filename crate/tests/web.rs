//! In a real browser (`wasm-pack test --headless --chrome` / `--firefox`): the backbone runs on
//! WebGPU and on the CPU fallback compiled to wasm, and both agree with each other and with
//! ImageNet on a real photo.
#![cfg(target_family = "wasm")]

use std::rc::Rc;

#[path = "common/digits.rs"]
mod digits;
#[path = "common/quadrant.rs"]
mod quadrant;

use glimpse::{Backbone, Backend, ComputeDevice, Frame, LITE0, LITE2, Session};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

static WEIGHTS: &[u8] = include_bytes!("../../models/efficientnet-lite0.bpk");
static LITE2_WEIGHTS: &[u8] = include_bytes!("../../models/efficientnet-lite2.bpk");
static CAT: &[u8] = include_bytes!("../../target/fixtures/chelsea.png");
static COFFEE: &[u8] = include_bytes!("../../target/fixtures/coffee.png");
static DIGITS: &str = include_str!("../../target/fixtures/digits.csv");

fn decode(png: &[u8]) -> (Vec<u8>, u32, u32) {
    let image = image::load_from_memory(png).unwrap().into_rgba8();
    let (w, h) = image.dimensions();
    (image.into_raw(), w, h)
}

/// A reproducible pattern, so that one input is not a natural image.
fn pattern(width: u32, height: u32) -> Vec<u8> {
    (0..width * height).flat_map(|i| [(i % 251) as u8, (i / 7 % 253) as u8, (i * 13 % 255) as u8, 255]).collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[wasm_bindgen_test]
async fn webgpu_and_cpu_fallback_agree_on_real_photos() {
    let gpu = ComputeDevice::wgpu().await.expect("this browser offers no WebGPU adapter");
    assert_eq!(gpu.backend, Backend::Wgpu);
    console_log!("WebGPU adapter: {} (software: {})", gpu.adapter, gpu.software);

    let (cat, cw, ch) = decode(CAT);
    let (coffee, fw, fh) = decode(COFFEE);
    let odd = pattern(300, 200);
    let frames = [Frame::new(&cat, cw, ch).unwrap(), Frame::new(&coffee, fw, fh).unwrap(), Frame::new(&odd, 300, 200).unwrap()];

    let on_gpu = Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &gpu).unwrap();
    let on_cpu = Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &ComputeDevice::cpu()).unwrap();
    let gpu_features = on_gpu.features(&frames).await.unwrap();
    let cpu_features = on_cpu.features(&frames).await.unwrap();
    let diff = max_abs_diff(&gpu_features, &cpu_features);
    console_log!("max |webgpu - cpu| feature difference: {diff:.2e}");
    assert!(diff <= 1e-3, "WebGPU and CPU features differ by {diff}");

    let top = on_gpu.imagenet_top_k(&frames[..2], 1).await.unwrap();
    assert!([281, 282, 283, 285].contains(&top[0][0].index), "cat photo seen as {:?}", top[0][0]);
    assert_eq!(top[1][0].index, 967, "coffee photo seen as {:?}", top[1][0]);
}

/// Lite2's 260-pixel input and odd map sides (65, 33, 17, 9) through WebGPU's kernels.
#[wasm_bindgen_test]
async fn lite2_on_webgpu_agrees_with_the_cpu() {
    let gpu = ComputeDevice::wgpu().await.expect("this browser offers no WebGPU adapter");
    let (cat, cw, ch) = decode(CAT);
    let odd = pattern(300, 200);
    let frames = [Frame::new(&cat, cw, ch).unwrap(), Frame::new(&odd, 300, 200).unwrap()];
    let on_gpu = Backbone::load(&LITE2, LITE2_WEIGHTS, "efficientnet-lite2.bpk", &gpu).unwrap();
    let on_cpu = Backbone::load(&LITE2, LITE2_WEIGHTS, "efficientnet-lite2.bpk", &ComputeDevice::cpu()).unwrap();
    let diff = max_abs_diff(&on_gpu.features(&frames).await.unwrap(), &on_cpu.features(&frames).await.unwrap());
    console_log!("Lite2: max |webgpu - cpu| feature difference: {diff:.2e}");
    assert!(diff <= 1e-3, "WebGPU and CPU features differ by {diff}");
    let top = on_gpu.imagenet_top_k(&frames[..1], 1).await.unwrap();
    assert!([281, 282, 283, 285].contains(&top[0][0].index), "cat photo seen as {:?}", top[0][0]);
}

#[wasm_bindgen_test]
async fn the_webgpu_device_is_initialised_once() {
    let first = ComputeDevice::wgpu().await.expect("no WebGPU adapter");
    let second = ComputeDevice::wgpu().await.expect("second initialisation failed");
    assert_eq!(first.adapter, second.adapter);
}

#[wasm_bindgen_test]
fn bad_input_is_refused_in_the_browser() {
    let cpu = ComputeDevice::cpu();
    let err = Backbone::load(&LITE0, &WEIGHTS[..1000], "cut.bpk", &cpu).unwrap_err().to_string();
    assert!(err.starts_with("weights file cut.bpk:"), "{err}");
    let err = Frame::new(&[0; 10], 2, 2).unwrap_err().to_string();
    assert!(err.contains("2×2"), "{err}");
}

static ASTRONAUT: &[u8] = include_bytes!("../../target/fixtures/astronaut.png");
/// Written by the native CLI test (`glimpse train`), which the test command runs first.
static CLI_PROJECT: &[u8] = include_bytes!("../../target/fixtures/cli-project.glimpse");
static CLI_TEST_COFFEE: &[u8] = include_bytes!("../../target/fixtures/views/test/coffee/00.png");
static CLI_TEST_CAT: &[u8] = include_bytes!("../../target/fixtures/views/test/cat/01.png");
// Written by the CLI test `train_fine_tunes_the_top_layers_and_eval_and_predict_use_them`.
static CLI_TUNED: &[u8] = include_bytes!("../../target/fixtures/fine-tune/tuned.glimpse");
static CLI_TUNED_PREDICTED: &str = include_str!("../../target/fixtures/fine-tune/predicted.tsv");
static CLI_TUNED_IMAGES: [&[u8]; 3] = [
    include_bytes!("../../target/fixtures/fine-tune/test/cat/00.png"),
    include_bytes!("../../target/fixtures/fine-tune/test/coffee/00.png"),
    include_bytes!("../../target/fixtures/fine-tune/test/rocket/00.png"),
];

/// A crop of `(x, y, w, h)` fractions of a photo.
fn crop(photo: &(Vec<u8>, u32, u32), frac: [f32; 4]) -> (Vec<u8>, u32, u32) {
    let image = image::RgbaImage::from_raw(photo.1, photo.2, photo.0.clone()).unwrap();
    let [x, y, w, h] = frac;
    let (x, y) = ((x * photo.1 as f32) as u32, (y * photo.2 as f32) as u32);
    let (w, h) = ((w * photo.1 as f32) as u32, (h * photo.2 as f32) as u32);
    let c = image::imageops::crop_imm(&image, x, y, w, h).to_image();
    let (w, h) = c.dimensions();
    (c.into_raw(), w, h)
}

/// Captures two crops (plus their mirror images) of three photos, trains the softmax head on
/// `device`, and checks a third, unseen crop of each; then a save/open round trip.
async fn learns_three_objects_on(device: ComputeDevice, fine_tune: u32) {
    use glimpse::{Quiet, Settings};

    let backbone = Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &device).unwrap());
    let photos = [("cat", decode(CAT)), ("coffee", decode(COFFEE)), ("astronaut", decode(ASTRONAUT))];
    let session = Session::new(backbone.clone());
    let augment = glimpse::Augment { flip: true, ..Default::default() };
    let settings = Settings { validation_fraction: 0.0, epochs: 30, augment, fine_tune, ..Settings::default() };
    session.set_settings(settings).unwrap();
    let mut ids = Vec::new();
    for (name, photo) in &photos {
        let class = session.add_class(Some(name)).unwrap();
        ids.push(class);
        for frac in [[0.0, 0.0, 0.8, 0.8], [0.2, 0.15, 0.8, 0.85]] {
            let (rgba, w, h) = crop(photo, frac);
            let added = session.capture(class, Frame::new(&rgba, w, h).unwrap()).await.unwrap();
            assert_eq!(added.ids.len(), 2, "the capture and its mirror");
        }
    }
    let trained = session.train(&mut Quiet).await.unwrap();
    let last = trained.history.last().unwrap().clone();
    console_log!("{:?}: {} epochs, last train loss {:.4}, accuracy {}", device.backend, trained.history.len(), last.train_loss, last.train_accuracy);
    assert!(last.train_loss < trained.history[0].train_loss);
    assert_eq!(trained.fine_tuned.map(|f| (f.depth, f.kept)), (fine_tune > 0).then_some((fine_tune, true)));

    let unseen: Vec<_> = photos.iter().map(|(_, p)| crop(p, [0.1, 0.1, 0.75, 0.75])).collect();
    let frames: Vec<Frame> = unseen.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h).unwrap()).collect();
    let predictions = session.predict(&frames).await.unwrap();
    for (p, id) in predictions.iter().zip(&ids) {
        assert_eq!(p.best, Some(*id), "{p:?}");
    }

    let reopened = Session::new(backbone);
    reopened.open(&session.save()).unwrap();
    let again = reopened.predict(&frames).await.unwrap();
    for (a, b) in predictions.iter().zip(&again) {
        assert_eq!(a.best, b.best);
        for (x, y) in a.classes.iter().zip(&b.classes) {
            assert!((x.probability - y.probability).abs() < 1e-5);
        }
    }
}

#[wasm_bindgen_test]
async fn learns_three_objects_on_webgpu() {
    learns_three_objects_on(ComputeDevice::wgpu().await.expect("no WebGPU adapter"), 0).await;
}

#[wasm_bindgen_test]
async fn learns_three_objects_on_the_cpu_fallback() {
    learns_three_objects_on(ComputeDevice::cpu(), 0).await;
}

/// Fine-tuning in the browser: the head conv retrained on the CPU fallback (WebGPU on a software
/// adapter would take minutes), kept, and identical after a save/open round trip.
#[wasm_bindgen_test]
async fn fine_tunes_three_objects_on_the_cpu_fallback() {
    learns_three_objects_on(ComputeDevice::cpu(), 1).await;
}

/// Fine-tuning the same examples with the same seed on WebGPU and on the CPU fallback gives the
/// same predictions. Dropout is off (each backend draws its own random numbers); what remains is
/// the order of floating-point sums, which two epochs amplify a little: bounded by 1e-3.
#[wasm_bindgen_test]
async fn webgpu_and_cpu_fine_tune_to_the_same_predictions() {
    use glimpse::{Quiet, Settings};
    let photos = [decode(CAT), decode(COFFEE), decode(ASTRONAUT)];
    let mut unseen: Vec<_> = photos.iter().map(|p| crop(p, [0.1, 0.1, 0.75, 0.75])).collect();
    // An unnatural image too, whose probabilities do not saturate.
    unseen.push((pattern(160, 120), 160, 120));
    let frames: Vec<Frame> = unseen.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h).unwrap()).collect();
    let (mut probabilities, mut losses) = (Vec::new(), Vec::new());
    for device in [ComputeDevice::cpu(), ComputeDevice::wgpu().await.expect("no WebGPU adapter")] {
        let session = Session::new(Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &device).unwrap()));
        let settings = Settings { fine_tune: 1, epochs: 2, dropout: 0.0, validation_fraction: 0.0, ..Settings::default() };
        session.set_settings(settings).unwrap();
        for (i, photo) in photos.iter().enumerate() {
            let class = session.add_class(Some(&format!("object {i}"))).unwrap();
            for frac in [[0.0, 0.0, 0.8, 0.8], [0.2, 0.15, 0.8, 0.85]] {
                let (rgba, w, h) = crop(photo, frac);
                session.capture(class, Frame::new(&rgba, w, h).unwrap()).await.unwrap();
            }
        }
        let summary = session.train(&mut Quiet).await.unwrap();
        assert!(summary.fine_tuned.unwrap().kept);
        let p = session.predict(&frames).await.unwrap();
        probabilities.push(p.iter().flat_map(|p| p.classes.iter().map(|c| c.probability).collect::<Vec<_>>()).collect::<Vec<f32>>());
        losses.push(summary.history.iter().map(|e| e.train_loss).collect::<Vec<f32>>());
    }
    let diff = max_abs_diff(&probabilities[0], &probabilities[1]);
    // Every epoch, the head's and fine-tuning's, went the same way on both devices.
    let loss_diff = max_abs_diff(&losses[0], &losses[1]);
    let bound = 1e-3;
    console_log!("fine-tuned on WebGPU vs the CPU fallback: max probability difference {diff:.2e}, epoch losses {loss_diff:.2e} (bound {bound:.0e})");
    assert!(diff <= 1e-3, "{diff}");
    assert!(loss_diff <= bound, "{loss_diff}");
}

/// A project fine-tuned by the CLI predicts in the browser what the CLI printed, within 1e-3,
/// on the CPU fallback and on WebGPU.
#[wasm_bindgen_test]
async fn a_project_fine_tuned_by_the_cli_predicts_the_same_in_the_browser() {
    let images: Vec<_> = CLI_TUNED_IMAGES.iter().map(|png| decode(png)).collect();
    let frames: Vec<Frame> = images.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h).unwrap()).collect();
    let expected: Vec<(&str, f32)> = CLI_TUNED_PREDICTED
        .lines()
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            (fields[1], fields[2].parse().unwrap())
        })
        .collect();
    for device in [ComputeDevice::cpu(), ComputeDevice::wgpu().await.expect("no WebGPU adapter")] {
        let backend = device.backend;
        let session = Session::new(Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &device).unwrap()));
        session.open(CLI_TUNED).unwrap();
        assert!(session.last_training().unwrap().fine_tuned.unwrap().kept);
        let predictions = session.predict(&frames).await.unwrap();
        for (p, (class, probability)) in predictions.iter().zip(&expected) {
            let top = p.top();
            console_log!("{backend:?}: {} {:.6} (CLI {class} {probability:.6})", top.name, top.probability);
            assert_eq!(top.name, *class);
            assert!((top.probability - probability).abs() <= 1e-3, "{backend:?}: {} vs the CLI's {probability}", top.probability);
        }
    }
}

#[wasm_bindgen_test]
async fn a_project_trained_by_the_cli_opens_in_the_browser() {
    let backbone = Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &ComputeDevice::cpu()).unwrap();
    let session = Session::new(Rc::new(backbone));
    session.open(CLI_PROJECT).unwrap();
    let names: Vec<String> = session.classes().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["cat", "coffee", "rocket"]);
    let (coffee, cw, ch) = decode(CLI_TEST_COFFEE);
    let (cat, aw, ah) = decode(CLI_TEST_CAT);
    let frames = [Frame::new(&coffee, cw, ch).unwrap(), Frame::new(&cat, aw, ah).unwrap()];
    let p = session.predict(&frames).await.unwrap();
    let best = |i: usize| session.classes().into_iter().find(|c| Some(c.id) == p[i].best).unwrap().name;
    assert_eq!((best(0).as_str(), best(1).as_str()), ("coffee", "cat"));
    // A damaged copy is refused in the browser too, with the same message as natively.
    let err = session.open(&CLI_PROJECT[..CLI_PROJECT.len() - 1]).unwrap_err().to_string();
    assert!(err.starts_with("project file: the file is cut short"), "{err}");
}

/// The ImageNet heat map of a photo placed in each quadrant of a canvas peaks in that quadrant,
/// on WebGPU and on the CPU fallback.
#[wasm_bindgen_test]
async fn heat_maps_peak_where_the_photo_is() {
    let (cat, w, h) = decode(CAT);
    let photo = image::RgbaImage::from_raw(w, h, cat).unwrap();
    for device in [ComputeDevice::cpu(), ComputeDevice::wgpu().await.expect("no WebGPU adapter")] {
        let backbone = Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &device).unwrap();
        for q in 0..4 {
            let canvas = quadrant::in_quadrant(&photo, q);
            let frame = Frame::new(canvas.as_raw(), canvas.width(), canvas.height()).unwrap();
            let (class, map) = backbone.explain_imagenet(&[frame]).await.unwrap().remove(0);
            let (x, y) = map.peak(canvas.width(), canvas.height());
            console_log!("{:?} quadrant {q}: {} peaks at ({x:.2}, {y:.2})", device.backend, class.label);
            assert!([281, 282, 283, 285].contains(&class.index), "quadrant {q}: seen as {}", class.label);
            assert_eq!(quadrant::quadrant_of(x, y), q, "{:?} quadrant {q}: the peak is at ({x}, {y})", device.backend);
        }
    }
}

/// A project mixing two trained classes and a zero-shot one, on the CPU fallback and on
/// WebGPU: each photo gets its class, the named one without examples; and typed names alone.
#[wasm_bindgen_test]
async fn zero_shot_classes_mix_with_trained_ones() {
    use glimpse::{Quiet, Settings};

    for device in [ComputeDevice::cpu(), ComputeDevice::wgpu().await.unwrap()] {
        let backbone = Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &device).unwrap());
        let session = Session::new(backbone.clone());
        session.set_settings(Settings { validation_fraction: 0.0, epochs: 20, ..Settings::default() }).unwrap();
        let coffee = decode(COFFEE);
        let astronaut = decode(ASTRONAUT);
        for (name, photo) in [("my coffee", &coffee), ("astronaut", &astronaut)] {
            let class = session.add_class(Some(name)).unwrap();
            for frac in [[0.0, 0.0, 0.8, 0.8], [0.2, 0.15, 0.8, 0.85]] {
                let (rgba, w, h) = crop(photo, frac);
                session.capture(class, Frame::new(&rgba, w, h).unwrap()).await.unwrap();
            }
        }
        session.add_class(Some("cats")).unwrap();
        session.train(&mut Quiet).await.unwrap();
        let cat = decode(CAT);
        let photos = [&cat, &coffee, &astronaut];
        let frames: Vec<Frame> = photos.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h).unwrap()).collect();
        let names: Vec<String> = session.predict(&frames).await.unwrap().iter().map(|p| p.top().name.clone()).collect();
        console_log!("{:?}: mixed project predicts {names:?}", device.backend);
        assert_eq!(names, ["cats", "my coffee", "astronaut"]);

        let named = Session::new(backbone);
        named.add_class(Some("cat")).unwrap();
        named.add_class(Some("coffee")).unwrap();
        let p = named.predict(&frames[..2]).await.unwrap();
        assert_eq!(p.iter().map(|p| p.top().name.as_str()).collect::<Vec<_>>(), ["cat", "coffee"]);
        assert!(p.iter().all(|p| !p.unknown && p.none.is_some()));
    }
}

/// Adapting to another camera in the browser, on a real labelled set (as `tests/adapt.rs` does
/// natively): scikit-learn's digits, 10 per digit to train, 20 others shown by an under-exposed,
/// warm-lit camera to test, 10 more from it unlabelled to adapt with. On the CPU path; the
/// adapted project then predicts the same on WebGPU.
#[wasm_bindgen_test]
async fn adapting_to_another_camera_recovers_accuracy_on_the_cpu_path_and_webgpu_agrees() {
    use digits::{parse, render, take};
    use glimpse::{Quiet, Settings};

    let rows = parse(DIGITS);
    let images = |from, n, shifted| -> Vec<(usize, glimpse::Image)> {
        take(&rows, from, n).into_iter().map(|(label, values)| (label, render(values, shifted))).collect()
    };
    let cpu = Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &ComputeDevice::cpu()).unwrap());
    let session = Session::new(cpu);
    session.set_settings(Settings { validation_fraction: 0.0, ..Settings::default() }).unwrap();
    let classes: Vec<u32> = (0..10).map(|d| session.add_class(Some(&d.to_string())).unwrap()).collect();
    for (label, image) in images(0, 10, false) {
        session.capture(classes[label], image.frame()).await.unwrap();
    }
    session.train(&mut Quiet).await.unwrap();
    let test = images(10, 20, true);
    let frames: Vec<Frame> = test.iter().map(|(_, i)| i.frame()).collect();
    let accuracy =
        |predictions: &[glimpse::Prediction]| test.iter().zip(predictions).filter(|((label, _), p)| p.top_index() == *label).count() as f32 / test.len() as f32;
    let before = accuracy(&session.predict(&frames).await.unwrap());
    let unlabelled = images(30, 10, true);
    let unlabelled: Vec<Frame> = unlabelled.iter().map(|(_, i)| i.frame()).collect();
    let features = session.features(&unlabelled).await.unwrap();
    let summary = session.adapt(&features, js_sys::Date::now()).unwrap();
    assert_eq!(summary.frames, 100);
    let adapted = session.predict(&frames).await.unwrap();
    let after = accuracy(&adapted);
    console_log!("digits from another camera: accuracy {before:.3} before adapting, {after:.3} after");
    assert!(after >= before + 0.05, "adapting did not recover accuracy: {before} → {after}");

    let gpu = Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", &ComputeDevice::wgpu().await.expect("no WebGPU adapter")).unwrap());
    let on_gpu = Session::new(gpu);
    on_gpu.open(&session.save()).unwrap();
    let some = &frames[..4];
    let gpu_predictions = on_gpu.predict(some).await.unwrap();
    for (a, b) in gpu_predictions.iter().zip(&adapted) {
        let p = |x: &glimpse::Prediction| x.classes.iter().map(|c| c.probability).collect::<Vec<_>>();
        let diff = max_abs_diff(&p(a), &p(b));
        assert!(diff <= 1e-3, "WebGPU and the CPU path predict an adapted project differently by {diff}");
    }
}

// Written by the CLI test `a_counter_trains_on_a_yolo_folder_and_eval_and_predict_find_the_objects`:
// its counter, the first 24 of its test scenes and their objects (`scene class x y`).
static COUNTER: &[u8] = include_bytes!("../../target/fixtures/counting/counter.glimpse");
static COUNTER_POINTS: &str = include_str!("../../target/fixtures/counting/test-points.tsv");
macro_rules! scenes {
    ($($n:literal)*) => { [$(include_bytes!(concat!("../../target/fixtures/counting/test/images/scene0", $n, ".png")) as &[u8]),*] };
}
static COUNTER_SCENES: [&[u8]; 24] =
    scenes!("00" "01" "02" "03" "04" "05" "06" "07" "08" "09" "10" "11" "12" "13" "14" "15" "16" "17" "18" "19" "20" "21" "22" "23");

/// The CLI's counter finds the objects of its test scenes on WebGPU and on the CPU path alike
/// (F1 ≥ 0.9), and a counter retrained on WebGPU from the project's stored maps does too.
#[wasm_bindgen_test]
async fn a_counter_finds_the_objects_on_webgpu_and_the_cpu_path_and_trains_on_webgpu() {
    use glimpse::{Point, Prediction, Quiet};

    let images: Vec<_> = COUNTER_SCENES.iter().map(|png| decode(png)).collect();
    let frames: Vec<Frame> = images.iter().map(|(rgba, w, h)| Frame::new(rgba, *w, *h).unwrap()).collect();
    let open = |device: &ComputeDevice| {
        let session = Session::new(Rc::new(Backbone::load(&LITE0, WEIGHTS, "efficientnet-lite0.bpk", device).unwrap()));
        session.open(COUNTER).unwrap();
        session
    };
    let f1 = |session: &Session, predictions: &[Prediction]| {
        let ids: Vec<u32> = session.classes().iter().map(|c| c.id).collect();
        let mut truth = vec![Vec::new(); frames.len()];
        for line in COUNTER_POINTS.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let scene: usize = f[0].parse().unwrap();
            if scene < truth.len() {
                truth[scene].push(Point { class: ids[f[1].parse::<usize>().unwrap()], x: f[2].parse().unwrap(), y: f[3].parse().unwrap() });
            }
        }
        session.evaluate_counts(&truth, predictions).unwrap().f1
    };
    let cpu = open(&ComputeDevice::cpu());
    let gpu = open(&ComputeDevice::wgpu().await.expect("no WebGPU adapter"));
    let on_cpu = cpu.predict(&frames).await.unwrap();
    let mut on_gpu = Vec::new();
    for batch in frames.chunks(8) {
        on_gpu.extend(gpu.predict(batch).await.unwrap());
    }
    let (cpu_f1, gpu_f1) = (f1(&cpu, &on_cpu), f1(&gpu, &on_gpu));
    console_log!("the CLI's counter on {} scenes: F1 {cpu_f1:.3} on the CPU path, {gpu_f1:.3} on WebGPU", frames.len());
    assert!(cpu_f1 >= 0.9 && gpu_f1 >= 0.9, "F1 {cpu_f1} (CPU path), {gpu_f1} (WebGPU)");
    for (a, b) in on_cpu.iter().zip(&on_gpu) {
        let (a, b) = (a.objects.as_ref().unwrap(), b.objects.as_ref().unwrap());
        assert_eq!(a.len(), b.len(), "{a:?} against {b:?}");
        for (a, b) in a.iter().zip(b) {
            assert!(a.class == b.class && (a.x - b.x).abs() <= 1e-3 && (a.y - b.y).abs() <= 1e-3 && (a.score - b.score).abs() <= 1e-3, "{a:?} against {b:?}");
        }
    }

    let trained = gpu.train(&mut Quiet).await.unwrap();
    let mut again = Vec::new();
    for batch in frames.chunks(8) {
        again.extend(gpu.predict(batch).await.unwrap());
    }
    let (held_out, retrained) = (trained.counted.unwrap().f1, f1(&gpu, &again));
    console_log!("retrained on WebGPU in {} epochs: F1 {held_out:.3} on its held-out frames, {retrained:.3} on the scenes", trained.history.len());
    assert!(held_out >= 0.9 && retrained >= 0.9, "F1 {held_out} (held out), {retrained} (scenes)");
}
