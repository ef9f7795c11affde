//! What classifies a feature: the stored form of a head (`stored`, its layers `dense`) and its
//! form on the device (`on_device`); the kinds (`softmax`, `instant`), fitting one (`fit`), choosing one by
//! cross-validation (`auto`), retraining the network's top layers with it (`fine_tune`), and
//! training again on every example once the held-out ones have chosen (`refit`).

pub mod auto;
pub mod dense;
pub mod fine_tune;
pub mod fit;
pub mod instant;
pub mod on_device;
pub mod refit;
pub mod softmax;
pub mod stored;
