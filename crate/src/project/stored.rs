//! The project as the page keeps it in IndexedDB: a skeleton (the project file with every
//! example's contents left out) and one record per example. Saving a new example then writes
//! its record and the skeleton, whose size grows by a few bytes an example, instead of the whole
//! project; reloading joins them again. Exports stay one file (`file`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Project;
use super::file::{BackboneId, Kind, ProjectError, encode, skeleton_from_bytes};
use crate::Error;
use crate::learn::examples::store::{Activation, Example, ExampleId};
use crate::preprocess::Preprocess;

/// One example's contents, and what the frozen layers computed for it (fine-tuning's cache).
#[derive(Serialize)]
struct RecordRef<'a> {
    example: &'a Example,
    activation: Option<&'a Activation>,
}

#[derive(Deserialize)]
struct Record {
    example: Example,
    activation: Option<Activation>,
}

impl Project {
    /// Everything but the examples' features, thumbnails and activations: their ids and
    /// captures stay, in order, so that the records fill them back in.
    pub fn skeleton_bytes(&self, backbone: &BackboneId, preprocess: &Preprocess) -> Vec<u8> {
        let skeleton = Project {
            examples: self.examples.hollow(),
            settings: self.settings.clone(),
            trained: self.trained.clone(),
            senses: self.senses.clone(),
            activations: Default::default(),
            adaptation: self.adaptation.clone(),
        };
        encode(Kind::Skeleton, backbone, preprocess, &skeleton)
    }

    /// One example's record. Examples never change once made (moving one to another class is a
    /// skeleton change), so a record is written once.
    pub fn record_bytes(&self, id: ExampleId) -> Result<Vec<u8>, Error> {
        let record = RecordRef { example: self.examples.example(id)?, activation: self.activations.get(&id) };
        Ok(postcard::to_allocvec(&record).expect("serialising to memory cannot fail"))
    }

    /// Joins a skeleton and its records (in any order; records of examples it no longer holds
    /// are ignored) and checks the result as a file is checked.
    pub fn from_stored(skeleton: &[u8], records: &[impl AsRef<[u8]>], backbone: &BackboneId, preprocess: &Preprocess) -> Result<Self, ProjectError> {
        let mut project = skeleton_from_bytes(skeleton, backbone, preprocess)?;
        let mut contents = HashMap::with_capacity(records.len());
        for bytes in records {
            let record: Record = postcard::from_bytes(bytes.as_ref()).map_err(|e| ProjectError::Undecodable(format!("an example's record: {e}")))?;
            if let Some(a) = record.activation {
                project.activations.insert(record.example.id, a);
            }
            contents.insert(record.example.id, record.example);
        }
        project.examples.fill(contents).map_err(|e| ProjectError::Inconsistent(e.to_string()))?;
        project.activations.retain(|id, _| project.examples.example(*id).is_ok());
        project.validate().map_err(|e| ProjectError::Inconsistent(e.to_string()))?;
        Ok(project)
    }
}
