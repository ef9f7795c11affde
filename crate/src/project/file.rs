//! The project file: one versioned binary holding everything a user made (classes, examples,
//! settings, the trained head and its evaluation), the same in the browser and the CLI.
//!
//! Layout (little-endian):
//! ```text
//! 0   8   magic "GLIMPSE\0"
//! 8   2   format version
//! 10  1   kind: 0 = whole project, 1 = model only (no examples), 2 = a browser's stored
//!         skeleton (see `stored`; never a file to open)
//! 11  1   reserved, 0
//! 12  8   body length in bytes
//! 20  32  SHA-256 of the body
//! 52  …   body: postcard-encoded `Body`
//! ```
//! Everything before the body is checked before the body is decoded, so that a damaged file gets
//! a precise message rather than a decoder's guess.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Project;
use super::older::{ProjectV1, ProjectV2, ProjectV3, ProjectV4, ProjectV5, ProjectV6, ProjectV7};
use crate::backbone::Network;
pub use crate::error::ProjectError;
use crate::preprocess::Preprocess;

pub const MAGIC: &[u8; 8] = b"GLIMPSE\0";
/// The newest format this build writes and reads. 2: the senses chosen for class names.
/// 3: fine-tuning (its setting, the retrained layers, the cached activations).
/// 4: adaptation to a new domain, and the trained features' mean it needs.
/// 5: anomaly detection (its false-alarm rate; its head is a new kind), and what `head: auto`
/// chose. 6: the task apart from the head in the settings (a detector was a kind of head).
/// 7: counting and locating objects (the frames' scenes and points, the per-cell head, its
/// evaluation). 8: the refit on every example (its setting, what it retrained, the held-out
/// scores behind keeping fine-tuning), and the centre subtracted from the features a head reads.
/// A new format must also read the skeletons and example records the page stored in the last
/// one (see `stored`), or an upgrade sets every user's saved project aside.
pub const FORMAT_VERSION: u16 = 8;
pub const HEADER_LEN: usize = 52;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Project,
    /// Classes and head without examples: small, for classifying elsewhere.
    ModelOnly,
    /// The project with its examples' contents left out, as the page stores it beside one
    /// record per example (see `stored`).
    Skeleton,
}

/// The backbone a project's features came from. Features from another network (or other
/// weights) mean nothing to a head, so such a file is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackboneId {
    pub name: String,
    pub weights_sha256: String,
}

impl BackboneId {
    pub fn of(network: &Network) -> Self {
        Self { name: network.name.into(), weights_sha256: network.weights_sha256_line() }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Body<P> {
    backbone: BackboneId,
    preprocess: Preprocess,
    project: P,
}

impl<P> Body<P> {
    fn map<Q>(self, f: impl FnOnce(P) -> Q) -> Body<Q> {
        Body { backbone: self.backbone, preprocess: self.preprocess, project: f(self.project) }
    }
}

fn decode<'a, P: Deserialize<'a>>(body: &'a [u8]) -> Result<Body<P>, ProjectError> {
    match postcard::take_from_bytes(body) {
        Ok((body, [])) => Ok(body),
        Ok((_, rest)) => Err(ProjectError::Undecodable(format!("{} bytes left over", rest.len()))),
        Err(e) => Err(ProjectError::Undecodable(e.to_string())),
    }
}

impl Project {
    /// The whole project.
    pub fn to_bytes(&self, network: &Network) -> Vec<u8> {
        let mut project = self.clone();
        project.forget_deleted();
        encode(Kind::Project, network, &project)
    }

    /// Classes, settings and head, without examples or thumbnails.
    pub fn model_bytes(&self, network: &Network) -> Vec<u8> {
        let model = Project {
            examples: self.examples.without_examples(),
            activations: Default::default(),
            scenes: Default::default(),
            points: Default::default(),
            ..self.clone()
        };
        encode(Kind::ModelOnly, network, &model)
    }

    /// Reads and checks a file written by [`Project::to_bytes`] or [`Project::model_bytes`].
    pub fn from_bytes(bytes: &[u8], network: &Network) -> Result<(Kind, Self), ProjectError> {
        let (kind, version, body) = open(bytes)?;
        if kind == Kind::Skeleton {
            return Err(ProjectError::Skeleton);
        }
        let body: Body<Project> = match version {
            1 => decode::<ProjectV1>(body)?.map(|p| ProjectV4::from(ProjectV3::from(ProjectV2::from(p))).into()),
            2 => decode::<ProjectV2>(body)?.map(|p| ProjectV4::from(ProjectV3::from(p)).into()),
            3 => decode::<ProjectV3>(body)?.map(|p| ProjectV4::from(p).into()),
            4 => decode::<ProjectV4>(body)?.map(Project::from),
            5 => decode::<ProjectV5>(body)?.map(Project::from),
            6 => decode::<ProjectV6>(body)?.map(Project::from),
            7 => decode::<ProjectV7>(body)?.map(Project::from),
            _ => decode(body)?,
        };
        let project = body.made_for(network)?;
        project.validate(network).map_err(|e| ProjectError::Inconsistent(e.to_string()))?;
        Ok((kind, project))
    }
}

impl Body<Project> {
    /// The project, if it was made with this network, its weights and its preprocessing.
    fn made_for(self, network: &Network) -> Result<Project, ProjectError> {
        let backbone = &BackboneId::of(network);
        if &self.backbone != backbone {
            let describe = |b: &BackboneId| format!("{}, weights {}…", b.name, b.weights_sha256.get(..12).unwrap_or(&b.weights_sha256));
            return Err(ProjectError::WrongBackbone { found: describe(&self.backbone), expected: describe(backbone) });
        }
        if self.preprocess != network.preprocess() {
            return Err(ProjectError::WrongPreprocessing);
        }
        Ok(self.project)
    }
}

/// The network a project, model or skeleton file was made with, read before opening it so that
/// the right one can be loaded.
pub fn network_of(bytes: &[u8]) -> Result<&'static Network, ProjectError> {
    let (_, _, body) = open(bytes)?;
    // Every format's body starts with the backbone's id.
    let (backbone, _): (BackboneId, _) = postcard::take_from_bytes(body).map_err(|e| ProjectError::Undecodable(e.to_string()))?;
    Network::find(&backbone.name).map_err(|e| ProjectError::Inconsistent(format!("made with a network this build does not have: {e}")))
}

/// A skeleton written by [`encode`] with [`Kind::Skeleton`], decoded but not yet validated
/// (its examples are empty until their records fill them).
pub(super) fn skeleton_from_bytes(bytes: &[u8], network: &Network) -> Result<Project, ProjectError> {
    let (kind, version, body) = open(bytes)?;
    if kind != Kind::Skeleton {
        return Err(ProjectError::Inconsistent("the stored skeleton is a whole file".into()));
    }
    // Skeletons of the formats pages have stored (5 on): an upgrade must not set every user's
    // saved project aside.
    let body: Body<Project> = match version {
        FORMAT_VERSION => decode(body)?,
        7 => decode::<ProjectV7>(body)?.map(Project::from),
        6 => decode::<ProjectV6>(body)?.map(Project::from),
        5 => decode::<ProjectV5>(body)?.map(Project::from),
        _ => return Err(ProjectError::Inconsistent(format!("stored in format {version}, which this build does not convert"))),
    };
    body.made_for(network)
}

pub(super) fn encode(kind: Kind, network: &Network, project: &Project) -> Vec<u8> {
    let body = Body::<&Project> { backbone: BackboneId::of(network), preprocess: network.preprocess(), project };
    let body = postcard::to_allocvec(&body).expect("serialising to memory cannot fail");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(match kind {
        Kind::Project => 0,
        Kind::ModelOnly => 1,
        Kind::Skeleton => 2,
    });
    out.push(0);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    out
}

/// Checks the header and the checksum; returns the kind, the format version and the body.
fn open(bytes: &[u8]) -> Result<(Kind, u16, &[u8]), ProjectError> {
    let (kind, version) = check_header(bytes, bytes.len() as u64)?;
    let body = &bytes[HEADER_LEN..];
    if Sha256::digest(body).as_slice() != &bytes[20..52] {
        return Err(ProjectError::Checksum);
    }
    Ok((kind, version, body))
}

/// Checks what a file's first bytes (`prefix`, as many as it has up to the header's length)
/// say, against its length in bytes, before the rest is read: a damaged, foreign or huge file is
/// refused without reading it.
pub fn check_header(prefix: &[u8], length: u64) -> Result<(Kind, u16), ProjectError> {
    if length == 0 {
        return Err(ProjectError::Empty);
    }
    let start = &prefix[..prefix.len().min(MAGIC.len())];
    if start != &MAGIC[..start.len()] {
        return Err(ProjectError::Foreign(guess_format(prefix)));
    }
    if length < HEADER_LEN as u64 || prefix.len() < HEADER_LEN {
        return Err(ProjectError::ShortHeader { found: length.min(prefix.len() as u64) as usize, needed: HEADER_LEN });
    }
    let version = u16::from_le_bytes([prefix[8], prefix[9]]);
    if version == 0 {
        return Err(ProjectError::VersionZero);
    }
    if version > FORMAT_VERSION {
        return Err(ProjectError::NewerVersion { found: version, newest: FORMAT_VERSION });
    }
    if prefix[11] != 0 {
        return Err(ProjectError::UnknownKind(prefix[11]));
    }
    let kind = match prefix[10] {
        0 => Kind::Project,
        1 => Kind::ModelOnly,
        2 => Kind::Skeleton,
        other => return Err(ProjectError::UnknownKind(other)),
    };
    let expected = u64::from_le_bytes(prefix[12..20].try_into().expect("8 bytes"));
    let found = length - HEADER_LEN as u64;
    if found < expected {
        return Err(ProjectError::Truncated { expected, found });
    }
    if found > expected {
        return Err(ProjectError::TrailingBytes { extra: found - expected });
    }
    Ok((kind, version))
}

/// A plain-language guess at what a foreign file is, for the error message.
fn guess_format(bytes: &[u8]) -> String {
    let known: [(&[u8], &str); 7] = [
        (b"\x89PNG", "this is a PNG image"),
        (b"\xff\xd8\xff", "this is a JPEG image"),
        (b"PK\x03\x04", "this is a ZIP archive"),
        (b"GIF8", "this is a GIF image"),
        (b"NRUB", "this is a Burn weights file, not a project"),
        (b"{", "this looks like JSON"),
        (b"%PDF", "this is a PDF document"),
    ];
    known.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|(_, what)| what.to_string()).unwrap_or_else(|| "unknown header".into())
}
