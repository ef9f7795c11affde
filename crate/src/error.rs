//! The core's errors: every refusal, in words for the person using the app. The file format's
//! own refusals are [`ProjectError`], wrapped by [`Error::Project`].

/// Everything the core can refuse, with a message meant for the person using the app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("a {width}×{height} RGBA frame needs {} bytes, got {len}", *width as usize * *height as usize * 4)]
    FrameSize { width: u32, height: u32, len: usize },
    #[error("weights file {file}: {problem}")]
    Weights { file: String, problem: String },
    #[error("no network called “{name}”: this build runs {known}")]
    NoSuchNetwork { name: String, known: String },
    #[error(
        "the network cannot change while the project has examples: they were read by {0}, and another network's features mean nothing to its head. Start a new project (export this one first to keep it)"
    )]
    NetworkHasExamples(&'static str),
    #[error("no usable GPU: {0}")]
    Gpu(String),
    #[error("reading a result back from the device failed: {0}")]
    Readback(String),
    #[error("nothing to process: no frames were given")]
    NoFrames,
    #[error("{0}")]
    Settings(String),
    #[error("{0}")]
    ClassName(String),
    #[error("there is no class with id {0} (it may have been deleted)")]
    NoSuchClass(u32),
    #[error("there is no example with id {0} (it may have been deleted)")]
    NoSuchExample(u32),
    #[error("training needs at least two classes with examples, this project has {0}")]
    NotEnoughClasses(usize),
    #[error("the project has no classes: add one")]
    NoClasses,
    #[error("class “{0}” has no examples, and no ImageNet class matches its name: capture some, name it after a thing (e.g. “bird”, “cup”), or delete it")]
    EmptyClass(String),
    #[error("no ImageNet class matches “{0}”: try a more common or more general word (e.g. “dog”, “bird”, “vehicle”)")]
    NoConcept(String),
    #[error("fine-tuning {depth} layers needs what the frozen layers computed for each example, which is kept when it is captured{}: {missing} of {total} examples lack it{}. Capture them again, or fine-tune fewer layers (0 for the head alone)", if *deepest { format!(" while {depth} layers are chosen") } else { String::new() }, if *deepest { "" } else { " (they come from a project made before Glimpse could fine-tune)" })]
    NotCached { missing: usize, total: usize, depth: u32, deepest: bool },
    #[error("adapting needs at least {needed} frames of the new camera or scene, it got {found}")]
    TooFewFrames { found: usize, needed: usize },
    #[error("anomaly detection needs at least {needed} captures of normal things to set its threshold, it has {found}")]
    TooFewNormal { found: usize, needed: usize },
    #[error(
        "anomaly detection learns from one class of normal examples, and {0} classes have examples: keep one (clear or delete the others), or switch back to telling classes apart"
    )]
    NotOneNormalClass(usize),
    #[error("counting learns from frames with their objects' centres marked, and none of the {0} frames has any yet: mark each object's centre on some frames")]
    NoPoints(usize),
    #[error("example {0} was not captured for counting (points go on frames captured while the project counts objects)")]
    NotAScene(u32),
    #[error("grouping needs at least {needed} captures, this class has {found}")]
    TooFewToGroup { found: usize, needed: usize },
    #[error("the head was trained {trained}, and the project is now set {now}: train again")]
    OtherTask { trained: &'static str, now: &'static str },
    #[error("this head was trained by an older Glimpse, which did not keep what adapting to a new camera needs: train again, then adapt")]
    NotAdaptable,
    #[error("training was cancelled; the previous head is kept")]
    Cancelled,
    #[error("there is no trained head yet: train first")]
    NotTrained,
    #[error("the classes changed since the head was trained: train again")]
    StaleHead,
    /// Refused while a training runs.
    #[error("{0}")]
    Busy(&'static str),
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
    #[error("project file: {0}")]
    Project(#[from] ProjectError),
}

/// Why a file is not a project this build can open.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectError {
    #[error("the file is empty")]
    Empty,
    #[error("not a Glimpse project ({0})")]
    Foreign(String),
    #[error("the file is cut short: {found} bytes, the header alone needs {needed}")]
    ShortHeader { found: usize, needed: usize },
    #[error("made by a newer Glimpse (format {found}); this version reads format {newest} and older")]
    NewerVersion { found: u16, newest: u16 },
    #[error("format version 0 does not exist: the file is damaged")]
    VersionZero,
    #[error("unknown file kind {0}")]
    UnknownKind(u8),
    #[error("this is part of a project as a browser stores it, not a file to open: export the project from the page instead")]
    Skeleton,
    #[error("the file is cut short: it should hold {expected} bytes of data after the header, it holds {found}")]
    Truncated { expected: u64, found: u64 },
    #[error("{extra} unexpected bytes after the end of the data")]
    TrailingBytes { extra: u64 },
    #[error("the data is corrupted (checksum mismatch)")]
    Checksum,
    #[error("the data cannot be decoded ({0})")]
    Undecodable(String),
    #[error("made with another backbone ({found}); this app runs {expected}")]
    WrongBackbone { found: String, expected: String },
    #[error("made with other preprocessing than this backbone's")]
    WrongPreprocessing,
    #[error("inconsistent contents: {0}")]
    Inconsistent(String),
}
