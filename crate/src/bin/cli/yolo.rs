//! The YOLO layout that labelling tools export, read for counting: `images/`, `labels/` (one
//! `.txt` per image, same stem, lines `class cx cy w h` in fractions of the image; a box gives its
//! centre; no file or an empty one means no objects) and `classes.txt` (one name a line), or
//! Ultralytics' `data.yaml` with `names:` instead.

use std::path::{Path, PathBuf};

use super::files::{images_in, read_bounded};

/// Label and class files are text of a few KB; anything larger is not one.
const TEXT_LIMIT: u64 = 16 << 20;

/// A labelled folder: the class names, and each image with its objects' centres (class index,
/// x, y as fractions of the image's width and height).
pub struct Labelled {
    pub classes: Vec<String>,
    pub images: Vec<(PathBuf, Vec<(usize, f32, f32)>)>,
}

pub fn read(dir: &Path) -> Result<Labelled, String> {
    let classes = class_names(dir)?;
    let images_dir = dir.join("images");
    if !images_dir.is_dir() {
        return Err(format!("{}: no images/ folder (counting reads the YOLO layout: images/, labels/, classes.txt)", dir.display()));
    }
    let mut images = Vec::new();
    for path in images_in(&images_dir)? {
        let stem = path.file_stem().unwrap_or_default();
        let label = dir.join("labels").join(stem).with_extension("txt");
        let points = match label.is_file() {
            true => points(&label, &text(&label)?, classes.len())?,
            false => Vec::new(),
        };
        images.push((path, points));
    }
    Ok(Labelled { classes, images })
}

fn text(path: &Path) -> Result<String, String> {
    String::from_utf8(read_bounded(path, TEXT_LIMIT)?).map_err(|_| format!("{}: not a text file", path.display()))
}

/// `classes.txt`, else `data.yaml`'s `names:`.
fn class_names(dir: &Path) -> Result<Vec<String>, String> {
    let (txt, yaml) = (dir.join("classes.txt"), dir.join("data.yaml"));
    let names = if txt.is_file() {
        text(&txt)?.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
    } else if yaml.is_file() {
        yaml_names(&text(&yaml)?).map_err(|e| format!("{}: {e}", yaml.display()))?
    } else {
        return Err(format!("{}: no classes.txt or data.yaml naming the classes", dir.display()));
    };
    if names.is_empty() {
        return Err(format!("{}: names no class", if txt.is_file() { txt } else { yaml }.display()));
    }
    Ok(names)
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let quoted = s.len() >= 2 && (s.starts_with('\'') && s.ends_with('\'') || s.starts_with('"') && s.ends_with('"'));
    if quoted { s[1..s.len() - 1].to_string() } else { s.to_string() }
}

/// `names:` as Ultralytics writes it: a flow list (`names: [a, b]`), a block list (`- a`), or a
/// map from index to name (`0: a`).
fn yaml_names(yaml: &str) -> Result<Vec<String>, String> {
    let mut lines = yaml.lines().skip_while(|l| !l.starts_with("names:"));
    let first = lines.next().ok_or("no `names:` naming the classes")?;
    let rest = first["names:".len()..].trim();
    if let Some(list) = rest.strip_prefix('[') {
        let list = list.strip_suffix(']').ok_or("`names: [` is not closed on its line")?;
        return Ok(list.split(',').map(unquote).filter(|n| !n.is_empty()).collect());
    }
    if !rest.is_empty() {
        return Err(format!("`names:` should be a list or a map, found “{rest}”"));
    }
    let mut names = Vec::new();
    for line in lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t') || l.trim().is_empty()) {
        let item = line.trim();
        if item.is_empty() || item.starts_with('#') {
            continue;
        }
        if let Some(name) = item.strip_prefix("- ") {
            names.push(unquote(name));
        } else if let Some((index, name)) = item.split_once(':') {
            let index: usize = index.trim().parse().map_err(|_| format!("“{item}”: a class's index should be a number"))?;
            if index != names.len() {
                return Err(format!("“{item}”: indices should run 0, 1, 2… in order"));
            }
            names.push(unquote(name));
        } else {
            return Err(format!("“{item}” is not a list item or an index: name"));
        }
    }
    Ok(names)
}

/// The centres of a label file's boxes.
fn points(path: &Path, text: &str, classes: usize) -> Result<Vec<(usize, f32, f32)>, String> {
    let mut points = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), n + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if fields.len() != 5 {
            return Err(format!("{}: expected `class cx cy w h`, found {} fields: “{}”", at(), fields.len(), line.trim()));
        }
        let class: usize = fields[0].parse().map_err(|_| format!("{}: the class “{}” is not an index", at(), fields[0]))?;
        if class >= classes {
            return Err(format!("{}: class {class} is out of range: {classes} classes are named (0 to {})", at(), classes - 1));
        }
        let mut numbers = [0.0f32; 4];
        for (v, field) in numbers.iter_mut().zip(&fields[1..]) {
            *v = field.parse().map_err(|_| format!("{}: “{field}” is not a number", at()))?;
            if !(0.0..=1.0).contains(v) {
                return Err(format!("{}: {field} is outside 0–1 (coordinates are fractions of the image's width and height)", at()));
            }
        }
        points.push((class, numbers[0], numbers[1]));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_yaml_names_in_each_of_its_forms() {
        assert_eq!(yaml_names("path: x\nnames: ['cat', \"cup\"]\nnc: 2\n").unwrap(), ["cat", "cup"]);
        assert_eq!(yaml_names("names:\n  - cat\n  - cup\ntrain: images\n").unwrap(), ["cat", "cup"]);
        assert_eq!(yaml_names("names:\n  0: cat\n  1: 'cup'\n").unwrap(), ["cat", "cup"]);
        assert!(yaml_names("names:\n  1: cat\n").unwrap_err().contains("in order"));
        assert!(yaml_names("nc: 2\n").unwrap_err().contains("no `names:`"));
    }

    #[test]
    fn label_lines_are_checked_and_name_their_line() {
        let path = Path::new("labels/a.txt");
        assert_eq!(points(path, "0 0.5 0.25 0.1 0.1\n\n1 0.1 0.9 0.2 0.2\n", 2).unwrap(), [(0, 0.5, 0.25), (1, 0.1, 0.9)]);
        assert!(points(path, "\n2 0.5 0.5 0.1 0.1", 2).unwrap_err().starts_with("labels/a.txt:2: class 2 is out of range"));
        assert!(points(path, "0 1.5 0.5 0.1 0.1", 2).unwrap_err().contains("1.5 is outside 0–1"));
        assert!(points(path, "0 0.5 0.5", 2).unwrap_err().contains("expected `class cx cy w h`"));
        assert!(points(path, "cat 0.5 0.5 0.1 0.1", 2).unwrap_err().contains("not an index"));
        assert!(points(path, "0 0.5 x 0.1 0.1", 2).unwrap_err().contains("“x” is not a number"));
    }
}
