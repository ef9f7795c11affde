//! The CLI's files: the images of a folder, decoding with bounds, reading a file without trusting
//! its size, and writing outputs so that neither a crash nor a full disk damages what they replace.

use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use glimpse::Session;
use image::{ImageReader, Limits, RgbaImage};

/// The most pixels an image may have: a 50 MP camera's. A small file can claim far more (a
/// 514 KB PNG of 23000² took 8.4 GB to decode), so the size is checked before decoding.
pub const MAX_PIXELS: u64 = 50_000_000;
/// The most bytes a weights file may have (Lite0's are 18.5 MB, Lite2's 24.3 MB).
pub const WEIGHTS_LIMIT: u64 = 512 << 20;

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// The PNG and JPEG files in `dir` (not in its sub-folders, not hidden, not devices or pipes), sorted.
pub fn images_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut images: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.path())
        .filter(|p| p.is_file() && !is_hidden(p))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            ["png", "jpg", "jpeg"].contains(&ext.as_str())
        })
        .collect();
    images.sort();
    Ok(images)
}

/// Class folders of `dir` (sorted by name, hidden ones left out) with their images (sorted).
pub fn labelled_images(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut classes = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if !path.is_dir() || is_hidden(&path) {
            continue;
        }
        let images = images_in(&path)?;
        if images.is_empty() {
            return Err(format!("{} has no PNG or JPEG images", path.display()));
        }
        let name = path.file_name().and_then(|n| n.to_str()).ok_or(format!("{}: a folder name that is not UTF-8 cannot name a class", path.display()))?;
        classes.push((name.to_string(), images));
    }
    classes.sort();
    if classes.is_empty() {
        return Err(format!("{} has no class folders (one sub-folder of images per class)", dir.display()));
    }
    Ok(classes)
}

/// Opens a regular file (not a pipe or a device, which could block or never end).
fn open_regular(path: &Path) -> Result<(File, u64), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    Ok((file, meta.len()))
}

/// The file's bytes, refused beyond `limit`.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let (mut file, length) = open_regular(path)?;
    if length > limit {
        return Err(format!("{}: {length} bytes, more than the {limit} it may have", path.display()));
    }
    let mut bytes = Vec::with_capacity(length as usize);
    file.read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes)
}

/// A project or model file's bytes. Its header is checked against its length before the rest is
/// read, so a foreign or damaged file of any size is refused at once.
pub fn read_project(path: &Path) -> Result<Vec<u8>, String> {
    let (mut file, length) = open_regular(path)?;
    let mut header = vec![0; Session::FILE_HEADER_LEN.min(length as usize)];
    file.read_exact(&mut header).map_err(|e| format!("{}: {e}", path.display()))?;
    Session::check_file(&header, length).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = header;
    file.read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes)
}

/// Checks, without decoding it, that `path` is a PNG or JPEG image of at most [`MAX_PIXELS`]
/// and, for a JPEG, not cut short (which a decoder would fill in silently).
pub fn probe(path: &Path) -> Result<(), String> {
    let name = path.display();
    let (file, _) = open_regular(path)?;
    let reader = ImageReader::new(BufReader::new(file)).with_guessed_format().map_err(|e| format!("{name}: {e}"))?;
    let format = reader.format();
    let (width, height) = reader.into_dimensions().map_err(|e| unreadable(path, &e))?;
    if width as u64 * height as u64 > MAX_PIXELS {
        let megapixels = width as f64 * height as f64 / 1e6;
        return Err(format!("{name}: {width}×{height} is {megapixels:.0} megapixels, more than the {} an image may have", MAX_PIXELS / 1_000_000));
    }
    if format == Some(image::ImageFormat::Jpeg) && !jpeg_ends(path)? {
        return Err(format!("{name}: the JPEG image is cut short (its data ends before the image does)"));
    }
    Ok(())
}

fn unreadable(path: &Path, e: &dyn std::fmt::Display) -> String {
    format!("{}: not a readable PNG or JPEG image ({e})", path.display())
}

/// Decodes a PNG or JPEG file to RGBA8, after [`probe`]: one image's memory at a time, bounded.
pub fn decode(path: &Path) -> Result<RgbaImage, String> {
    probe(path)?;
    let (file, _) = open_regular(path)?;
    let mut reader = ImageReader::new(BufReader::new(file)).with_guessed_format().map_err(|e| format!("{}: {e}", path.display()))?;
    // A second bound, on what the decoder may allocate: the pixels in RGBA, twice over.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 * 2);
    reader.limits(limits);
    Ok(reader.decode().map_err(|e| unreadable(path, &e))?.into_rgba8())
}

/// `image` as a frame for the core.
pub fn frame<'a>(path: &Path, image: &'a RgbaImage) -> Result<glimpse::Frame<'a>, String> {
    glimpse::Frame::new(image.as_raw(), image.width(), image.height()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether a JPEG's last scan is followed by its end marker: in the entropy-coded data a 0xFF
/// byte is always escaped, so `FF D9` after the last `FF DA` (start of scan) is the real end.
fn jpeg_ends(path: &Path) -> Result<bool, String> {
    let bytes = read_bounded(path, MAX_PIXELS * 4)?;
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap_or(0);
    Ok(bytes[last_scan..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// A file the command writes. It goes to a temporary file beside the final one and replaces it
/// only once complete and flushed to disk, so that a kill, a crash or a full disk leaves the
/// previous file whole; the temporary file is removed on any error.
pub struct Output {
    pub path: PathBuf,
    /// Whether an existing file may be replaced (projects always may: they are replaced whole).
    pub replace: bool,
}

impl Output {
    pub fn new(path: PathBuf, replace: bool) -> Self {
        Self { path, replace }
    }

    /// Checks, before the work that leads to it, that the file can be written: its folder exists
    /// and takes a new file, and it is not in the way.
    pub fn check(&self) -> Result<(), String> {
        if self.path.exists() && !self.replace {
            return Err(format!("{} exists: glimpse does not replace a file unless asked (--force)", self.path.display()));
        }
        if self.path.is_dir() {
            return Err(format!("{} is a folder, not a file", self.path.display()));
        }
        let probe = self.temporary();
        File::create(&probe).map_err(|e| format!("{}: cannot write there ({e})", self.path.display()))?;
        let _ = fs::remove_file(&probe);
        Ok(())
    }

    fn temporary(&self) -> PathBuf {
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
    }

    /// Writes `bytes` in full, then puts them in place.
    pub fn write(&self, bytes: &[u8]) -> Result<(), String> {
        let temporary = self.temporary();
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&temporary);
            format!("{}: {e} (any file that was there is unchanged)", self.path.display())
        })
    }
}
