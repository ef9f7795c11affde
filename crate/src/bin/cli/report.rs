//! What the CLI tells its user: progress on stderr (a bar on a terminal, a line now and then
//! otherwise, so that logs and pipes stay clean) and predictions on stdout, as text or JSON.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use glimpse::{EpochStats, Prediction};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// Progress through `total` items of slow work.
pub struct Progress {
    what: String,
    total: usize,
    done: usize,
    bar: Option<ProgressBar>,
    last_line: Instant,
}

/// How often a plain progress line is printed at most.
const LINE_EVERY: Duration = Duration::from_secs(2);

impl Progress {
    pub fn new(what: &str, total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({per_sec}, {eta} left)").expect("a valid template");
            bar.set_style(style);
            bar.set_message(what.to_string());
            bar
        });
        Self { what: what.into(), total, done: 0, bar, last_line: Instant::now() }
    }

    pub fn advance(&mut self, n: usize) {
        self.done += n;
        match &self.bar {
            Some(bar) => bar.set_position(self.done as u64),
            None if self.done == self.total || self.last_line.elapsed() >= LINE_EVERY => {
                eprintln!("{}: {}/{}", self.what, self.done, self.total);
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    /// Says something while the work goes on (above the bar on a terminal).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Training's progress: an epoch bar on a terminal, a line per epoch otherwise.
pub struct Training {
    bar: Progress,
}

impl Training {
    pub fn new(max_epochs: u32) -> Self {
        Self { bar: Progress::new("training", max_epochs as usize) }
    }
}

impl glimpse::Progress for Training {
    fn epoch(&mut self, s: &EpochStats) {
        let validation = match (s.validation_loss, s.validation_accuracy) {
            (Some(l), Some(a)) => format!("  validation loss {l:.4} accuracy {a:.3}"),
            _ => String::new(),
        };
        let line = format!("epoch {:>3}  train loss {:.4} accuracy {:.3}{validation}", s.epoch, s.train_loss, s.train_accuracy);
        match &self.bar.bar {
            Some(bar) => {
                bar.set_position(s.epoch as u64);
                bar.set_message(line);
            }
            None => eprintln!("{line}"),
        }
    }

    fn fine_tuning(&mut self, layers: &str) {
        self.bar.say(&format!("fine-tuning {layers} with the head"));
    }

    fn stage(&mut self, what: &str) {
        self.bar.say(what);
    }

    async fn pause(&mut self) {}
}

/// A prediction as JSON: the class (`null` when unknown), every class's probability, and a
/// detector's verdict.
pub fn prediction_json(path: &str, p: &Prediction) -> Value {
    let top = p.top();
    let classes: Vec<Value> = p.classes.iter().map(|c| json!({ "class": c.name, "probability": c.probability })).collect();
    let mut value = json!({
        "path": path,
        "class": if p.unknown { Value::Null } else { json!(top.name) },
        "probability": top.probability,
        "unknown": p.unknown,
        "closest": top.name,
        "classes": classes,
    });
    if let Some(none) = p.none {
        value["none"] = json!(none);
    }
    if let Some(a) = p.anomaly {
        value["anomaly"] = json!({ "anomaly": a.anomaly, "score": a.score, "threshold": a.threshold });
    }
    if let Some(objects) = &p.objects {
        value["objects"] = objects.iter().map(|o| json!({ "class": o.name, "x": o.x, "y": o.y, "score": o.score })).collect();
    }
    value
}

/// `path<TAB>class<TAB>probability`, or `path<TAB>unknown<TAB>p<TAB>(closest: class q)` with `p`
/// the probability of "none of these" where the project has it, else the closest class's.
/// A detector's: `path<TAB>normal|anomaly<TAB>score<TAB>(threshold t)`. A counter's: a line per
/// object, `path<TAB>class<TAB>x<TAB>y<TAB>score` (x, y fractions of the image's width and
/// height), or `path<TAB>none`. With `json`, a JSON line.
pub fn print_prediction(path: &str, p: &Prediction, json: bool) {
    if json {
        return println!("{}", prediction_json(path, p));
    }
    if let Some(objects) = &p.objects {
        if objects.is_empty() {
            println!("{path}\tnone");
        }
        for o in objects {
            println!("{path}\t{}\t{:.4}\t{:.4}\t{:.4}", o.name, o.x, o.y, o.score);
        }
        return;
    }
    if let Some(a) = p.anomaly {
        let verdict = if a.anomaly { "anomaly" } else { "normal" };
        return println!("{path}\t{verdict}\t{:.4}\t(threshold {:.4})", a.score, a.threshold);
    }
    let best = p.top();
    match p.unknown {
        false => println!("{path}\t{}\t{:.4}", best.name, best.probability),
        true => println!("{path}\tunknown\t{:.4}\t(closest: {} {:.4})", p.none.unwrap_or(best.probability), best.name, best.probability),
    }
}
