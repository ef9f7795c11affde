//! A dense layer's numbers as the project file stores them, and their way to and from Burn's
//! `Linear`: the classifier's layers and the counter's per-cell layers are both made of them.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::device::read_floats;

/// A dense layer's numbers, laid out as Burn's `Linear` holds them: `weight` is
/// `inputs × outputs`, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    pub inputs: u32,
    pub outputs: u32,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Dense {
    pub fn check(&self, inputs: usize, outputs: usize) -> Result<(), Error> {
        let ok = self.inputs as usize == inputs
            && self.outputs as usize == outputs
            && self.weight.len() == inputs * outputs
            && self.bias.len() == outputs
            && self.weight.iter().chain(&self.bias).all(|v| v.is_finite());
        if ok { Ok(()) } else { Err(Error::Inconsistent(format!("a {inputs}→{outputs} layer has the wrong shape or values"))) }
    }

    pub fn linear(&self, device: &Device) -> Linear {
        let (i, o) = (self.inputs as usize, self.outputs as usize);
        Linear {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(self.weight.clone(), [i, o]), device)),
            bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(self.bias.clone(), [o]), device))),
        }
    }

    pub async fn of(linear: &Linear) -> Result<Self, Error> {
        let [inputs, outputs] = linear.weight.val().dims();
        let bias = match &linear.bias {
            Some(b) => read_floats(b.val()).await?,
            None => vec![0.0; outputs],
        };
        Ok(Self { inputs: inputs as u32, outputs: outputs as u32, weight: read_floats(linear.weight.val()).await?, bias })
    }

    /// The weights as one row per output (`outputs × inputs`).
    pub fn rows(&self) -> Vec<f32> {
        let (inputs, outputs) = (self.inputs as usize, self.outputs as usize);
        (0..outputs).flat_map(|o| (0..inputs).map(move |i| self.weight[i * outputs + o])).collect()
    }
}
