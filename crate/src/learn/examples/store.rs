//! The classes a user names and the examples captured for each: a feature per example (what the
//! heads learn from) and a thumbnail (what the page shows). Raw frames are not kept.

use std::collections::HashMap;

use image::{RgbaImage, imageops};
use serde::{Deserialize, Serialize};

use crate::backbone::{FEATURE_DIM, Network, top};
use crate::{Error, Frame};

pub type ClassId = u32;
pub type ExampleId = u32;

/// Side of the square thumbnails, in pixels.
pub const THUMBNAIL_SIZE: u32 = 48;

/// A small RGB picture of an example's centre crop (48×48×3 bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub rgb: Vec<u8>,
}

impl Thumbnail {
    pub fn of(frame: Frame<'_>) -> Self {
        let (x0, y0, side) = frame.centre_square();
        let crop = RgbaImage::from_fn(side, side, |x, y| {
            let i = (((y0 + y) * frame.width + x0 + x) * 4) as usize;
            image::Rgba([frame.rgba[i], frame.rgba[i + 1], frame.rgba[i + 2], 255])
        });
        let small = imageops::resize(&crop, THUMBNAIL_SIZE, THUMBNAIL_SIZE, imageops::FilterType::Triangle);
        Self { rgb: small.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect() }
    }

    /// RGBA bytes for a canvas `ImageData`.
    pub fn rgba(&self) -> Vec<u8> {
        self.rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub id: ExampleId,
    /// The capture this example comes from: its own id, or the original's for augmented views.
    /// Views of one capture always land on the same side of a train/validation split.
    pub capture: ExampleId,
    pub feature: Vec<f32>,
    pub thumbnail: Thumbnail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub id: ClassId,
    pub name: String,
    pub examples: Vec<Example>,
}

/// A feature and thumbnail ready to be stored (the output of capture, before it has an id).
#[derive(Debug, Clone)]
pub struct Captured {
    pub feature: Vec<f32>,
    pub thumbnail: Thumbnail,
    /// What the frozen layers computed at the boundary fine-tuning reads.
    pub activation: Option<Activation>,
}

/// An example's activation at the input of block `block` (see `backbone::top`), kept so that
/// fine-tuning runs the frozen layers once per example rather than once per epoch. Stored in
/// f16: half the memory and file size of f32, and fine-tuned features within 1e-3 of those
/// from f32 (measured in `tests/fine_tune.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    pub block: u32,
    /// f16 bits, `channels × side × side`.
    pub values: Vec<u16>,
}

impl Activation {
    pub fn of(block: usize, values: &[f32]) -> Self {
        Self { block: block as u32, values: values.iter().map(|&v| half::f16::from_f32(v).to_bits()).collect() }
    }

    pub fn floats(&self) -> Vec<f32> {
        self.values.iter().map(|&v| half::f16::from_bits(v).to_f32()).collect()
    }

    /// Refuses a block fine-tuning never caches at or values of the wrong count.
    pub fn check(&self, network: &Network) -> Result<(), Error> {
        let cached = [top::cached_block(network, 1), top::cached_block(network, top::MAX_DEPTH)];
        let ok = cached.contains(&(self.block as usize)) && self.values.len() == top::boundary_shape(network, self.block as usize).iter().product::<usize>();
        if ok { Ok(()) } else { Err(Error::Inconsistent(format!("a cached activation (block {}) is misshapen", self.block))) }
    }
}

/// Classes in display order, each with its examples. Ids are never reused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Examples {
    classes: Vec<Class>,
    next_id: u32,
}

impl Examples {
    pub fn classes(&self) -> &[Class] {
        &self.classes
    }

    pub fn class(&self, id: ClassId) -> Result<&Class, Error> {
        self.classes.iter().find(|c| c.id == id).ok_or(Error::NoSuchClass(id))
    }

    fn position(&self, id: ClassId) -> Result<usize, Error> {
        self.classes.iter().position(|c| c.id == id).ok_or(Error::NoSuchClass(id))
    }

    fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn check_name(&self, name: &str, except: Option<ClassId>) -> Result<String, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::ClassName("a class needs a name".into()));
        }
        if name.chars().count() > 100 {
            return Err(Error::ClassName("class names are at most 100 characters".into()));
        }
        // Tabs and line breaks would break every line-based output (the CLI's, a CSV).
        if name.chars().any(char::is_control) {
            return Err(Error::ClassName("class names cannot hold tabs, line breaks or other control characters".into()));
        }
        if self.classes.iter().any(|c| Some(c.id) != except && c.name == name) {
            return Err(Error::ClassName(format!("there is already a class named {name:?}")));
        }
        Ok(name.to_string())
    }

    /// Whether `name` is one that [`Examples::unused_name`] gives: the user has not named it.
    pub fn is_unnamed(name: &str) -> bool {
        name.strip_prefix("Class ").is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    }

    /// "Class N" with the smallest N from the class count up that no class is named yet: the
    /// name a class gets when the user has not named it.
    pub fn unused_name(&self) -> String {
        (self.classes.len() + 1..).map(|n| format!("Class {n}")).find(|name| self.classes.iter().all(|c| &c.name != name)).expect("some number is free")
    }

    pub fn add_class(&mut self, name: &str) -> Result<ClassId, Error> {
        let name = self.check_name(name, None)?;
        let id = self.fresh_id();
        self.classes.push(Class { id, name, examples: Vec::new() });
        Ok(id)
    }

    pub fn rename_class(&mut self, id: ClassId, name: &str) -> Result<(), Error> {
        let name = self.check_name(name, Some(id))?;
        let at = self.position(id)?;
        self.classes[at].name = name;
        Ok(())
    }

    /// Removes a class with its examples and returns it with its position, so that the caller
    /// can offer an undo through [`Examples::restore_class`].
    pub fn delete_class(&mut self, id: ClassId) -> Result<(usize, Class), Error> {
        let at = self.position(id)?;
        Ok((at, self.classes.remove(at)))
    }

    pub fn restore_class(&mut self, position: usize, class: Class) -> Result<(), Error> {
        if self.position(class.id).is_ok() {
            return Err(Error::ClassName(format!("class {} is already there", class.id)));
        }
        self.check_name(&class.name, None)?;
        let position = position.min(self.classes.len());
        self.classes.insert(position, class);
        Ok(())
    }

    /// Moves a class to `position` in the display order.
    pub fn move_class(&mut self, id: ClassId, position: usize) -> Result<(), Error> {
        let class = self.classes.remove(self.position(id)?);
        let position = position.min(self.classes.len());
        self.classes.insert(position, class);
        Ok(())
    }

    pub fn clear_class(&mut self, id: ClassId) -> Result<(), Error> {
        let at = self.position(id)?;
        self.classes[at].examples.clear();
        Ok(())
    }

    /// Stores the views of one capture (the original first) in a class; returns their ids.
    pub fn add(&mut self, class: ClassId, views: Vec<Captured>) -> Result<Vec<ExampleId>, Error> {
        let at = self.position(class)?;
        if let Some(bad) = views.iter().find(|v| v.feature.len() != FEATURE_DIM) {
            return Err(Error::Inconsistent(format!("a feature has {} values, expected {FEATURE_DIM}", bad.feature.len())));
        }
        let mut ids = Vec::with_capacity(views.len());
        let mut capture = None;
        for view in views {
            let id = self.fresh_id();
            let capture = *capture.get_or_insert(id);
            self.classes[at].examples.push(Example { id, capture, feature: view.feature, thumbnail: view.thumbnail });
            ids.push(id);
        }
        Ok(ids)
    }

    pub fn delete_example(&mut self, id: ExampleId) -> Result<(), Error> {
        for class in &mut self.classes {
            if let Some(at) = class.examples.iter().position(|e| e.id == id) {
                class.examples.remove(at);
                return Ok(());
            }
        }
        Err(Error::NoSuchExample(id))
    }

    /// Moves an example to another class.
    pub fn move_example(&mut self, id: ExampleId, to: ClassId) -> Result<(), Error> {
        let target = self.position(to)?;
        let (class, at) = self
            .classes
            .iter()
            .enumerate()
            .find_map(|(c, class)| class.examples.iter().position(|e| e.id == id).map(|at| (c, at)))
            .ok_or(Error::NoSuchExample(id))?;
        let example = self.classes[class].examples.remove(at);
        self.classes[target].examples.push(example);
        Ok(())
    }

    pub fn example(&self, id: ExampleId) -> Result<&Example, Error> {
        self.classes.iter().flat_map(|c| &c.examples).find(|e| e.id == id).ok_or(Error::NoSuchExample(id))
    }

    pub fn example_count(&self) -> usize {
        self.classes.iter().map(|c| c.examples.len()).sum()
    }

    /// Drops every example but keeps the classes (the "model only" export).
    pub fn without_examples(&self) -> Self {
        let classes = self.classes.iter().map(|c| Class { id: c.id, name: c.name.clone(), examples: Vec::new() }).collect();
        Self { classes, next_id: self.next_id }
    }

    /// The classes with each example's id and capture only (the page's stored skeleton).
    pub fn hollow(&self) -> Self {
        let mut hollow = self.without_examples();
        for (to, from) in hollow.classes.iter_mut().zip(&self.classes) {
            to.examples =
                from.examples.iter().map(|e| Example { id: e.id, capture: e.capture, feature: Vec::new(), thumbnail: Thumbnail { rgb: Vec::new() } }).collect();
        }
        hollow
    }

    /// Puts each hollow example's contents back; fails on one without a record or whose record
    /// says it came from another capture.
    pub fn fill(&mut self, mut contents: HashMap<ExampleId, Example>) -> Result<(), Error> {
        for class in &mut self.classes {
            for e in &mut class.examples {
                let full =
                    contents.remove(&e.id).ok_or_else(|| Error::Inconsistent(format!("example {} of “{}” is missing from storage", e.id, class.name)))?;
                if full.capture != e.capture {
                    return Err(Error::Inconsistent(format!("example {}'s record belongs to another capture", e.id)));
                }
                *e = full;
            }
        }
        Ok(())
    }

    /// Checks what a file could have got wrong: ids unique and below the counter, features of
    /// the right length and finite, thumbnails of the right size, names valid and unique.
    pub fn validate(&self) -> Result<(), Error> {
        let mut ids = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for class in &self.classes {
            if class.name.trim().is_empty() || !names.insert(class.name.as_str()) {
                return Err(Error::Inconsistent(format!("class name {:?} is empty or repeated", class.name)));
            }
            for id in std::iter::once(class.id).chain(class.examples.iter().map(|e| e.id)) {
                if id == 0 || id > self.next_id || !ids.insert(id) {
                    return Err(Error::Inconsistent(format!("id {id} is repeated or out of range")));
                }
            }
            for e in &class.examples {
                if e.feature.len() != FEATURE_DIM || e.feature.iter().any(|v| !v.is_finite()) {
                    return Err(Error::Inconsistent(format!("example {} has a malformed feature", e.id)));
                }
                if e.thumbnail.rgb.len() != (THUMBNAIL_SIZE * THUMBNAIL_SIZE * 3) as usize {
                    return Err(Error::Inconsistent(format!("example {} has a malformed thumbnail", e.id)));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(value: f32) -> Captured {
        Captured { feature: vec![value; FEATURE_DIM], thumbnail: Thumbnail { rgb: vec![0; 48 * 48 * 3] }, activation: None }
    }

    #[test]
    fn classes_and_examples_keep_order_and_ids() {
        let mut ex = Examples::default();
        let a = ex.add_class("apple").unwrap();
        let b = ex.add_class(" banana ").unwrap();
        assert_eq!(ex.class(b).unwrap().name, "banana");
        assert!(ex.add_class("apple").is_err(), "duplicate names are refused");
        assert!(ex.add_class("  ").is_err());
        assert!(ex.add_class("tab\tname").is_err() && ex.add_class("two\nlines").is_err(), "control characters are refused");
        let ids = ex.add(a, vec![captured(1.0), captured(2.0)]).unwrap();
        assert_eq!(ex.example(ids[1]).unwrap().capture, ids[0], "a view points at its capture");
        ex.move_class(b, 0).unwrap();
        assert_eq!(ex.classes()[0].id, b);
        ex.rename_class(a, "pear").unwrap();
        let (at, removed) = ex.delete_class(a).unwrap();
        assert!(matches!(ex.add(a, vec![captured(0.0)]), Err(Error::NoSuchClass(_))));
        ex.restore_class(at, removed).unwrap();
        assert_eq!(ex.example_count(), 2);
        ex.delete_example(ids[0]).unwrap();
        assert!(matches!(ex.delete_example(ids[0]), Err(Error::NoSuchExample(_))));
        let c = ex.add_class("cherry").unwrap();
        assert!(c > ids[1], "ids are never reused");
        ex.clear_class(a).unwrap();
        assert_eq!(ex.example_count(), 0);
        ex.validate().unwrap();
    }

    #[test]
    fn an_unnamed_class_gets_the_first_free_class_number() {
        let mut ex = Examples::default();
        assert_eq!(ex.unused_name(), "Class 1");
        ex.add_class("Class 2").unwrap();
        assert_eq!(ex.unused_name(), "Class 3", "counting starts after the classes there are");
        ex.add_class("Class 3").unwrap();
        ex.add_class("x").unwrap();
        assert_eq!(ex.unused_name(), "Class 4");
        ex.add_class("Class 4").unwrap();
        assert_eq!(ex.unused_name(), "Class 5");
    }

    #[test]
    fn a_thumbnail_is_the_centre_crop() {
        // Left third red, middle third green, right third blue: the centre square is green.
        let (w, h) = (90u32, 30u32);
        let rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| match (i % w) / 30 {
                0 => [255, 0, 0, 255],
                1 => [0, 255, 0, 255],
                _ => [0, 0, 255, 255],
            })
            .collect();
        let t = Thumbnail::of(Frame::new(&rgba, w, h).unwrap());
        assert_eq!(t.rgb.len(), 48 * 48 * 3);
        assert!(t.rgb.chunks(3).all(|p| p == [0, 255, 0]));
    }
}
