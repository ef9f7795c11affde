//! A photo placed in one quadrant of a plain canvas, for the heat-map tests (native and browser).

/// `photo` centred in quadrant `q` (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right)
/// of a grey square canvas twice its longer side, so that the network sees the whole canvas.
pub fn in_quadrant(photo: &image::RgbaImage, q: u32) -> image::RgbaImage {
    let half = photo.width().max(photo.height());
    let mut canvas = image::RgbaImage::from_pixel(2 * half, 2 * half, image::Rgba([128, 128, 128, 255]));
    let (x, y) = ((q % 2) * half + (half - photo.width()) / 2, (q / 2) * half + (half - photo.height()) / 2);
    image::imageops::overlay(&mut canvas, photo, x as i64, y as i64);
    canvas
}

/// The quadrant (as above) that the point `(x, y)`, in fractions of the canvas, lies in.
pub fn quadrant_of(x: f32, y: f32) -> u32 {
    (x >= 0.5) as u32 + 2 * (y >= 0.5) as u32
}
