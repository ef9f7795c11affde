//! Which of the 1000 ImageNet classes a typed name covers, from their places in WordNet 3.0
//! (`models/imagenet-wordnet.txt`, written by `glimpse-convert`; its format is described there).
//!
//! A name is looked up as WordNet would (lowercase, spaces as underscores, plurals reduced by
//! WordNet's exception list and its suffix rules), each matching noun sense covering the classes
//! below it. Labels are a second source: a name that is the head of a class's label ("mug" in
//! "coffee mug") finds classes WordNet files elsewhere. The labels are offered as a sense of
//! their own rather than added to every sense, since they are blind to meaning: "dog" would
//! take in "hot dog".

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

use super::IMAGENET_CLASSES;
use super::imagenet;
use crate::Error;

const TABLE: &str = include_str!("../../../models/imagenet-wordnet.txt");

/// The id of the sense made of label matches (WordNet offsets are never 0).
pub const LABEL_SENSE: u32 = 0;

/// One meaning of a name and the ImageNet classes under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sense {
    /// The WordNet 3.0 noun offset, or [`LABEL_SENSE`].
    pub id: u32,
    /// What a person reads to tell the senses apart, e.g. "big cat, a kind of feline".
    pub description: String,
    /// ImageNet class indices, ascending.
    #[serde(skip)]
    pub classes: Vec<usize>,
    /// What it covers, e.g. "59 ImageNet classes: goldfinch, robin, jay, …".
    pub covers: String,
    /// Short enough for a menu on a phone, e.g. "bird (vertebrate): 59 classes".
    pub label: String,
}

/// How many labels a sense's summary names.
const NAMED: usize = 5;

impl Sense {
    fn new(id: u32, description: String, classes: Vec<usize>) -> Self {
        let names: Vec<&str> = classes.iter().take(NAMED).map(|&c| imagenet::label(c).split(", ").next().unwrap_or("?")).collect();
        let more = if classes.len() > NAMED { ", …" } else { "" };
        let plural = if classes.len() == 1 { "" } else { "es" };
        let covers = format!("{} ImageNet class{plural}: {}{more}", classes.len(), names.join(", "));
        // "big cat (cat), a kind of feline" reads "big cat (feline)" in a menu.
        let short = match description.split_once(", a kind of ") {
            Some((name, parent)) => format!("{} ({parent})", name.split(" (").next().unwrap_or(name)),
            None if id == LABEL_SENSE => description.replace("anything whose name ends in", "names ending in"),
            None => description.clone(),
        };
        let label = format!("{short}: {} class{plural}", classes.len());
        Self { id, description, classes, covers, label }
    }
}

/// What a name covers: its senses, most common first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meaning {
    pub name: String,
    pub senses: Vec<Sense>,
}

impl Meaning {
    /// The sense `id`, or the most common one when `id` is `None` or no longer among them.
    pub fn sense(&self, id: Option<u32>) -> &Sense {
        id.and_then(|id| self.senses.iter().find(|s| s.id == id)).unwrap_or(&self.senses[0])
    }
}

struct Synset {
    offset: u32,
    parents: Vec<usize>,
    lemmas: Vec<String>,
    /// ImageNet classes at or below this synset, ascending.
    classes: Vec<usize>,
}

struct Wordnet {
    synsets: Vec<Synset>,
    /// Lemma → (synset index, sense number).
    lemmas: HashMap<String, Vec<(usize, u32)>>,
    /// Irregular plural → base form.
    irregular: HashMap<String, String>,
}

fn wordnet() -> &'static Wordnet {
    static WORDNET: OnceLock<Wordnet> = OnceLock::new();
    WORDNET.get_or_init(|| Wordnet::parse(TABLE))
}

impl Wordnet {
    /// The table is generated and checked by the test command, so a malformed line is a bug.
    fn parse(table: &str) -> Self {
        let mut irregular = HashMap::new();
        let mut rows = Vec::new();
        for line in table.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            match fields.as_slice() {
                ["~", inflected, base] => {
                    irregular.insert(inflected.to_string(), base.to_string());
                }
                [offset, parents, lemmas] => rows.push((*offset, *parents, *lemmas)),
                _ => panic!("imagenet-wordnet.txt: bad line {line:?}"),
            }
        }
        let index: HashMap<u32, usize> = rows.iter().enumerate().map(|(i, (o, _, _))| (o.parse().expect("offset"), i)).collect();
        let mut synsets = Vec::with_capacity(rows.len());
        let mut lemmas: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        for (i, (offset, parents, words)) in rows.iter().enumerate() {
            let parents = match *parents {
                "-" => Vec::new(),
                list => list.split(',').map(|p| index[&p.parse().expect("parent offset")]).collect(),
            };
            let mut names = Vec::new();
            for word in words.split(',') {
                let (lemma, sense) = word.rsplit_once(':').expect("lemma:sense");
                lemmas.entry(lemma.to_string()).or_default().push((i, sense.parse().expect("sense number")));
                names.push(lemma.to_string());
            }
            synsets.push(Synset { offset: offset.parse().expect("offset"), parents, lemmas: names, classes: Vec::new() });
        }
        // The first 1000 synsets are the classes; each is below itself and its ancestors.
        for class in 0..IMAGENET_CLASSES {
            let mut todo = vec![class];
            while let Some(s) = todo.pop() {
                if synsets[s].classes.last() != Some(&class) {
                    synsets[s].classes.push(class);
                    todo.extend(synsets[s].parents.iter().copied());
                }
            }
        }
        Self { synsets, lemmas, irregular }
    }

    /// The WordNet forms a typed name may be the inflection of, the name itself first.
    fn forms(&self, name: &str) -> Vec<String> {
        let (head, last) = match name.rsplit_once('_') {
            Some((head, last)) => (format!("{head}_"), last),
            None => (String::new(), name),
        };
        let mut bases = vec![last.to_string()];
        if let Some(base) = self.irregular.get(last) {
            bases.push(base.clone());
        }
        // WordNet's noun suffix rules (morphy).
        const RULES: [(&str, &str); 8] = [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")];
        for (suffix, ending) in RULES {
            if let Some(stem) = last.strip_suffix(suffix).filter(|s| !s.is_empty()) {
                bases.push(format!("{stem}{ending}"));
            }
        }
        let mut forms: Vec<String> = Vec::new();
        for base in bases {
            let form = format!("{head}{base}");
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        forms
    }

    fn describe(&self, s: usize, lemma: &str) -> String {
        let synset = &self.synsets[s];
        let name = if synset.lemmas[0] == lemma { lemma.to_string() } else { format!("{} ({lemma})", synset.lemmas[0]) };
        match synset.parents.first() {
            Some(&p) => format!("{}, a kind of {}", name.replace('_', " "), self.synsets[p].lemmas[0].replace('_', " ")),
            None => name.replace('_', " "),
        }
    }
}

/// The name as WordNet spells lemmas: trimmed, lowercase, words joined by underscores.
fn normalise(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join("_").to_lowercase()
}

/// What `name` covers, or an error saying that no ImageNet class matches it.
pub fn meaning(name: &str) -> Result<Meaning, Error> {
    let wordnet = wordnet();
    let key = normalise(name);
    let forms = wordnet.forms(&key);
    // (sense number, form rank) orders the senses: most common meaning first.
    let mut found: Vec<(u32, usize, usize, &str)> = Vec::new();
    for (rank, form) in forms.iter().enumerate() {
        for &(s, sense) in wordnet.lemmas.get(form.as_str()).into_iter().flatten() {
            if !found.iter().any(|f| f.2 == s) {
                found.push((sense, rank, s, form));
            }
        }
    }
    found.sort();
    let mut senses: Vec<Sense> =
        found.into_iter().map(|(_, _, s, form)| Sense::new(wordnet.synsets[s].offset, wordnet.describe(s, form), wordnet.synsets[s].classes.clone())).collect();

    let (labelled, phrase) = label_matches(&forms);
    if !labelled.is_empty() && !senses.iter().any(|s| s.classes == labelled) {
        senses.push(Sense::new(LABEL_SENSE, format!("anything whose name ends in “{phrase}”"), labelled));
    }
    if senses.is_empty() {
        return Err(Error::NoConcept(name.trim().to_string()));
    }
    Ok(Meaning { name: name.trim().to_string(), senses })
}

/// Classes with a label name equal to the first of `forms` that has any, or ending in it as a
/// whole word; and that form, spaced.
fn label_matches(forms: &[String]) -> (Vec<usize>, String) {
    let labels = lower_case_labels();
    for form in forms {
        let phrase = form.replace('_', " ");
        let ending = format!(" {phrase}");
        let classes: Vec<usize> = (0..IMAGENET_CLASSES).filter(|&c| labels[c].iter().any(|label| *label == phrase || label.ends_with(&ending))).collect();
        if !classes.is_empty() {
            return (classes, phrase);
        }
    }
    (Vec::new(), String::new())
}

/// Each ImageNet class's comma-separated labels, lower-cased, made once: the page looks names up
/// on every change it shows.
fn lower_case_labels() -> &'static [Vec<String>] {
    static LABELS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    LABELS.get_or_init(|| (0..IMAGENET_CLASSES).map(|c| imagenet::label(c).split(", ").map(str::to_lowercase).collect()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_every_class_under_entity() {
        let w = wordnet();
        assert_eq!(w.synsets[0].offset, 1440764, "tench first");
        let entity = &w.lemmas["entity"];
        assert_eq!(w.synsets[entity[0].0].classes.len(), IMAGENET_CLASSES);
    }
}
