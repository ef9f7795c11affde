//! Loading a network's converted weights (a burnpack file made by `glimpse-convert`) and
//! checking that they are the ones this build was tested with.

use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Bytes;
use sha2::{Digest, Sha256};

use super::efficientnet::EfficientNet;
use super::network::Network;
use crate::Error;
use burn::prelude::Device;

/// Hex SHA-256 of a byte buffer.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds `network` on `device` from the bytes of its weights file. `source` names the file in
/// errors.
///
/// The checks run from the most to the least specific, so that the message says what is wrong:
/// not a burnpack (or cut short), a burnpack of another network, then other weights of the right
/// shape.
pub fn load(bytes: &[u8], source: &str, network: &'static Network, device: &Device) -> Result<EfficientNet, Error> {
    let weights_error = |problem: String| Error::Weights { file: source.to_string(), problem };
    if bytes.is_empty() {
        return Err(weights_error("the file is empty".into()));
    }
    let mut model = EfficientNet::new(network, device);
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes.to_vec()))).allow_partial(true).validate(false);
    let result = model.load_from(&mut store).map_err(|e| weights_error(format!("not a readable Burn weights file (truncated or another format): {e}")))?;
    if !result.errors.is_empty() {
        // Another network's weights misfit by the dozen: the count and the first say enough.
        let errors = &result.errors;
        return Err(weights_error(format!("{} tensors do not fit {} (the first: {:?}): another network's weights?", errors.len(), network.title, errors[0])));
    }
    if !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(weights_error(format!("not {} weights: missing {:?}, unexpected {:?}", network.title, result.missing, result.unused)));
    }
    let actual = sha256_hex(bytes);
    if actual != network.weights_sha256 {
        return Err(weights_error(format!(
            "the {} weights differ from the ones this build ships (sha256 {actual}, expected {})",
            network.title, network.weights_sha256
        )));
    }
    Ok(model)
}
