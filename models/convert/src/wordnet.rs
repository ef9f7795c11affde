//! The ImageNet classes in WordNet 3.0: for each class its synset, and every synset above it
//! (hypernyms, `@` and `@i` pointers) with its lemmas and their sense numbers, so that a typed
//! name can be resolved to the classes under it without shipping WordNet itself.
//!
//! Output, one record per line, fields separated by one space:
//! ```text
//! <offset> <parent offsets, comma-separated, or -> <lemma>:<sense>,<lemma>:<sense>…
//! ~ <inflected form> <base form>
//! ```
//! The first 1000 synset lines are the classes in classifier order; the other synsets follow by
//! offset; then WordNet's irregular noun plurals whose base form is a word of some lemma.
//! Lemmas are lowercase with underscores for spaces; `sense` is the synset's rank among the
//! lemma's noun senses in `index.noun` (1 = most frequent).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use glimpse::sha256_hex;

use crate::Result;

/// Debian `wordnet-base` 1:3.0-37, pinned by digest: another WordNet (3.1 has other offsets)
/// would silently give another table.
const SOURCES: [(&str, &str); 3] = [
    ("data.noun", "fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2"),
    ("index.noun", "a490d99d93d017bf4822fe2f0ffa51fd73911ce271dc7535fade21f8814b5a04"),
    ("noun.exc", "2b5d675c380b39ecf595af9fa9d4e7feb1d58c643b0bff08c40ed5bfe41fab7a"),
];
pub const DIR: &str = "/usr/share/wordnet";

struct Synset {
    parents: Vec<u32>,
    lemmas: Vec<String>,
}

/// Reads the WordNet files in `dir`, checking their digests.
fn read(dir: &Path) -> Result<[String; 3]> {
    let mut texts = Vec::new();
    for (name, digest) in SOURCES {
        let path = dir.join(name);
        let bytes = fs::read(&path).map_err(|e| format!("{}: {e} (install the Debian package wordnet-base)", path.display()))?;
        let actual = sha256_hex(&bytes);
        if actual != digest {
            return Err(format!("{}: sha256 {actual}, expected {digest} (WordNet 3.0 from Debian wordnet-base)", path.display()));
        }
        texts.push(String::from_utf8(bytes).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok(texts.try_into().expect("three sources"))
}

/// The table (see the module comment) for the classes' WordNet ids (`n01440764` …), and the
/// licence notice at the top of `data.noun`.
pub fn table(dir: &Path, wnids: &[String]) -> Result<(String, String)> {
    let [data, index, exceptions] = read(dir)?;
    let synset = |offset: u32| -> Result<Synset> {
        let at = offset as usize;
        let line = data.get(at..).and_then(|rest| rest.lines().next()).ok_or(format!("data.noun has no synset at {offset}"))?;
        parse_synset(line, offset)
    };

    let classes: Vec<u32> =
        wnids.iter().map(|id| id.strip_prefix('n').and_then(|o| o.parse().ok()).ok_or(format!("not a WordNet noun id: {id}"))).collect::<Result<_>>()?;
    let mut synsets: BTreeMap<u32, Synset> = BTreeMap::new();
    let mut todo = classes.clone();
    while let Some(offset) = todo.pop() {
        if synsets.contains_key(&offset) {
            continue;
        }
        let s = synset(offset)?;
        todo.extend(&s.parents);
        synsets.insert(offset, s);
    }

    let senses = sense_numbers(&index);
    let mut out = String::new();
    let ancestors = synsets.keys().filter(|o| !classes.contains(o)).copied().collect::<Vec<_>>();
    for offset in classes.iter().chain(&ancestors) {
        let s = &synsets[offset];
        let parents = if s.parents.is_empty() { "-".to_string() } else { s.parents.iter().map(|p| format!("{p:08}")).collect::<Vec<_>>().join(",") };
        let lemmas = s
            .lemmas
            .iter()
            .map(|l| {
                let sense = senses.get(&(l.clone(), *offset)).ok_or(format!("index.noun lists no sense of {l} at {offset:08}"))?;
                Ok(format!("{l}:{sense}"))
            })
            .collect::<Result<Vec<_>>>()?
            .join(",");
        out.push_str(&format!("{offset:08} {parents} {lemmas}\n"));
    }

    let words: BTreeSet<&str> = synsets.values().flat_map(|s| s.lemmas.iter().flat_map(|l| l.split('_'))).collect();
    let mut irregular: Vec<(&str, &str)> = exceptions
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let inflected = fields.next()?;
            fields.find(|base| words.contains(base)).map(|base| (inflected, base))
        })
        .collect();
    irregular.sort();
    for (inflected, base) in irregular {
        out.push_str(&format!("~ {inflected} {base}\n"));
    }

    let licence: String = data.lines().take_while(|l| l.starts_with("  ")).map(|l| format!("{}\n", l.trim_end())).collect();
    eprintln!("WordNet: {} classes, {} ancestor synsets", classes.len(), ancestors.len());
    Ok((out, licence))
}

/// `offset lex_filenum ss_type w_cnt word lex_id … p_cnt ptr… | gloss` → parents and lemmas.
fn parse_synset(line: &str, offset: u32) -> Result<Synset> {
    let bad = || format!("data.noun: cannot read the synset at {offset}");
    let fields: Vec<&str> = line.split(" | ").next().ok_or_else(bad)?.split(' ').collect();
    if fields.first().and_then(|f| f.parse::<u32>().ok()) != Some(offset) {
        return Err(bad());
    }
    let words = usize::from_str_radix(fields.get(3).ok_or_else(bad)?, 16).map_err(|_| bad())?;
    let lemmas: Vec<String> = (0..words).map(|w| fields.get(4 + 2 * w).map(|l| l.to_lowercase()).ok_or_else(bad)).collect::<Result<_>>()?;
    if let Some(l) = lemmas.iter().find(|l| l.contains([' ', ',', ':'])) {
        return Err(format!("data.noun: lemma {l:?} would break the table's format"));
    }
    let at = 4 + 2 * words;
    let pointers: usize = fields.get(at).ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let mut parents = Vec::new();
    for p in 0..pointers {
        let ptr = fields.get(at + 1 + 4 * p..at + 5 + 4 * p).ok_or_else(bad)?;
        if (ptr[0] == "@" || ptr[0] == "@i") && ptr[2] == "n" {
            parents.push(ptr[1].parse().map_err(|_| bad())?);
        }
    }
    Ok(Synset { parents, lemmas })
}

/// `(lemma, synset offset)` → its sense number, from `index.noun`:
/// `lemma pos synset_cnt p_cnt ptr… sense_cnt tagsense_cnt offset…`.
fn sense_numbers(index: &str) -> HashMap<(String, u32), usize> {
    let mut senses = HashMap::new();
    for line in index.lines().filter(|l| !l.starts_with(' ')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(count), Some(pointers)) = (fields.get(2).and_then(|f| f.parse::<usize>().ok()), fields.get(3).and_then(|f| f.parse::<usize>().ok())) else {
            continue;
        };
        let first = 4 + pointers + 2;
        for (rank, offset) in fields.iter().skip(first).take(count).enumerate() {
            if let Ok(offset) = offset.parse() {
                senses.insert((fields[0].to_string(), offset), rank + 1);
            }
        }
    }
    senses
}
