//! Loading the converted Lite0 weights (a burnpack file made by `glimpse-convert`) and checking
//! that they are the ones this build was tested with.

use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Bytes;
use sha2::{Digest, Sha256};

use super::efficientnet::Lite0;
use crate::Error;
use burn::prelude::Device;

/// File name of the committed weights under `models/`.
pub const WEIGHTS_FILE: &str = "efficientnet-lite0.bpk";

/// SHA-256 of the committed weights; projects record it so that features from different
/// weights are never mixed.
pub const WEIGHTS_SHA256: &str = include_str!("../../../models/efficientnet-lite0.bpk.sha256");

/// Hex SHA-256 of a byte buffer.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn expected_sha256() -> &'static str {
    WEIGHTS_SHA256.split_whitespace().next().unwrap_or_default()
}

/// Builds Lite0 on `device` from the bytes of a weights file. `source` names the file in errors.
///
/// The checks run from the most to the least specific, so that the message says what is wrong:
/// not a burnpack (or cut short), a burnpack of another network, then other weights of the right
/// shape.
pub fn load(bytes: &[u8], source: &str, device: &Device) -> Result<Lite0, Error> {
    let weights_error = |problem: String| Error::Weights { file: source.to_string(), problem };
    if bytes.is_empty() {
        return Err(weights_error("the file is empty".into()));
    }
    let mut model = Lite0::new(device);
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes.to_vec()))).allow_partial(true).validate(false);
    let result = model.load_from(&mut store).map_err(|e| weights_error(format!("not a readable Burn weights file (truncated or another format): {e}")))?;
    if !result.errors.is_empty() {
        return Err(weights_error(format!("tensors do not fit EfficientNet-Lite0: {:?}", result.errors)));
    }
    if !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(weights_error(format!("not EfficientNet-Lite0 weights: missing {:?}, unexpected {:?}", result.missing, result.unused)));
    }
    let actual = sha256_hex(bytes);
    if actual != expected_sha256() {
        return Err(weights_error(format!("the Lite0 weights differ from the ones this build ships (sha256 {actual}, expected {})", expected_sha256())));
    }
    Ok(model)
}
