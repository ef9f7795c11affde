//! The examples as rows: what training reads, detached from the store so that the store can
//! change (the user keeps capturing) while a head trains.

use burn::prelude::*;

use crate::Error;
use crate::backbone::FEATURE_DIM;
use crate::backbone::{Network, top};
use crate::learn::examples::store::{Activation, Class, ClassId, ExampleId};
use crate::learn::metrics::{Evaluation, evaluate};
use crate::learn::vectors::mean;

#[derive(Debug, Clone)]
pub struct Dataset {
    pub classes: Vec<ClassId>,
    pub dim: usize,
    /// Row-major `len × dim`.
    pub features: Vec<f32>,
    /// Index into `classes` of each row.
    pub labels: Vec<usize>,
    pub ids: Vec<ExampleId>,
    pub captures: Vec<u32>,
    /// Each row's cached activation when fine-tuning (see [`Dataset::with_activations`]); empty otherwise.
    pub activations: Vec<Activation>,
}

impl Dataset {
    /// The examples of `classes`, in that order. Refuses fewer than two classes and empty
    /// classes, since neither can be trained meaningfully.
    pub fn of(classes: &[&Class]) -> Result<Self, Error> {
        if classes.len() < 2 {
            return Err(Error::NotEnoughClasses(classes.len()));
        }
        Self::rows_of(classes)
    }

    /// The examples of one class of normal things, for an anomaly detector.
    pub fn normal(class: &Class) -> Result<Self, Error> {
        Self::rows_of(&[class])
    }

    fn rows_of(classes: &[&Class]) -> Result<Self, Error> {
        if let Some(empty) = classes.iter().find(|c| c.examples.is_empty()) {
            return Err(Error::EmptyClass(empty.name.clone()));
        }
        let mut data = Self {
            classes: classes.iter().map(|c| c.id).collect(),
            dim: FEATURE_DIM,
            features: Vec::new(),
            labels: Vec::new(),
            ids: Vec::new(),
            captures: Vec::new(),
            activations: Vec::new(),
        };
        for (label, class) in classes.iter().enumerate() {
            for e in &class.examples {
                data.features.extend_from_slice(&e.feature);
                data.labels.push(label);
                data.ids.push(e.id);
                data.captures.push(e.capture);
            }
        }
        Ok(data)
    }

    /// The same rows and classes with other features (`len × dim`): what a baseline learns from.
    pub fn with_features(&self, features: Vec<f32>, dim: usize) -> Self {
        Self {
            classes: self.classes.clone(),
            dim,
            features,
            labels: self.labels.clone(),
            ids: self.ids.clone(),
            captures: self.captures.clone(),
            activations: Vec::new(),
        }
    }

    /// Attaches each row's activation from `cached`; fails, saying how many are missing, when a
    /// row has none deep enough for fine-tuning `depth` layers.
    pub fn with_activations(mut self, network: &Network, depth: u32, cached: impl Fn(ExampleId) -> Option<Activation>) -> Result<Self, Error> {
        let needed = top::first_block(network, depth);
        let found: Vec<Activation> = self.ids.iter().filter_map(|&id| cached(id).filter(|a| a.block as usize <= needed)).collect();
        if found.len() < self.len() {
            return Err(Error::NotCached { missing: self.len() - found.len(), total: self.len(), depth, deepest: depth == top::MAX_DEPTH });
        }
        self.activations = found;
        Ok(self)
    }

    /// Scores `predicted` (a class index per row of `rows`) against the rows' labels.
    pub fn evaluate(&self, rows: &[usize], predicted: &[usize]) -> Evaluation {
        let truth: Vec<usize> = rows.iter().map(|&i| self.labels[i]).collect();
        let ids: Vec<ExampleId> = rows.iter().map(|&i| self.ids[i]).collect();
        evaluate(&self.classes, &truth, predicted, &ids)
    }

    /// The mean feature of every row.
    pub fn mean(&self) -> Vec<f32> {
        mean(&self.features, self.dim)
    }

    /// Subtracts `centre` from every row.
    pub fn centre(&mut self, centre: &[f32]) {
        for row in self.features.chunks_mut(self.dim) {
            row.iter_mut().zip(centre).for_each(|(v, c)| *v -= c);
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// The rows `indices`, as a dataset of the same classes.
    pub fn subset(&self, indices: &[usize]) -> Self {
        let (features, labels) = self.rows(indices);
        Self {
            classes: self.classes.clone(),
            dim: self.dim,
            features,
            labels,
            ids: indices.iter().map(|&i| self.ids[i]).collect(),
            captures: indices.iter().map(|&i| self.captures[i]).collect(),
            activations: if self.activations.is_empty() { Vec::new() } else { indices.iter().map(|&i| self.activations[i].clone()).collect() },
        }
    }

    /// The features and labels of rows `indices`.
    pub fn rows(&self, indices: &[usize]) -> (Vec<f32>, Vec<usize>) {
        let mut features = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            features.extend_from_slice(&self.features[i * self.dim..(i + 1) * self.dim]);
        }
        (features, indices.iter().map(|&i| self.labels[i]).collect())
    }

    /// Rows of features (`n × dim`) as a tensor on `device`.
    pub fn upload(&self, features: Vec<f32>, device: &Device) -> Tensor<2> {
        let n = features.len() / self.dim;
        Tensor::from_data(TensorData::new(features, [n, self.dim]), device)
    }
}
