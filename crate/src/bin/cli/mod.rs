//! Argument parsing and the subcommands; all the work is done by the library.

mod adapt;
#[cfg(feature = "bench")]
mod bench;
mod explain;
mod group;
mod learn;
mod zero_shot;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use glimpse::{Backbone, DeviceChoice, Frame, HeadChoice, Session, Settings, Task};

const USAGE: &str = "\
usage:
  glimpse imagenet IMAGE...                        top-5 ImageNet classes of each PNG/JPEG image
  glimpse train DIR -o PROJECT [learning options]  learn the classes of DIR (a sub-folder of images per class);
                                                   --zero-shot \"cat,bird\" adds classes known by name only;
                                                   --anomaly: DIR has one folder of normal images, and
                                                   the project tells normal from anomalous
  glimpse zero-shot --classes \"bird,dog\" IMAGE...  classify by class names alone (no examples, no training)
  glimpse zero-shot --explain-name NAME            the ImageNet classes a name covers, per sense
  glimpse eval PROJECT DIR                         accuracy, per-class precision/recall/F1, confusion matrix;
                                                   for an anomaly detector DIR holds normal/ and anomaly/,
                                                   and it prints ROC AUC and the rates at the threshold
  glimpse predict PROJECT IMAGE...                 the class of each image (normal or anomaly, with its score)
  glimpse adapt PROJECT DIR -o OUT                 adapt a trained project to the camera or scene DIR's
                                                   unlabelled images come from (--remove: undo it)
  glimpse group DIR [-o PROJECT] [--groups N]      group DIR's unlabelled images by what they show (-o: a project
                                                   with a class per group; N groups, or as many as separate
                                                   best); with class sub-folders, it also scores the
                                                   grouping against them (adjusted Rand index)
  glimpse explain [PROJECT] IMAGE... [-o DIR]      where in each image its class was seen (the project's, or
                                                   ImageNet's without a project); -o writes overlay PNGs
  glimpse bench [learn] [--iterations N]           time the backbone (or the learner) on the CPU and on wgpu
                                                   (in builds with `--features bench`)

options:
  --weights FILE   Lite0 weights (default: models/efficientnet-lite0.bpk beside the workspace)
  --backend B      cpu (default), wgpu, or auto (wgpu on a hardware GPU, else the CPU);
                   wgpu needs a build with `--features gpu`

learning options (defaults in brackets):
  --head softmax|prototype|knn|auto|anomaly [softmax]   --hidden N hidden width, 0 = linear [0]
                   auto: each head scored by cross-validation on the examples (up to 30 s), the best trained
  --epochs N [50]   --batch-size N [32]   --learning-rate X [0.001]   --weight-decay X [0.0001]
  --dropout X [0.2]   --label-smoothing X [0.1]   --validation X held-out share [0.2]
  --patience N [10]   --seed N [42]   --k N neighbours for knn [5]   --threshold X unknown below [0.6]
  --flip   --crops N   --jitter X      augmented views per image [none]
  --fine-tune N    after the head, retrain the top N layers of the backbone too (1 = its last
                   1x1 conv, each more one block below; at most 6) at a tenth of the learning rate [0]
  --anomaly        the same as --head anomaly   --false-alarm X  share of normal images flagged [0.05]";

pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("glimpse: {message}");
            2
        }
    }
}

/// Options shared by the subcommands, and the positional arguments left over.
#[derive(Clone)]
struct Options {
    weights: PathBuf,
    backend: String,
    #[cfg_attr(not(feature = "bench"), allow(dead_code))]
    iterations: usize,
    settings: Settings,
    output: Option<PathBuf>,
    /// Class names without examples (`--classes`, `--zero-shot`).
    zero_shot: Option<Vec<String>>,
    explain_name: Option<String>,
    /// `adapt --remove`
    remove: bool,
    /// `group --groups N`
    groups: Option<usize>,
    rest: Vec<String>,
}

/// Sets the settings field a numeric learning flag names; false when `flag` is not one.
macro_rules! number_flags {
    ($flag:expr, $value:expr, $settings:expr, { $($name:literal => $($field:ident).+),* $(,)? }) => {
        match $flag {
            $($name => { $settings.$($field).+ = number($flag, &$value($flag)?)?; true })*
            _ => false,
        }
    };
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        weights: Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(glimpse::WEIGHTS_FILE),
        backend: "cpu".into(),
        iterations: 10,
        settings: Settings::default(),
        output: None,
        zero_shot: None,
        explain_name: None,
        remove: false,
        groups: None,
        rest: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        let s = &mut options.settings;
        let numeric = number_flags!(arg.as_str(), value, s, {
            "--hidden" => hidden, "--epochs" => epochs, "--batch-size" => batch_size,
            "--learning-rate" => learning_rate, "--weight-decay" => weight_decay, "--dropout" => dropout,
            "--label-smoothing" => label_smoothing, "--validation" => validation_fraction,
            "--patience" => patience, "--seed" => seed, "--k" => k, "--threshold" => threshold,
            "--crops" => augment.crops, "--jitter" => augment.jitter, "--fine-tune" => fine_tune,
            "--false-alarm" => false_alarm_rate,
        });
        if numeric {
            continue;
        }
        match arg.as_str() {
            "--weights" => options.weights = value("--weights")?.into(),
            "--backend" => options.backend = value("--backend")?,
            "--iterations" => options.iterations = number(arg, &value(arg)?)?,
            "-o" | "--output" => options.output = Some(value("--output")?.into()),
            // `--head anomaly` was the detector's name before it was a task of its own.
            "--head" => match value("--head")?.as_str() {
                "anomaly" => options.settings.task = Task::SpotAnomalies,
                name => options.settings.head = HeadChoice::parse(name).map_err(|e| e.to_string())?,
            },
            "--flip" => options.settings.augment.flip = true,
            "--anomaly" => options.settings.task = Task::SpotAnomalies,
            "--remove" => options.remove = true,
            "--groups" => options.groups = Some(number(arg, &value(arg)?)?),
            "--classes" | "--zero-shot" => {
                let names: Vec<String> = value(arg)?.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
                if names.is_empty() {
                    return Err(format!("{arg} needs comma-separated class names"));
                }
                options.zero_shot = Some(names);
            }
            "--explain-name" => options.explain_name = Some(value(arg)?),
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n{USAGE}")),
            _ => options.rest.push(arg.clone()),
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{flag} needs a number, got {text:?}"))
}

fn run(args: &[String]) -> Result<i32, String> {
    let Some((command, args)) = args.split_first() else {
        return Err(USAGE.into());
    };
    let options = parse(args)?;
    match command.as_str() {
        "imagenet" => imagenet(&options),
        #[cfg(feature = "bench")]
        "bench" => bench::run(&options).map(|_| 0),
        #[cfg(not(feature = "bench"))]
        "bench" => Err("this glimpse was built without the benchmarks: cargo run --release --features bench --bin glimpse -- bench".into()),
        "train" => learn::train(&options),
        "eval" => learn::eval(&options),
        "adapt" => adapt::run(&options),
        "predict" => learn::predict(&options),
        "explain" => explain::run(&options),
        "zero-shot" => zero_shot::run(&options),
        "group" => group::run(&options),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

/// The weights loaded on the device `--backend` names.
fn load_backbone(options: &Options) -> Result<Backbone, String> {
    let choice = DeviceChoice::parse(&options.backend).map_err(|e| e.to_string())?;
    let path = &options.weights;
    let bytes = std::fs::read(path).map_err(|e| format!("weights file {}: {e}", path.display()))?;
    pollster::block_on(Backbone::load_on(choice, &bytes, &path.display().to_string())).map_err(|e| e.to_string())
}

/// An empty project on the backbone.
fn session(options: &Options) -> Result<Session, String> {
    Ok(Session::new(Rc::new(load_backbone(options)?)))
}

/// The project file at `path`, open on the backbone.
fn open_project(options: &Options, path: &str) -> Result<Session, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let session = session(options)?;
    session.open(&bytes).map_err(|e| format!("{path}: {e}"))?;
    if let Some(a) = session.adaptation() {
        let note = if a.applies { "" } else { " (not applied: the head was retrained through other fine-tuned layers since; adapt again)" };
        eprintln!("{path}: adapted to a new camera or scene from {} images{note}", a.frames);
    }
    Ok(session)
}

/// Decodes a PNG or JPEG file to RGBA8.
fn decode(path: &Path) -> Result<image::RgbaImage, String> {
    let name = path.display();
    Ok(image::ImageReader::open(path)
        .map_err(|e| format!("{name}: {e}"))?
        .with_guessed_format()
        .map_err(|e| format!("{name}: {e}"))?
        .decode()
        .map_err(|e| format!("{name}: not a readable PNG or JPEG image ({e})"))?
        .into_rgba8())
}

/// `image` (decoded from `path`) as a frame for the core.
fn frame<'a>(path: &Path, image: &'a image::RgbaImage) -> Result<Frame<'a>, String> {
    Frame::new(image.as_raw(), image.width(), image.height()).map_err(|e| format!("{}: {e}", path.display()))
}

/// `path<TAB>class<TAB>probability`, or `path<TAB>unknown<TAB>p<TAB>(closest: class q)` with `p`
/// the probability of "none of these" where the project has it, else the closest class's.
/// A detector's: `path<TAB>normal|anomaly<TAB>score<TAB>(threshold t)`.
fn print_prediction(path: &str, p: &glimpse::Prediction) {
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

fn imagenet(options: &Options) -> Result<i32, String> {
    if options.rest.is_empty() {
        return Err(format!("imagenet needs at least one image\n{USAGE}"));
    }
    // Decode everything first, so that a bad file fails before the model is loaded.
    let images = options.rest.iter().map(|p| decode(Path::new(p))).collect::<Result<Vec<_>, _>>()?;
    let backbone = load_backbone(options)?;
    for (path, image) in options.rest.iter().zip(&images) {
        let frame = frame(Path::new(path), image)?;
        let top = pollster::block_on(backbone.imagenet_top_k(&[frame], 5)).map_err(|e| e.to_string())?;
        println!("{path}");
        for class in &top[0] {
            println!("{:.4}\t{}\t{}", class.probability, class.index, class.label);
        }
    }
    Ok(0)
}
