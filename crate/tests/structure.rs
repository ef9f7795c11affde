//! The core's design, checked on its sources: no two files import each other, directly or
//! round a circle, and the layers only point down (`device` → `preprocess` → `backbone` →
//! `learn` → `project` → `session` → `web`). A `use` of an item re-exported by a `mod.rs` or
//! `lib.rs` counts as an import of the file that defines it. Test code is left out.
#![cfg(not(target_family = "wasm"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module of the crate (`["learn", "heads", "fit"]`) and its source with the tests cut off.
struct Module {
    path: Vec<String>,
    source: String,
}

fn modules() -> Vec<Module> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // The CLI is another crate; the inside tests are not the design.
                if !["bin", "tests"].contains(&path.file_name().unwrap().to_str().unwrap()) {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&root).unwrap().with_extension("");
            let mut path: Vec<String> = relative.iter().map(|p| p.to_str().unwrap().to_string()).collect();
            if path.last().is_some_and(|p| p == "mod" || p == "lib") {
                path.pop();
            }
            let source = std::fs::read_to_string(&file).unwrap();
            let source = match source.find("#[cfg(test)]\nmod tests") {
                Some(at) => source[..at].to_string(),
                None => source,
            };
            Module { path, source }
        })
        .collect()
}

/// Every path a `use` declaration names, its braces expanded (`a::{b, c::d}` → `a::b`, `a::c::d`).
fn use_paths(source: &str) -> Vec<String> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => out.push(format!("{prefix}{}", tree.split(" as ").next().unwrap().trim())),
            Some(open) => {
                let head = &tree[..open];
                let inner = &tree[open + 1..tree.rfind('}').unwrap()];
                let (mut depth, mut start) = (0, 0);
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&format!("{prefix}{head}"), &inner[start..i], out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                if !inner[start..].trim().is_empty() {
                    expand(&format!("{prefix}{head}"), &inner[start..], out);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("use ") {
        let starts_line = at == 0 || rest[..at].ends_with('\n') || rest[..at].ends_with("pub ") || rest[..at].ends_with("pub(crate) ");
        let end = rest[at..].find(';').map_or(rest.len(), |e| at + e);
        if starts_line {
            expand("", &rest[at + 4..end].replace('\n', " "), &mut out);
        }
        rest = &rest[end.min(rest.len())..];
        if rest.is_empty() {
            break;
        }
        rest = &rest[1..];
    }
    out
}

/// The paths a file reaches: its `use` paths and the `crate::…` paths written in its code.
fn reached(module: &Module) -> Vec<Vec<String>> {
    let mut paths = use_paths(&module.source);
    for (at, _) in module.source.match_indices("crate::") {
        let tail: String = module.source[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        paths.push(tail.trim_end_matches(':').to_string());
    }
    paths
        .into_iter()
        .filter_map(|p| {
            let parts: Vec<String> = p.split("::").map(str::to_string).collect();
            match parts[0].as_str() {
                "crate" => Some(parts[1..].to_vec()),
                "super" | "self" => {
                    let mut base = module.path.clone();
                    let mut parts = parts.as_slice();
                    if parts[0] == "self" {
                        parts = &parts[1..];
                    } else {
                        while parts.first().is_some_and(|p| p == "super") {
                            base.pop();
                            parts = &parts[1..];
                        }
                    }
                    Some(base.into_iter().chain(parts.iter().cloned()).collect())
                }
                _ => None,
            }
        })
        .collect()
}

/// The file `path` (module path, then items) leads to, following re-exports.
fn resolve(path: &[String], files: &BTreeMap<Vec<String>, &Module>, depth: usize) -> Option<Vec<String>> {
    let longest = (0..=path.len()).rev().find(|&n| files.contains_key(&path[..n]))?;
    let (module, rest) = (&path[..longest], &path[longest..]);
    let Some(item) = rest.first() else { return Some(module.to_vec()) };
    if depth > 8 || item == "*" {
        return Some(module.to_vec());
    }
    // An item that the module re-exports is defined elsewhere.
    for used in use_paths(&files[module].source) {
        let parts: Vec<&str> = used.split("::").collect();
        if parts.last() == Some(&item.as_str()) && !used.starts_with("std") && !used.starts_with("burn") {
            let mut target: Vec<String> = match parts[0] {
                "crate" => parts[1..].iter().map(|p| p.to_string()).collect(),
                "super" => module[..module.len() - 1].iter().cloned().chain(parts[1..].iter().map(|p| p.to_string())).collect(),
                "self" => module.iter().cloned().chain(parts[1..].iter().map(|p| p.to_string())).collect(),
                first if files.contains_key(&module.iter().cloned().chain([first.to_string()]).collect::<Vec<_>>()) => {
                    module.iter().cloned().chain(parts.iter().map(|p| p.to_string())).collect()
                }
                _ => continue,
            };
            target.extend(rest[1..].iter().cloned());
            return resolve(&target, files, depth + 1);
        }
    }
    Some(module.to_vec())
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules();
    let files: BTreeMap<Vec<String>, &Module> = modules.iter().map(|m| (m.path.clone(), m)).collect();
    let mut edges = BTreeMap::new();
    for module in &modules {
        let targets: BTreeSet<Vec<String>> = reached(module)
            .iter()
            .filter_map(|p| resolve(p, &files, 0))
            // A parent that only declares its children is not a dependency.
            .filter(|t| t != &module.path && !t.is_empty() && !(module.path.starts_with(t) && declares_only(files[t])))
            .collect();
        edges.insert(module.path.clone(), targets);
    }
    edges
}

/// A `mod.rs` that holds only module declarations and comments.
fn declares_only(module: &Module) -> bool {
    module.source.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("//") || l.starts_with("pub mod ") || l.starts_with("mod ") || l.starts_with("#[") || l.starts_with("pub(crate) mod ")
    })
}

#[test]
fn no_two_files_import_each_other() {
    let edges = graph();
    assert!(edges.len() > 40, "the crate's files were not found: {}", edges.len());
    // Depth-first search for a back edge, reporting the circle it closes.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        circles: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            circles.push(stack[at..].iter().chain([node]).map(|p| p.join("::")).collect::<Vec<_>>().join(" → "));
            return;
        }
        if !done.insert(node.clone()) {
            return;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done, circles);
        }
        stack.pop();
    }
    let mut circles = Vec::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(circles.is_empty(), "files that import each other:\n{}", circles.join("\n"));
}

#[test]
fn the_layers_only_point_down() {
    const LAYERS: [&[&str]; 8] =
        [&["clock", "error", "parallel"], &["device"], &["preprocess"], &["backbone"], &["learn"], &["project"], &["session"], &["web", "bench", "synthetic"]];
    let layer = |path: &Vec<String>| path.first().and_then(|top| LAYERS.iter().position(|l| l.contains(&top.as_str())));
    let mut upward = Vec::new();
    for (from, targets) in graph() {
        let Some(own) = layer(&from) else { continue };
        for to in targets {
            if layer(&to).is_some_and(|l| l > own) {
                upward.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(upward.is_empty(), "imports from a higher layer:\n{}", upward.join("\n"));
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    // The parser on a made-up pair, so that a checker that finds nothing is not mistaken for a
    // design that has nothing to find.
    let a = Module { path: vec!["a".into()], source: "use crate::b::{B, c::{C}};\nfn f() { crate::b::g(); }\n".into() };
    let b = Module { path: vec!["b".into()], source: "pub mod c;\nuse crate::a::A;\n".into() };
    let c = Module { path: vec!["b".into(), "c".into()], source: "pub struct C;".into() };
    assert_eq!(use_paths(&a.source), ["crate::b::B", "crate::b::c::C"]);
    let files: BTreeMap<Vec<String>, &Module> = [&a, &b, &c].into_iter().map(|m| (m.path.clone(), m)).collect();
    let targets: BTreeSet<Vec<String>> = reached(&a).iter().filter_map(|p| resolve(p, &files, 0)).collect();
    assert!(targets.contains(&vec!["b".to_string()]) && targets.contains(&vec!["b".to_string(), "c".to_string()]), "{targets:?}");
    let back: BTreeSet<Vec<String>> = reached(&b).iter().filter_map(|p| resolve(p, &files, 0)).collect();
    assert!(back.contains(&vec!["a".to_string()]), "{back:?}");
}
