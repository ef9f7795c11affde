//! The softmax head: a linear layer (or one hidden layer) trained by the epoch loop.

use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use crate::Error;
use crate::learn::examples::dataset::Dataset;
use crate::learn::examples::split::Split;
use crate::learn::heads::dense::Dense;
use crate::learn::heads::stored::{COSINE_SCALE, HeadWeights};
use crate::learn::progress::{Progress, Run};
use crate::learn::settings::Settings;
use crate::learn::train::{Fit, Objective, Start, fit, int_tensor};
use crate::learn::vectors::{unit_means, unit_rows};

/// The softmax head as a Burn module, trainable with autodiff. Its input is the unit-length
/// feature times √dim, so that every head sees the same geometry and the default `Linear`
/// initialisation sees inputs of unit variance.
#[derive(Module, Debug)]
pub struct SoftmaxNet {
    pub hidden: Option<Linear>,
    pub output: Linear,
    pub dropout: Dropout,
}

impl SoftmaxNet {
    pub fn from_dense(hidden: Option<&Dense>, output: &Dense, dropout: f32, device: &Device) -> Self {
        Self { hidden: hidden.map(|h| h.linear(device)), output: output.linear(device), dropout: DropoutConfig::new(dropout as f64).init() }
    }

    pub fn input(features: Tensor<2>) -> Tensor<2> {
        let dim = features.dims()[1] as f32;
        unit_rows(features) * dim.sqrt()
    }

    /// Logits from prepared inputs (see [`SoftmaxNet::input`]).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.dropout.forward(x);
        match &self.hidden {
            Some(hidden) => self.output.forward(self.dropout.forward(relu(hidden.forward(x)))),
            None => self.output.forward(x),
        }
    }

    pub async fn weights(&self) -> Result<HeadWeights, Error> {
        let hidden = match &self.hidden {
            Some(h) => Some(Dense::of(h).await?),
            None => None,
        };
        Ok(HeadWeights::Softmax { hidden, output: Dense::of(&self.output).await? })
    }
}

/// A new softmax head. The linear head starts from the class prototypes ("weight imprinting",
/// Qi et al. 2018), so that it predicts as well as the prototype head before its first step
/// and training only has to improve on that; the hidden-layer head starts at random.
fn init(data: &Dataset, train: &[usize], settings: &Settings, device: &Device) -> SoftmaxNet {
    let (c, d) = (data.classes.len(), data.dim);
    let (features, labels) = data.rows(train);
    if settings.hidden == 0 {
        let prototypes = unit_means(&features, &labels, c, d);
        // Input is unit × √d, so weights prototype · scale / √d give logits scale · cos.
        let w = COSINE_SCALE / (d as f32).sqrt();
        let mut weight = vec![0.0; d * c];
        for class in 0..c {
            for j in 0..d {
                weight[j * c + class] = prototypes[class * d + j] * w;
            }
        }
        let output = Dense { inputs: d as u32, outputs: c as u32, weight, bias: vec![0.0; c] };
        SoftmaxNet::from_dense(None, &output, settings.dropout, device)
    } else {
        let h = settings.hidden as usize;
        SoftmaxNet {
            hidden: Some(LinearConfig::new(d, h).init(device)),
            output: LinearConfig::new(h, c).init(device),
            dropout: DropoutConfig::new(settings.dropout as f64).init(),
        }
    }
}

/// Trains a softmax head on `split.train`, stopping early on `split.validation`.
pub async fn train(data: &Dataset, split: &Split, settings: &Settings, device: &Device, run: &mut Run<'_, impl Progress>) -> Result<Fit<SoftmaxNet>, Error> {
    let autodiff = device.clone().autodiff();
    autodiff.seed(settings.seed as u64);
    let net = init(data, &split.train, settings, &autodiff);
    let rows = |indices: &[usize], device: &Device| {
        let (x, y) = data.rows(indices);
        (SoftmaxNet::input(data.upload(x, device)), int_tensor(&y, device))
    };
    let train = rows(&split.train, &autodiff);
    let validation = (!split.validation.is_empty()).then(|| rows(&split.validation, device));
    let start = Start { epoch: 1, learning_rate: settings.learning_rate };
    fit(net, SoftmaxNet::forward, train, validation, start, settings, Objective::plain(settings), device, run).await
}
