//! Scenes to count in, made from real photographs: objects (a cat's face, a cup on its saucer)
//! cut with a soft oval edge and pasted at known points, at varied sizes, on real backgrounds
//! (grass, gravel, brick, a street, a launch pad), several per frame and some frames with none.
//! The frames are 4:3, as a webcam's, so that the whole-frame mapping is exercised.

use image::{Rgba, RgbaImage, imageops};

use super::fixture;

fn photo(name: &str) -> RgbaImage {
    image::open(fixture(name)).unwrap().into_rgba8()
}

/// The classes, and the region of the photo each object is cut from (x, y, width, height).
pub const OBJECTS: [(&str, &str, [u32; 4]); 2] = [("cat", "chelsea.png", [60, 0, 340, 300]), ("cup", "coffee.png", [80, 20, 400, 370])];
const BACKGROUNDS: [&str; 5] = ["grass.png", "gravel.png", "brick.png", "motorcycle_left.png", "rocket.jpg"];
pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 240;
/// Centres are at least this far apart (fractions of the frame), so that objects stay apart.
const APART: f32 = 0.24;

/// A frame and the centres of its objects: (class index into [`OBJECTS`], x, y) as fractions.
pub struct Scene {
    pub image: RgbaImage,
    pub points: Vec<(usize, f32, f32)>,
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f32) as usize).min(n - 1)
    }
}

/// `n` scenes, the same for the same `seed`.
pub fn scenes(n: usize, seed: u64) -> Vec<Scene> {
    let mut rng = Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5);
    let objects: Vec<RgbaImage> = OBJECTS.iter().map(|(_, file, [x, y, w, h])| imageops::crop_imm(&photo(file), *x, *y, *w, *h).to_image()).collect();
    let backgrounds: Vec<RgbaImage> = BACKGROUNDS.iter().map(|file| photo(file)).collect();
    (0..n).map(|_| scene(&mut rng, &objects, &backgrounds)).collect()
}

fn scene(rng: &mut Lcg, objects: &[RgbaImage], backgrounds: &[RgbaImage]) -> Scene {
    let background = &backgrounds[rng.below(backgrounds.len())];
    // A random part of the background, at least half its width, stretched to the frame.
    let scale = 0.5 + 0.5 * rng.next();
    let (w, h) = ((background.width() as f32 * scale) as u32, (background.width() as f32 * scale * 0.75).min(background.height() as f32) as u32);
    let (x0, y0) = (rng.below((background.width() - w + 1) as usize) as u32, rng.below((background.height() - h + 1) as usize) as u32);
    let mut image = imageops::resize(&imageops::crop_imm(background, x0, y0, w, h).to_image(), WIDTH, HEIGHT, imageops::FilterType::Triangle);
    if rng.next() < 0.5 {
        image = imageops::flip_horizontal(&image);
    }
    // 0 to 4 objects, none in about one frame in six.
    let count = match rng.next() {
        p if p < 0.16 => 0,
        p => 1 + ((p - 0.16) / 0.84 * 4.0) as usize,
    }
    .min(4);
    let mut points: Vec<(usize, f32, f32)> = Vec::new();
    for _ in 0..count {
        for _attempt in 0..50 {
            let (x, y) = (0.1 + 0.8 * rng.next(), 0.12 + 0.76 * rng.next());
            if points.iter().all(|&(_, px, py)| (px - x).hypot(py - y) >= APART) {
                let class = rng.below(objects.len());
                paste(&mut image, &objects[class], x, y, rng);
                points.push((class, x, y));
                break;
            }
        }
    }
    Scene { image, points }
}

/// Pastes `object` centred at fractions (x, y), its height 16–24 % of the frame's, in a soft oval.
fn paste(image: &mut RgbaImage, object: &RgbaImage, x: f32, y: f32, rng: &mut Lcg) {
    let height = HEIGHT as f32 * (0.16 + 0.08 * rng.next());
    let width = height * object.width() as f32 / object.height() as f32;
    let mut small = imageops::resize(object, width.round() as u32, height.round() as u32, imageops::FilterType::Triangle);
    if rng.next() < 0.5 {
        small = imageops::flip_horizontal(&small);
    }
    let (cx, cy) = (x * WIDTH as f32, y * HEIGHT as f32);
    let (left, top) = (cx - small.width() as f32 / 2.0, cy - small.height() as f32 / 2.0);
    for (px, py, p) in small.enumerate_pixels() {
        let (u, v) = ((px as f32 + 0.5) / small.width() as f32 * 2.0 - 1.0, (py as f32 + 0.5) / small.height() as f32 * 2.0 - 1.0);
        let r = u.hypot(v);
        let alpha = ((1.0 - r) / 0.15).clamp(0.0, 1.0);
        let (ix, iy) = ((left + px as f32) as i64, (top + py as f32) as i64);
        if alpha == 0.0 || ix < 0 || iy < 0 || ix >= WIDTH as i64 || iy >= HEIGHT as i64 {
            continue;
        }
        let under = image.get_pixel(ix as u32, iy as u32);
        let mix = |a: u8, b: u8| (a as f32 * alpha + b as f32 * (1.0 - alpha)).round() as u8;
        image.put_pixel(ix as u32, iy as u32, Rgba([mix(p[0], under[0]), mix(p[1], under[1]), mix(p[2], under[2]), 255]));
    }
}

/// Writes scenes as a YOLO folder (`images/`, `labels/`, `classes.txt`), boxes around each
/// object (their centres are the points).
pub fn yolo_folder(dir: &std::path::Path, scenes: &[Scene]) -> std::path::PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::create_dir_all(dir.join("labels")).unwrap();
    let names: Vec<&str> = OBJECTS.iter().map(|(name, _, _)| *name).collect();
    std::fs::write(dir.join("classes.txt"), names.join("\n") + "\n").unwrap();
    for (i, s) in scenes.iter().enumerate() {
        s.image.save(dir.join(format!("images/scene{i:03}.png"))).unwrap();
        let lines: String = s.points.iter().map(|(c, x, y)| format!("{c} {x:.6} {y:.6} 0.150000 0.200000\n")).collect();
        // A frame without objects: an empty label file for some, none at all for others.
        if !lines.is_empty() || i % 2 == 0 {
            std::fs::write(dir.join(format!("labels/scene{i:03}.txt")), lines).unwrap();
        }
    }
    dir.to_path_buf()
}
