/// Everything the core can refuse, with a message meant for the person using the app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("a {width}×{height} RGBA frame needs {} bytes, got {len}", *width as usize * *height as usize * 4)]
    FrameSize { width: u32, height: u32, len: usize },
    #[error("weights file {file}: {problem}")]
    Weights { file: String, problem: String },
    #[error("no usable GPU: {0}")]
    Gpu(String),
    #[error("reading a result back from the device failed: {0}")]
    Readback(String),
    #[error("nothing to process: no frames were given")]
    NoFrames,
}
