//! Zero-shot classes: names resolved through WordNet to ImageNet classes, predicted before any
//! example is captured, alone and mixed with trained classes, on real photos.

use super::common;

use std::rc::Rc;

use crate::HeadState;
use crate::Quiet;
use crate::backbone::concepts::{LABEL_SENSE, meaning};
use crate::backbone::imagenet::label;
use crate::{ComputeDevice, Error, Frame, Prediction, Session};

fn session() -> Session {
    Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())))
}

fn index(label_start: &str) -> usize {
    (0..1000).find(|&i| label(i).split(", ").any(|l| l == label_start)).unwrap_or_else(|| panic!("no ImageNet label {label_start}"))
}

/// The classes the most common sense of `name` covers.
fn covers(name: &str) -> Vec<usize> {
    meaning(name).unwrap().senses[0].classes.clone()
}

#[test]
fn names_resolve_to_the_imagenet_classes_below_them() {
    // Counts from WordNet 3.0 (see ../shared/notes: dog 118, bird 59, musical instrument 26).
    assert_eq!(covers("dog").len(), 118);
    assert_eq!(covers("bird").len(), 59);
    assert!(covers("bird").contains(&index("goldfinch")) && covers("bird").contains(&index("robin")));
    assert_eq!(covers("musical instrument").len(), 26);
    assert!(!covers("dog").contains(&index("hotdog")), "a hot dog is not a dog");
    assert!(covers("vehicle").contains(&index("minivan")) && !covers("vehicle").contains(&index("tabby")));

    // Multi-word names, case and spacing, plurals by rule and by WordNet's exception list.
    assert_eq!(covers("golden retriever"), vec![index("golden retriever")]);
    assert_eq!(covers("  Golden   Retrievers "), covers("golden retriever"));
    assert_eq!(covers("Musical Instruments"), covers("musical instrument"));
    assert_eq!(covers("birds"), covers("bird"));
    assert_eq!(covers("butterflies"), covers("butterfly"), "-ies → -y");
    assert_eq!(covers("boxes"), covers("box"), "-xes → -x");
    assert_eq!(covers("mice"), covers("mouse"), "irregular plural");
    assert!(covers("mouse").contains(&index("mouse")));
}

#[test]
fn a_word_with_several_senses_offers_each_most_common_first() {
    let cat = meaning("cat").unwrap();
    assert!(cat.senses.len() >= 2, "{cat:#?}");
    // Sense 1 is the true cats (domestic and wild), which cover the house cats.
    assert!(cat.senses[0].classes.contains(&index("tabby")));
    assert!(!cat.senses[0].classes.contains(&index("lion")));
    let big = cat.senses.iter().find(|s| s.description.starts_with("big cat")).expect("the big-cat sense");
    assert!(big.classes.contains(&index("lion")) && big.classes.contains(&index("tiger")));
    assert_eq!(cat.sense(Some(big.id)), big);
    assert_eq!(cat.sense(Some(12345)), &cat.senses[0], "an unknown choice falls back to the first");
    assert!(cat.senses[0].covers.contains("ImageNet classes: "), "{}", cat.senses[0].covers);
}

#[test]
fn labels_find_what_wordnet_files_elsewhere() {
    // ImageNet's "cup" is a punch cup (WordNet's cup sense 6), and its mug is "coffee mug".
    assert!(covers("cup").contains(&index("cup")));
    assert_eq!(covers("mug"), vec![index("coffee mug")]);
    // Label matches are their own sense, offered when they add something.
    let shark = meaning("shark").unwrap();
    assert!(shark.senses[0].classes.contains(&index("great white shark")));
    for m in ["teapot", "cup", "bird"].map(|n| meaning(n).unwrap()) {
        let labels = m.senses.iter().filter(|s| s.id == LABEL_SENSE).count();
        assert!(labels <= 1, "{m:#?}");
    }
}

#[test]
fn unknown_words_get_a_clear_error() {
    for name in ["xyzzy", "", "   ", "Class 1", "qwertyuiop trees"] {
        let e = meaning(name).unwrap_err();
        assert!(matches!(e, Error::NoConcept(_)), "{name:?}: {e}");
        assert!(e.to_string().contains("no ImageNet class matches"), "{e}");
    }
}

fn predict(s: &Session, photo: &str) -> Prediction {
    let image = common::photo(photo);
    let frame = Frame::new(&image.rgba, image.width, image.height).unwrap();
    pollster::block_on(s.predict(&[frame])).unwrap().remove(0)
}

fn best(p: &Prediction) -> String {
    if p.unknown { "unknown".into() } else { p.top().name.clone() }
}

#[test]
fn typed_names_alone_classify_real_photos() {
    let s = session();
    for name in ["cat", "coffee", "rocket", "motorcycle"] {
        s.add_class(Some(name)).unwrap();
    }
    assert_eq!(s.head_state(), HeadState::None);
    assert!(s.unready().is_none(), "every class has a name that resolves: no training needed");
    let mut right = 0;
    for (photo, expected) in [("chelsea.png", "cat"), ("coffee.png", "coffee"), ("rocket.jpg", "rocket"), ("motorcycle_left.png", "motorcycle")] {
        let p = predict(&s, photo);
        let none = p.none.expect("a zero-shot-only project reports 'none of these'");
        let sum: f32 = p.classes.iter().map(|c| c.probability).sum::<f32>() + none;
        assert!(none < p.top().probability, "{p:#?}");
        assert!((sum - 1.0).abs() < 1e-4, "probabilities and 'none' sum to {sum}");
        println!("{photo}: {} ({:.3}, none {none:.3})", best(&p), p.top().probability);
        right += (best(&p) == expected) as usize;
        assert_eq!(best(&p), expected, "{p:#?}");
    }
    println!("zero-shot accuracy on the photos: {right}/4");
}

#[test]
fn a_photo_of_none_of_the_named_things_is_unknown() {
    let s = session();
    s.add_class(Some("dog")).unwrap();
    s.add_class(Some("bird")).unwrap();
    let p = predict(&s, "rocket.jpg");
    assert!(p.unknown && p.best.is_none(), "{p:#?}");
    assert!(p.none.unwrap() > 2.0 * p.top().probability, "{p:#?}");
}

fn capture(s: &Session, class: u32, photo: &str) {
    let image = common::photo(photo);
    let frame = Frame::new(&image.rgba, image.width, image.height).unwrap();
    pollster::block_on(s.capture(class, frame)).unwrap();
}

/// Views (crops, flips) of the photos, made for this test binary alone.
fn views(split: &str, class: &str) -> Vec<String> {
    let root = common::workspace().join("target/fixtures/zero-shot-views").join(split);
    let seed = if split == "train" { 11 } else { 12 };
    let objects: Vec<(&str, &str)> = common::OBJECTS.iter().copied().filter(|(c, _)| *c == class).collect();
    let dir = common::view_folders(&root.join(class), &objects, 4, seed).join(class);
    let mut files: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    files.sort();
    files
}

fn capture_file(s: &Session, class: u32, path: &str) {
    let image = image::open(path).unwrap().into_rgba8();
    let frame = Frame::new(image.as_raw(), image.width(), image.height()).unwrap();
    pollster::block_on(s.capture(class, frame)).unwrap();
}

#[test]
fn zero_shot_and_trained_classes_mix_in_one_project() {
    let s = session();
    let mine = s.add_class(Some("my coffee")).unwrap();
    let launch = s.add_class(Some("launch pad")).unwrap();
    for path in views("train", "coffee") {
        capture_file(&s, mine, &path);
    }
    for path in views("train", "rocket") {
        capture_file(&s, launch, &path);
    }
    s.add_class(Some("cat")).unwrap();
    assert!(matches!(s.unready(), Some(Error::NotTrained)), "two trained classes need a head");
    pollster::block_on(s.train(&mut Quiet)).unwrap();
    assert_eq!(s.head_state(), HeadState::Current, "the empty named class is not the head's business");
    let names: Vec<String> = s.head_classes().unwrap().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["my coffee", "launch pad", "cat"], "trained classes first, then the zero-shot ones");
    assert_eq!(best(&predict(&s, "chelsea.png")), "cat");
    for path in views("test", "coffee") {
        let image = image::open(&path).unwrap().into_rgba8();
        let p = pollster::block_on(s.predict(&[Frame::new(image.as_raw(), image.width(), image.height()).unwrap()])).unwrap().remove(0);
        assert_eq!(best(&p), "my coffee", "{path}: {p:#?}");
        assert!(p.none.is_none());
        assert!((p.classes.iter().map(|c| c.probability).sum::<f32>() - 1.0).abs() < 1e-4);
    }
    assert_eq!(best(&predict(&s, "rocket.jpg")), "launch pad");

    // Adding examples to the named class makes it a trained class: the head must learn it.
    let cat = s.classes()[2].id;
    capture(&s, cat, "chelsea.png");
    assert_eq!(s.head_state(), HeadState::Stale);
    assert!(matches!(s.unready(), Some(Error::StaleHead)));
}

#[test]
fn one_trained_class_beside_named_ones_needs_no_training() {
    let s = session();
    let mine = s.add_class(Some("my coffee")).unwrap();
    capture(&s, mine, "coffee.png");
    s.add_class(Some("cat")).unwrap();
    s.add_class(Some("rocket")).unwrap();
    assert!(s.unready().is_none());
    assert!(matches!(pollster::block_on(s.train(&mut Quiet)), Err(Error::NotEnoughClasses(1))));
    assert_eq!(best(&predict(&s, "chelsea.png")), "cat");
    assert_eq!(best(&predict(&s, "rocket.jpg")), "rocket");
    assert_eq!(best(&predict(&s, "coffee.png")), "my coffee");
    // Its heat map comes from its prototype; the named classes' from ImageNet's classifier.
    let image = common::photo("coffee.png");
    let explained = pollster::block_on(s.explain(&[Frame::new(&image.rgba, image.width, image.height).unwrap()])).unwrap();
    assert_eq!(explained[0].prediction.top().name, "my coffee");
    assert!(explained[0].map.values.iter().any(|v| *v != explained[0].map.values[0]), "a map, not a constant");
}

#[test]
fn an_empty_class_whose_name_matches_nothing_says_so() {
    let s = session();
    s.new_project().unwrap();
    let e = s.unready().unwrap();
    assert!(matches!(&e, Error::EmptyClass(name) if name == "Class 1"), "{e}");
    assert!(e.to_string().contains("no ImageNet class matches its name"), "{e}");
    let e = pollster::block_on(s.train(&mut Quiet)).unwrap_err();
    assert!(matches!(e, Error::EmptyClass(_)), "{e}");
    let empty = Session::new(Rc::new(common::backbone(&ComputeDevice::cpu())));
    assert!(matches!(empty.unready(), Some(Error::NoClasses)));
}

#[test]
fn a_picked_sense_changes_the_prediction_and_is_saved() {
    let s = session();
    let cat = s.add_class(Some("cat")).unwrap();
    s.add_class(Some("motorcycle")).unwrap();
    assert_eq!(best(&predict(&s, "chelsea.png")), "cat");
    let summary = &s.classes()[0];
    assert_eq!(summary.sense, Some(summary.senses[0].id));
    let big = summary.senses.iter().find(|x| x.description.starts_with("big cat")).unwrap().id;
    s.set_sense(cat, big).unwrap();
    assert_eq!(s.classes()[0].sense, Some(big));
    let p = predict(&s, "chelsea.png");
    assert!(p.classes[0].probability < 0.1, "a tabby is no big cat: {p:#?}");
    assert!(s.set_sense(cat, 1).is_err(), "not a sense of the name");

    let reopened = session();
    reopened.open(&s.save()).unwrap();
    assert_eq!(reopened.classes()[0].sense, Some(big), "the choice is in the file");
    reopened.rename_class(cat, "kitten").unwrap();
    reopened.rename_class(cat, "cat").unwrap();
    assert_eq!(reopened.classes()[0].sense, Some(reopened.classes()[0].senses[0].id), "renaming drops the choice");
}

#[test]
fn heat_maps_of_zero_shot_classes_are_imagenets() {
    let s = session();
    s.add_class(Some("cat")).unwrap();
    s.add_class(Some("cup")).unwrap();
    let image = common::photo("chelsea.png");
    let frame = Frame::new(&image.rgba, image.width, image.height).unwrap();
    let explained = pollster::block_on(s.explain(&[frame])).unwrap().remove(0);
    let (top, map) = pollster::block_on(s.backbone().explain_imagenet(&[frame])).unwrap().remove(0);
    assert!(covers("cat").contains(&top.index));
    assert_eq!(explained.prediction.top().name, "cat");
    assert_eq!(explained.map, map, "the map of the ImageNet class that gives 'cat' the most mass");
}
