//! The pretrained image backbone: frames in, features (and ImageNet predictions) out.

pub mod concepts;
pub mod depthwise;
pub mod efficientnet;
pub mod heatmap;
pub mod imagenet;
pub mod network;
pub mod pointwise;
pub mod stem;
pub mod threads;
pub mod top;
pub mod weights;

use burn::prelude::{Device, Tensor, TensorData};

use heatmap::Readout;

pub use efficientnet::{CpuKernels, EfficientNet, FEATURE_DIM, IMAGENET_CLASSES};
pub use heatmap::HeatMap;
pub use imagenet::ImagenetClass;
pub use network::{LITE0, LITE2, NETWORKS, Network};
pub use threads::Threads;

use crate::Error;
use crate::device::{Backend, ComputeDevice, DeviceChoice, read_floats};
use crate::preprocess::{Frame, Preprocess, View};

/// A network with its weights, on one device, with the preprocessing it was trained with.
#[derive(Debug)]
pub struct Backbone {
    model: EfficientNet,
    device: ComputeDevice,
    preprocess: Preprocess,
    chooser: threads::Chooser,
}

impl Backbone {
    /// Loads `network` from its weights file `bytes` (named `source` in errors) onto `device`.
    pub fn load(network: &'static Network, bytes: &[u8], source: &str, device: &ComputeDevice) -> Result<Self, Error> {
        let mut model = weights::load(bytes, source, network, &device.device)?;
        if device.backend == Backend::Cpu {
            model.use_cpu_kernels(CpuKernels::All)?;
        }
        Ok(Self { model, device: device.clone(), preprocess: network.preprocess(), chooser: Default::default() })
    }

    /// Chooses the device (see [`ComputeDevice::choose`]) and loads the weights there.
    pub async fn load_on(choice: DeviceChoice, network: &'static Network, bytes: &[u8], source: &str) -> Result<Self, Error> {
        Self::load(network, bytes, source, &ComputeDevice::choose(choice).await?)
    }

    /// Runs fewer of the CPU kernels (Burn's ops instead): the benchmarks' "before".
    #[cfg(feature = "bench")]
    pub fn use_cpu_kernels(&mut self, kernels: CpuKernels) -> Result<(), Error> {
        self.model.use_cpu_kernels(kernels)
    }

    pub fn model(&self) -> &EfficientNet {
        &self.model
    }

    /// Which network this is.
    pub fn network(&self) -> &'static Network {
        self.model.network()
    }

    pub fn device(&self) -> &Device {
        &self.device.device
    }

    /// The device with its description (backend, adapter, why the CPU was chosen).
    pub fn compute(&self) -> &ComputeDevice {
        &self.device
    }

    pub fn preprocess(&self) -> &Preprocess {
        &self.preprocess
    }

    /// Preprocesses frames and uploads them as one `[N, 3, S, S]` batch.
    pub fn input(&self, frames: &[Frame<'_>]) -> Result<Tensor<4>, Error> {
        self.input_of(frames, View::CentreSquare)
    }

    /// Preprocesses `view` of each frame and uploads them as one batch.
    pub fn input_of(&self, frames: &[Frame<'_>], view: View) -> Result<Tensor<4>, Error> {
        if frames.is_empty() {
            return Err(Error::NoFrames);
        }
        let size = self.preprocess.size as usize;
        let data = TensorData::new(self.preprocess.batch(frames, view), [frames.len(), 3, size, size]);
        Ok(Tensor::from_data(data, self.device()))
    }

    /// The input of block `block` (see `top`) for each frame, on the device.
    pub fn trunk(&self, frames: &[Frame<'_>], block: usize) -> Result<Tensor<4>, Error> {
        self.trunk_of(frames, block, View::CentreSquare)
    }

    /// [`Backbone::trunk`] of `view` of each frame.
    pub fn trunk_of(&self, frames: &[Frame<'_>], block: usize, view: View) -> Result<Tensor<4>, Error> {
        Ok(self.model.trunk(self.input_of(frames, view)?, block))
    }

    /// Pooled features `[N, 1280]`, left on the device for heads that train there.
    pub fn features_tensor(&self, frames: &[Frame<'_>]) -> Result<Tensor<2>, Error> {
        Ok(self.model.features(self.input(frames)?))
    }

    /// Pooled features, row-major `N × 1280`.
    pub async fn features(&self, frames: &[Frame<'_>]) -> Result<Vec<f32>, Error> {
        read_floats(self.features_tensor(frames)?).await
    }

    /// ImageNet logits, row-major `N × 1000`.
    pub async fn imagenet_logits(&self, frames: &[Frame<'_>]) -> Result<Vec<f32>, Error> {
        read_floats(self.model.classify(self.features_tensor(frames)?)).await
    }

    /// The last feature map of each frame before pooling, `[N, 1280, side, side]`, on the device.
    pub fn feature_map_tensor(&self, frames: &[Frame<'_>]) -> Result<Tensor<4>, Error> {
        Ok(self.model.feature_map(self.input(frames)?))
    }

    /// The most probable ImageNet class of each frame with its heat map (exact: the classifier
    /// is linear in the pooled feature).
    pub async fn explain_imagenet(&self, frames: &[Frame<'_>]) -> Result<Vec<(ImagenetClass, HeatMap)>, Error> {
        let maps = self.feature_map_tensor(frames)?;
        let logits = read_floats(self.model.classify(EfficientNet::pool(maps.clone()))).await?;
        let maps = read_floats(maps).await?;
        let per_frame = maps.len() / frames.len();
        let mut out = Vec::with_capacity(frames.len());
        for (row, map) in logits.chunks(IMAGENET_CLASSES).zip(maps.chunks(per_frame)) {
            let top = imagenet::top_k(row, 1).remove(0);
            let map = self.imagenet_map(top.index, map).await?;
            out.push((top, map));
        }
        Ok(out)
    }

    /// The heat map of ImageNet class `index` on one frame's feature map (`1280 × side × side`).
    pub async fn imagenet_map(&self, index: usize, map: &[f32]) -> Result<HeatMap, Error> {
        let classifier = &self.model.classifier;
        let weight = read_floats(classifier.weight.val().slice([0..FEATURE_DIM, index..index + 1])).await?;
        let bias = match &classifier.bias {
            Some(b) => read_floats(b.val().slice([index..index + 1])).await?[0],
            None => 0.0,
        };
        Ok(HeatMap::of(map, FEATURE_DIM, Readout::Linear { weight: &weight, bias }))
    }

    /// The `k` most probable ImageNet classes of each frame.
    pub async fn imagenet_top_k(&self, frames: &[Frame<'_>], k: usize) -> Result<Vec<Vec<ImagenetClass>>, Error> {
        let logits = self.imagenet_logits(frames).await?;
        Ok(logits.chunks(IMAGENET_CLASSES).map(|row| imagenet::top_k(row, k)).collect())
    }
}
