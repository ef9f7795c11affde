//! The arguments (clap), and one function per command; all the work is done by the library.

mod adapt;
#[cfg(feature = "bench")]
mod bench;
mod count;
mod explain;
mod export;
mod files;
mod group;
mod imagenet;
mod learn;
mod report;
mod yolo;
mod zero_shot;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use glimpse::{Backbone, DeviceChoice, HeadChoice, NETWORKS, Network, Session, Settings, Task};

/// In-browser transfer learning, on folders of images: the same core and project file as the page.
#[derive(Parser)]
#[command(name = "glimpse", version, propagate_version = true, max_term_width = 100, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    model: Model,
}

#[derive(Subcommand)]
enum Command {
    /// The five most probable ImageNet classes of each PNG or JPEG image
    Imagenet {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<PathBuf>,
        #[command(flatten)]
        json: Json,
    },
    /// Learns the classes of DIR (one sub-folder of images per class; with --detect a YOLO folder) and writes a project
    Train {
        /// A folder with a sub-folder of PNG/JPEG images per class (with --anomaly: one folder of normal images)
        dir: PathBuf,
        /// Where to write the project file
        #[arg(short, long, value_name = "PROJECT")]
        output: PathBuf,
        /// Classes known by name only (comma-separated), added beside DIR's
        #[arg(long, value_name = "NAMES", value_parser = names)]
        zero_shot: Option<Names>,
        #[command(flatten)]
        learning: Learning,
    },
    /// Scores a project on DIR (a sub-folder per class; for a detector normal/ and anomaly/; for a counter a YOLO folder)
    Eval {
        project: PathBuf,
        dir: PathBuf,
        #[command(flatten)]
        json: Json,
    },
    /// The class of each image (for a detector: normal or anomaly, with its score; for a counter: each object found)
    Predict {
        project: PathBuf,
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<PathBuf>,
        #[command(flatten)]
        json: Json,
    },
    /// Adapts a trained project to the camera or scene DIR's unlabelled images come from
    Adapt {
        project: PathBuf,
        /// Unlabelled images of the new camera or scene
        #[arg(required_unless_present = "remove")]
        dir: Option<PathBuf>,
        /// Where to write the adapted project
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// Undo an adaptation instead
        #[arg(long, conflicts_with = "dir")]
        remove: bool,
    },
    /// Groups DIR's unlabelled images by what they show (with class sub-folders, scores the grouping against them)
    Group {
        dir: PathBuf,
        /// Write a project with a class per group
        #[arg(short, long, value_name = "PROJECT")]
        output: Option<PathBuf>,
        /// This many groups (default: as many as separate best)
        #[arg(long, value_name = "N")]
        groups: Option<usize>,
        #[command(flatten)]
        json: Json,
        #[command(flatten)]
        augment: Augmenting,
    },
    /// Classifies images by class names alone (no examples, no training)
    ZeroShot {
        /// The class names, comma-separated
        #[arg(long, value_name = "NAMES", value_parser = names, required_unless_present = "explain_name")]
        classes: Option<Names>,
        /// Lists the ImageNet classes each sense of NAME covers, instead
        #[arg(long, value_name = "NAME", conflicts_with = "classes")]
        explain_name: Option<String>,
        #[arg(value_name = "IMAGE", required_unless_present = "explain_name")]
        images: Vec<PathBuf>,
        #[command(flatten)]
        json: Json,
    },
    /// Where in each image its class was seen: the project's, or ImageNet's without a project
    Explain {
        /// A project file, then images; or images alone
        #[arg(required = true, value_name = "[PROJECT] IMAGE")]
        files: Vec<PathBuf>,
        /// Write each image with its heat map over it as DIR/NAME.heatmap.png
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Replace overlays that exist
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Writes a project's model as an ONNX file (its classes, threshold and preprocessing inside)
    Export {
        project: PathBuf,
        /// Where to write the ONNX file
        #[arg(short, long, value_name = "MODEL.onnx")]
        output: PathBuf,
        /// Replace the file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Prints a shell's completion script for glimpse
    Completions { shell: clap_complete::Shell },
    /// Times the backbone (or, with `learn`, the learner) on the CPU and on wgpu; `counting
    /// TRAIN TEST` measures the counter's choices on two YOLO folders
    #[cfg(feature = "bench")]
    Bench {
        /// `learn` times the learner; `networks` each network on the CPU; `counting` measures the counter's choices
        what: Option<String>,
        /// With `counting`: the YOLO folders to train on and to score on
        folders: Vec<PathBuf>,
        #[arg(long, default_value_t = 10)]
        iterations: usize,
    },
}

/// Where the model comes from and what runs it.
#[derive(Args, Clone)]
#[command(next_help_heading = "Model")]
struct Model {
    /// lite0 (the default) or lite2 (2.5 points more on ImageNet, about twice the time per image;
    /// measured better with 30 digits per class, worse on few greyscale photos). Commands that
    /// open a project use the one it was made with
    #[arg(long, value_name = "NET", value_parser = network, global = true)]
    backbone: Option<&'static Network>,
    /// The network's weights [default: models/efficientnet-NET.bpk of this build]
    #[arg(long, value_name = "FILE", global = true)]
    weights: Option<PathBuf>,
    /// cpu, wgpu (needs a build with `--features gpu`), or auto (wgpu on a hardware GPU, else the CPU)
    #[arg(long, value_name = "B", default_value = "cpu", global = true)]
    backend: String,
}

#[derive(Args, Clone, Copy)]
#[command(next_help_heading = "Output")]
struct Json {
    /// One JSON document (per image: JSON Lines) with the same facts as the text
    #[arg(long)]
    json: bool,
}

/// The learning settings a command line can set; the defaults are the page's.
#[derive(Args)]
#[command(next_help_heading = "Learning options")]
struct Learning {
    /// softmax, prototype, knn, or auto (each scored by cross-validation, up to 30 s)
    #[arg(long, value_name = "HEAD", value_parser = head)]
    head: Option<Head>,
    /// One class of normal images; the project tells normal from anomalous
    #[arg(long)]
    anomaly: bool,
    /// Count and locate objects: DIR is a YOLO folder (images/, labels/ with `class cx cy w h` lines, classes.txt or data.yaml)
    #[arg(long, conflicts_with_all = ["anomaly", "head"])]
    detect: bool,
    /// Share of normal images a detector flags
    #[arg(long, value_name = "X")]
    false_alarm: Option<f32>,
    /// Hidden width of the softmax head, 0 = linear
    #[arg(long, value_name = "N")]
    hidden: Option<u32>,
    #[arg(long, value_name = "N")]
    epochs: Option<u32>,
    #[arg(long, value_name = "N")]
    batch_size: Option<u32>,
    #[arg(long, value_name = "X")]
    learning_rate: Option<f32>,
    #[arg(long, value_name = "X")]
    weight_decay: Option<f32>,
    #[arg(long, value_name = "X")]
    dropout: Option<f32>,
    #[arg(long, value_name = "X")]
    label_smoothing: Option<f32>,
    /// Share of each class held out to stop early and to evaluate
    #[arg(long, value_name = "X")]
    validation: Option<f32>,
    /// Keep the model trained without the held-out examples, instead of training again on every example with the epochs they chose
    #[arg(long)]
    no_refit: bool,
    #[arg(long, value_name = "N")]
    patience: Option<u32>,
    #[arg(long, value_name = "N")]
    seed: Option<u32>,
    /// Neighbours that vote in the kNN head
    #[arg(long, value_name = "N")]
    k: Option<u32>,
    /// Below this top probability a prediction is "unknown"
    #[arg(long, value_name = "X")]
    threshold: Option<f32>,
    /// After the head, retrain the top N layers of the network too (1: its last 1×1 conv; each more one block below)
    #[arg(long, value_name = "N")]
    fine_tune: Option<u32>,
    #[command(flatten)]
    augment: Augmenting,
}

/// Extra views of each image.
#[derive(Args, Clone)]
#[command(next_help_heading = "Augmentation")]
struct Augmenting {
    /// A mirrored view of each image
    #[arg(long)]
    flip: bool,
    /// Random crops of each image
    #[arg(long, value_name = "N")]
    crops: Option<u32>,
    /// Colour jitter of the views
    #[arg(long, value_name = "X")]
    jitter: Option<f32>,
}

/// `--head`: a classifier's head, or `anomaly`, the detector's name before it was a task.
#[derive(Clone, Copy)]
enum Head {
    Classifier(HeadChoice),
    Anomaly,
}

fn head(name: &str) -> Result<Head, String> {
    match name {
        "anomaly" => Ok(Head::Anomaly),
        name => HeadChoice::parse(name).map(Head::Classifier).map_err(|e| e.to_string()),
    }
}

/// Class names given as one comma-separated argument.
#[derive(Clone)]
struct Names(Vec<String>);

fn names(text: &str) -> Result<Names, String> {
    let names: Vec<String> = text.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if names.is_empty() { Err("needs comma-separated class names".into()) } else { Ok(Names(names)) }
}

fn network(id: &str) -> Result<&'static Network, String> {
    Network::find(id).map_err(|e| e.to_string())
}

impl Augmenting {
    fn apply(&self, settings: &mut Settings) {
        settings.augment.flip |= self.flip;
        if let Some(n) = self.crops {
            settings.augment.crops = n;
        }
        if let Some(x) = self.jitter {
            settings.augment.jitter = x;
        }
    }
}

impl Learning {
    /// The page's defaults with what the options set.
    fn settings(&self) -> Settings {
        let mut s = Settings::default();
        match self.head {
            Some(Head::Classifier(head)) => s.head = head,
            Some(Head::Anomaly) => s.task = Task::SpotAnomalies,
            None => {}
        }
        if self.anomaly {
            s.task = Task::SpotAnomalies;
        }
        s.refit = !self.no_refit;
        macro_rules! set {
            ($($option:ident => $field:ident),*) => { $(if let Some(v) = self.$option { s.$field = v; })* };
        }
        set!(false_alarm => false_alarm_rate, hidden => hidden, epochs => epochs, batch_size => batch_size, learning_rate => learning_rate,
            weight_decay => weight_decay, dropout => dropout, label_smoothing => label_smoothing, validation => validation_fraction,
            patience => patience, seed => seed, k => k, threshold => threshold, fine_tune => fine_tune);
        self.augment.apply(&mut s);
        s
    }
}

pub fn main() -> i32 {
    let networks: Vec<_> = NETWORKS.iter().map(|n| n.name).collect();
    let version = format!("{} (project format {}, backbones {})", env!("CARGO_PKG_VERSION"), glimpse::FORMAT_VERSION, networks.join(", "));
    let command = Cli::command().version(version);
    let cli = match command.try_get_matches_from(std::env::args_os()).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        // Help and the version exit 0; usage errors exit 2, as every error of glimpse does.
        Err(e) => e.exit(),
    };
    match run(cli.command, &cli.model) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("glimpse: {message}");
            2
        }
    }
}

/// Runs one command. Project files a command writes replace what is there whole (see
/// `files::Output`); overlays replace nothing without `--force`.
fn run(command: Command, model: &Model) -> Result<i32, String> {
    let project = |path: PathBuf| files::Output::new(path, true);
    match command {
        Command::Imagenet { images, json } => imagenet::run(model, &images, json.json),
        Command::Train { dir, output, zero_shot: None, learning } if learning.detect => count::train(model, &dir, &project(output), learning.settings()),
        Command::Train { zero_shot: Some(_), learning, .. } if learning.detect => Err("--zero-shot names classes to classify, not to count".into()),
        Command::Train { dir, output, zero_shot, learning } => {
            learn::train(model, &dir, &project(output), learning.settings(), zero_shot.as_ref().map(|n| n.0.as_slice()))
        }
        Command::Eval { project, dir, json } => learn::eval(model, &project, &dir, json.json),
        Command::Predict { project, images, json } => learn::predict(model, &project, &images, json.json),
        Command::Adapt { project: input, dir, output, remove } => adapt::run(model, &input, dir.as_deref(), remove, &project(output)),
        Command::Group { dir, output, groups, json, augment } => {
            let mut settings = Settings::default();
            augment.apply(&mut settings);
            group::run(model, &dir, output.map(project).as_ref(), groups, settings, json.json)
        }
        Command::ZeroShot { classes, explain_name, images, json } => match explain_name {
            Some(name) => zero_shot::explain_name(&name, json.json),
            None => zero_shot::run(model, classes.as_ref().map_or(&[][..], |n| n.0.as_slice()), &images, json.json),
        },
        Command::Explain { files, output, force, json } => explain::run(model, &files, output.as_deref(), force, json.json),
        Command::Export { project: input, output, force } => export::run(model, &input, &files::Output::new(output, force)),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "glimpse", &mut std::io::stdout());
            Ok(0)
        }
        #[cfg(feature = "bench")]
        Command::Bench { what, folders, iterations } => match (what.as_deref(), &folders[..]) {
            (Some("counting"), [train, test]) => bench::counting(model, train, test).map(|_| 0),
            (Some("counting"), _) => Err("bench counting needs two YOLO folders: the one to train on and the one to score on".into()),
            (Some("networks"), _) => bench::networks(model, iterations).map(|_| 0),
            (what, _) => bench::run(model, what == Some("learn"), iterations).map(|_| 0),
        },
    }
}

/// `--backbone`'s network (the default one without it), loaded on the device `--backend` names.
fn load_backbone(model: &Model) -> Result<Backbone, String> {
    load_network(model, model.backbone.unwrap_or(Network::default_network()))
}

fn load_network(model: &Model, network: &'static Network) -> Result<Backbone, String> {
    let choice = DeviceChoice::parse(&model.backend).map_err(|e| e.to_string())?;
    let weights = model.weights.clone().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(network.weights_file));
    let bytes = files::read_bounded(&weights, files::WEIGHTS_LIMIT).map_err(|e| format!("weights file {e}"))?;
    pollster::block_on(Backbone::load_on(choice, network, &bytes, &weights.display().to_string())).map_err(|e| e.to_string())
}

/// An empty project on the backbone.
fn session(model: &Model) -> Result<Session, String> {
    Ok(Session::new(Rc::new(load_backbone(model)?)))
}

/// The project file at `path`, open on the network it was made with.
fn open_project(model: &Model, path: &Path) -> Result<Session, String> {
    let bytes = files::read_project(path)?;
    let network = glimpse::network_of(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(asked) = model.backbone.filter(|&asked| asked != network) {
        return Err(format!("{}: made with {}, so --backbone {} cannot read it (leave --backbone out)", path.display(), network.id, asked.id));
    }
    let session = Session::new(Rc::new(load_network(model, network)?));
    session.open(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(a) = session.adaptation() {
        let note = if a.applies { "" } else { " (not applied: the head was retrained through other fine-tuned layers since; adapt again)" };
        eprintln!("{}: adapted to a new camera or scene from {} images{note}", path.display(), a.frames);
    }
    Ok(session)
}

/// A path as text for output: the name as the user gave it, its bytes that are not UTF-8 shown
/// as replacement characters.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// The command line as the program would get it, for tests of the parser.
#[cfg(test)]
fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("glimpse").chain(args.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_options_set_the_settings_and_keep_the_pages_defaults() {
        let Ok(Cli { command: Command::Train { learning, .. }, .. }) = parse(&["train", "d", "-o", "p", "--head", "knn", "--k", "3", "--flip", "--crops", "2"])
        else {
            panic!("train did not parse")
        };
        let s = learning.settings();
        assert_eq!((s.head, s.k, s.augment.flip, s.augment.crops), (HeadChoice::parse("knn").unwrap(), 3, true, 2));
        assert_eq!(s.epochs, Settings::default().epochs);
        let Ok(Cli { command: Command::Train { learning, .. }, .. }) = parse(&["train", "d", "-o", "p", "--head", "anomaly"]) else { panic!() };
        assert_eq!(learning.settings().task, Task::SpotAnomalies, "--head anomaly is the detector's old name");
    }

    #[test]
    fn a_misspelt_command_is_refused_with_a_suggestion() {
        let error = parse(&["trian", "d"]).err().unwrap().to_string();
        assert!(error.contains("'train'"), "{error}");
        assert!(parse(&["predict", "p"]).is_err(), "predict needs images");
    }
}
