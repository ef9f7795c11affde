//! Argument parsing and the subcommands; all the work is done by the library.

mod bench;
mod learn;

use std::path::{Path, PathBuf};

use glimpse::learn::{HeadKind, Settings};
use glimpse::{Backbone, ComputeDevice, Frame};

const USAGE: &str = "\
usage:
  glimpse imagenet [--backend cpu|wgpu] IMAGE...   top-5 ImageNet classes of each PNG/JPEG image
  glimpse train DIR -o PROJECT [learning options]  learn the classes of DIR (a sub-folder of images per class)
  glimpse eval PROJECT DIR                         accuracy, per-class precision/recall/F1, confusion matrix
  glimpse predict PROJECT IMAGE...                 the class of each image
  glimpse bench [--iterations N]                   time the backbone on the CPU and on wgpu

options:
  --weights FILE   Lite0 weights (default: models/efficientnet-lite0.bpk beside the workspace)
  --backend B      cpu (default) or wgpu

learning options (defaults in brackets):
  --head softmax|prototype|knn [softmax]   --hidden N hidden width, 0 = linear [0]
  --epochs N [50]   --batch-size N [32]   --learning-rate X [0.001]   --weight-decay X [0.0001]
  --dropout X [0.2]   --label-smoothing X [0.1]   --validation X held-out share [0.2]
  --patience N [10]   --seed N [42]   --k N neighbours for knn [5]   --threshold X unknown below [0.6]
  --flip   --crops N   --jitter X      augmented views per image [none]";

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
struct Options {
    weights: PathBuf,
    backend: String,
    iterations: usize,
    settings: Settings,
    output: Option<PathBuf>,
    rest: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        weights: Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(glimpse::backbone::weights::WEIGHTS_FILE),
        backend: "cpu".into(),
        iterations: 10,
        settings: Settings::default(),
        output: None,
        rest: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--weights" => options.weights = value("--weights")?.into(),
            "--backend" => options.backend = value("--backend")?,
            "--iterations" => {
                options.iterations = value("--iterations")?.parse().map_err(|_| "--iterations needs a number".to_string())?
            }
            "-o" | "--output" => options.output = Some(value("--output")?.into()),
            "--head" => options.settings.head = HeadKind::parse(&value("--head")?).map_err(|e| e.to_string())?,
            "--hidden" => options.settings.hidden = number(arg, &value(arg)?)?,
            "--epochs" => options.settings.epochs = number(arg, &value(arg)?)?,
            "--batch-size" => options.settings.batch_size = number(arg, &value(arg)?)?,
            "--learning-rate" => options.settings.learning_rate = number(arg, &value(arg)?)?,
            "--weight-decay" => options.settings.weight_decay = number(arg, &value(arg)?)?,
            "--dropout" => options.settings.dropout = number(arg, &value(arg)?)?,
            "--label-smoothing" => options.settings.label_smoothing = number(arg, &value(arg)?)?,
            "--validation" => options.settings.validation_fraction = number(arg, &value(arg)?)?,
            "--patience" => options.settings.patience = number(arg, &value(arg)?)?,
            "--seed" => options.settings.seed = number(arg, &value(arg)?)?,
            "--k" => options.settings.k = number(arg, &value(arg)?)?,
            "--threshold" => options.settings.threshold = number(arg, &value(arg)?)?,
            "--flip" => options.settings.augment.flip = true,
            "--crops" => options.settings.augment.crops = number(arg, &value(arg)?)?,
            "--jitter" => options.settings.augment.jitter = number(arg, &value(arg)?)?,
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
        "bench" => bench::run(&options).map(|_| 0),
        "train" => learn::train(&options),
        "eval" => learn::eval(&options),
        "predict" => learn::predict(&options),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

fn device(backend: &str) -> Result<ComputeDevice, String> {
    match backend {
        "cpu" => Ok(ComputeDevice::cpu()),
        "wgpu" => pollster::block_on(ComputeDevice::wgpu()).map_err(|e| e.to_string()),
        other => Err(format!("unknown backend {other} (cpu or wgpu)")),
    }
}

fn load_backbone(options: &Options, device: &ComputeDevice) -> Result<Backbone, String> {
    let path = &options.weights;
    let bytes = std::fs::read(path).map_err(|e| format!("weights file {}: {e}", path.display()))?;
    Backbone::load(&bytes, &path.display().to_string(), &device.device).map_err(|e| e.to_string())
}

/// Decodes a PNG or JPEG file to RGBA8.
fn decode(path: &str) -> Result<(Vec<u8>, u32, u32), String> {
    let image = image::ImageReader::open(path)
        .map_err(|e| format!("{path}: {e}"))?
        .with_guessed_format()
        .map_err(|e| format!("{path}: {e}"))?
        .decode()
        .map_err(|e| format!("{path}: not a readable PNG or JPEG image ({e})"))?
        .into_rgba8();
    let (width, height) = image.dimensions();
    Ok((image.into_raw(), width, height))
}

fn imagenet(options: &Options) -> Result<i32, String> {
    if options.rest.is_empty() {
        return Err(format!("imagenet needs at least one image\n{USAGE}"));
    }
    // Decode everything first, so that a bad file fails before the model is loaded.
    let images = options.rest.iter().map(|p| decode(p)).collect::<Result<Vec<_>, _>>()?;
    let device = device(&options.backend)?;
    let backbone = load_backbone(options, &device)?;
    for (path, (rgba, width, height)) in options.rest.iter().zip(&images) {
        let frame = Frame::new(rgba, *width, *height).map_err(|e| format!("{path}: {e}"))?;
        let top = pollster::block_on(backbone.imagenet_top_k(&[frame], 5)).map_err(|e| e.to_string())?;
        println!("{path}");
        for class in &top[0] {
            println!("{:.4}\t{}\t{}", class.probability, class.index, class.label);
        }
    }
    Ok(0)
}
