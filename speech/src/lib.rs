//! Speech to text on the gallery's own server, for browsers without the Web Speech API and
//! for people who do not want their voice sent elsewhere: audio in (WAV, raw PCM, Ogg or
//! WebM Opus), silence trimmed by a voice activity detector, Whisper-base on ONNX Runtime,
//! the words out. The intent model then reads them as it reads the browser's transcripts.

use std::path::{Path, PathBuf};

pub mod audio;
pub mod mel;
mod recogniser;
pub mod score;
pub mod vad;
mod whisper;

pub use recogniser::{COMMANDS, Heard, Recogniser};
pub use whisper::{Config, FULL_FRAMES, Options, Prompt, Transcript, Whisper};

/// Whisper's window: no command can be longer.
pub const MAX_SECONDS: f32 = 30.0;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model could not load or run: the server's fault.
    #[error("{0}")]
    Model(String),
    /// The audio cannot be read: the sender's.
    #[error("{0}")]
    Input(String),
    /// A kind of audio that is not taken.
    #[error("{0}")]
    Unsupported(String),
    /// Longer than a command may be.
    #[error("{0}")]
    TooLong(String),
}

/// The setting that names the speech model folder, for installs that keep it elsewhere.
pub const MODEL_SETTING: &str = "GALLERY_SPEECH_MODEL_DIR";

/// The shipped model folder, `speech/model`, wherever the program runs from.
pub fn default_model_dir() -> Result<PathBuf, Error> {
    onnx_runtime::find(&["speech/model"], |p: &Path| {
        p.join("encoder.onnx").is_file()
    })
    .ok_or_else(|| {
        Error::Model(format!(
            "the speech model was not found: set {MODEL_SETTING}"
        ))
    })
}
