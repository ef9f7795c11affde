//! The project as the page keeps it in IndexedDB: a skeleton (the project file with every
//! example's contents left out) and one record per example. Saving a new example then writes
//! its record and the skeleton, whose size grows by a few bytes an example, instead of the whole
//! project; reloading joins them again. Exports stay one file (`file`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Project;
use super::file::{Kind, ProjectError, encode, skeleton_from_bytes};
use crate::Error;
use crate::backbone::Network;
use crate::learn::examples::store::{Activation, Example, ExampleId};
use crate::learn::tasks::counting::Scene;

/// One example's contents, what the frozen layers computed for it (fine-tuning's cache), and
/// for a frame captured for counting its scene (since format 7; its points change, and stay in
/// the skeleton).
#[derive(Serialize)]
struct RecordRef<'a> {
    example: &'a Example,
    activation: Option<&'a Activation>,
    scene: Option<&'a Scene>,
}

#[derive(Deserialize)]
struct Record {
    example: Example,
    activation: Option<Activation>,
    scene: Option<Scene>,
}

/// A record as formats up to 6 wrote it.
#[derive(Deserialize)]
struct RecordV6 {
    example: Example,
    activation: Option<Activation>,
}

impl Record {
    fn decode(bytes: &[u8]) -> Result<Self, ProjectError> {
        let undecodable = |e: postcard::Error| ProjectError::Undecodable(format!("an example's record: {e}"));
        match postcard::from_bytes::<Record>(bytes) {
            Ok(record) => Ok(record),
            Err(postcard::Error::DeserializeUnexpectedEnd) => {
                let RecordV6 { example, activation } = postcard::from_bytes(bytes).map_err(undecodable)?;
                Ok(Record { example, activation, scene: None })
            }
            Err(e) => Err(undecodable(e)),
        }
    }
}

impl Project {
    /// Everything but the examples' features, thumbnails and activations: their ids and
    /// captures stay, in order, so that the records fill them back in.
    pub fn skeleton_bytes(&self, network: &Network) -> Vec<u8> {
        let skeleton = Project {
            examples: self.examples.hollow(),
            settings: self.settings.clone(),
            trained: self.trained.clone(),
            senses: self.senses.clone(),
            activations: Default::default(),
            adaptation: self.adaptation.clone(),
            scenes: Default::default(),
            points: self.points.clone(),
        };
        encode(Kind::Skeleton, network, &skeleton)
    }

    /// One example's record. Examples never change once made (moving one to another class is a
    /// skeleton change), so a record is written once.
    pub fn record_bytes(&self, id: ExampleId) -> Result<Vec<u8>, Error> {
        let record = RecordRef { example: self.examples.example(id)?, activation: self.activations.get(&id), scene: self.scenes.get(&id) };
        Ok(postcard::to_allocvec(&record).expect("serialising to memory cannot fail"))
    }

    /// Joins a skeleton and its records (in any order; records of examples it no longer holds
    /// are ignored) and checks the result as a file is checked.
    pub fn from_stored(skeleton: &[u8], records: &[impl AsRef<[u8]>], network: &Network) -> Result<Self, ProjectError> {
        let mut project = skeleton_from_bytes(skeleton, network)?;
        let mut contents = HashMap::with_capacity(records.len());
        for bytes in records {
            let record = Record::decode(bytes.as_ref())?;
            if let Some(a) = record.activation {
                project.activations.insert(record.example.id, a);
            }
            if let Some(scene) = record.scene {
                project.scenes.insert(record.example.id, scene);
            }
            contents.insert(record.example.id, record.example);
        }
        project.examples.fill(contents).map_err(|e| ProjectError::Inconsistent(e.to_string()))?;
        project.activations.retain(|id, _| project.examples.example(*id).is_ok());
        project.scenes.retain(|id, _| project.examples.example(*id).is_ok());
        project.validate(network).map_err(|e| ProjectError::Inconsistent(e.to_string()))?;
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::examples::store::Thumbnail;

    /// Pages stored records without a scene up to format 6: they still decode, without one; a
    /// record cut short is refused.
    #[test]
    fn records_of_format_6_decode_without_a_scene() {
        #[derive(Serialize)]
        struct Old<'a> {
            example: &'a Example,
            activation: Option<&'a Activation>,
        }
        let example = Example { id: 3, capture: 3, feature: vec![0.5; 4], thumbnail: Thumbnail { rgb: vec![7; 12] } };
        let activation = Activation { block: 11, values: vec![1, 2, 3] };
        let old = postcard::to_allocvec(&Old { example: &example, activation: Some(&activation) }).unwrap();
        let record = Record::decode(&old).unwrap();
        assert_eq!((record.example, record.activation, record.scene), (example.clone(), Some(activation.clone()), None));
        let new = postcard::to_allocvec(&RecordRef { example: &example, activation: None, scene: None }).unwrap();
        assert_eq!(Record::decode(&new).unwrap().example, example);
        assert!(Record::decode(&new[..new.len() / 2]).is_err());
    }
}
