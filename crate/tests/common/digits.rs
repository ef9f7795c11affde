//! scikit-learn's handwritten digits (`target/fixtures/digits.csv`, from `tests/fixtures/fetch.sh`)
//! drawn as `tests/quality/digits_folders.py` draws them, and the camera shift `dark,cast` of
//! `tests/quality/shift.py`: a real labelled set under a realistic shift, for the adaptation
//! tests natively and in the browser. No file system here, so that `web.rs` can include it.

use glimpse::Image;

/// (digit, 64 values 0..16) per row of the CSV, in file order.
pub fn parse(csv: &str) -> Vec<(usize, Vec<u8>)> {
    csv.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut values: Vec<u8> = line.split(',').map(|v| v.trim().parse::<f32>().unwrap() as u8).collect();
            let digit = values.pop().unwrap() as usize;
            (digit, values)
        })
        .collect()
}

/// Per digit, the rows `from..from + n` of that digit (in file order): disjoint sets for
/// disjoint ranges.
pub fn take(digits: &[(usize, Vec<u8>)], from: usize, n: usize) -> Vec<(usize, &[u8])> {
    (0..10).flat_map(|d| digits.iter().filter(move |(l, _)| *l == d).skip(from).take(n).map(|(l, v)| (*l, v.as_slice()))).collect()
}

/// A digit drawn dark on light, 64×64 by pixel replication; under-exposed (×0.45) in warm
/// tungsten light (red ×1.15, green ×0.95, blue ×0.65) when `other_camera`.
pub fn render(values: &[u8], other_camera: bool) -> Image {
    let mut rgba = Vec::with_capacity(64 * 64 * 4);
    for y in 0..64 {
        for x in 0..64 {
            let grey = (255 - values[(y / 8) * 8 + x / 8] as u32 * 255 / 16) as f32;
            for gain in [1.15f32, 0.95, 0.65] {
                let v = if other_camera { grey * 0.45 * gain } else { grey };
                rgba.push(v.round().clamp(0.0, 255.0) as u8);
            }
            rgba.push(255);
        }
    }
    Image { rgba, width: 64, height: 64 }
}
