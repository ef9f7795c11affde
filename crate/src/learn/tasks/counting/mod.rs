//! Counting and locating objects (FOMO, Edge Impulse 2022): a small classifier runs on every cell
//! of an intermediate feature map of the whole frame and says "background" or which class's
//! object has its centre there; an object is a group of touching cells of its class, found at
//! their probability-weighted centre. Labels are points, not boxes: the centre of each object.
//!
//! `grid` turns points into per-cell targets and cells back into points, `cells` is the
//! per-cell head and its training, `score` matches found points with true ones.

pub mod cells;
pub mod grid;
pub mod score;

use serde::{Deserialize, Serialize};

use crate::backbone::{Backbone, Network};
use crate::device::read_floats;
use crate::learn::examples::store::{Activation, ClassId};
use crate::preprocess::View;
use crate::{Error, Frame};

/// An object's centre: its class, and where, as fractions of the frame's width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub class: ClassId,
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn check(&self) -> Result<(), Error> {
        if !((0.0..=1.0).contains(&self.x) && (0.0..=1.0).contains(&self.y)) {
            return Err(Error::Settings(format!("a point must lie in the frame (x and y between 0 and 1), got ({}, {})", self.x, self.y)));
        }
        Ok(())
    }
}

/// A small picture of the whole frame, for placing and showing points (RGB, row-major).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// The longest side of a stored picture: enough to place points by eye, ~60 KB raw.
pub const PICTURE_SIDE: u32 = 160;

impl Picture {
    pub fn of(frame: Frame<'_>) -> Self {
        let scale = PICTURE_SIDE as f32 / frame.width.max(frame.height) as f32;
        let (width, height) = if scale < 1.0 {
            ((frame.width as f32 * scale).round().max(1.0) as u32, (frame.height as f32 * scale).round().max(1.0) as u32)
        } else {
            (frame.width, frame.height)
        };
        let image = image::RgbaImage::from_raw(frame.width, frame.height, frame.rgba.to_vec()).expect("a frame holds width × height pixels");
        let small = image::imageops::resize(&image, width, height, image::imageops::FilterType::Triangle);
        Self { width, height, rgb: small.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect() }
    }

    /// RGBA bytes for a canvas `ImageData`.
    pub fn rgba(&self) -> Vec<u8> {
        self.rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
    }

    fn fits(&self) -> bool {
        (1..=PICTURE_SIDE).contains(&self.width) && (1..=PICTURE_SIDE).contains(&self.height) && self.rgb.len() == (self.width * self.height * 3) as usize
    }
}

/// What a captured frame keeps for counting, made once at capture: its picture (to place points
/// on), and its whole frame's feature map at the cut (the frozen layers run once). The points
/// themselves change as the user places them and are kept apart. Since format 7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    pub picture: Picture,
    pub map: Activation,
}

impl Scene {
    /// What a frame captured for counting keeps: the frozen layers run once, on the whole frame.
    pub async fn of(backbone: &Backbone, frame: Frame<'_>) -> Result<Self, Error> {
        let cut = cells::cut_block(backbone.network());
        let map = read_floats(backbone.trunk_of(&[frame], cut, View::Whole)?).await?;
        Ok(Self { picture: Picture::of(frame), map: Activation::of(cut, &map) })
    }

    pub fn check(&self, network: &Network) -> Result<(), Error> {
        let [c, h, w] = cells::map_shape(network);
        if self.map.block as usize != cells::cut_block(network) || self.map.values.len() != c * h * w || !self.picture.fits() {
            return Err(Error::Inconsistent("a frame labelled for counting is misshapen".into()));
        }
        Ok(())
    }
}
