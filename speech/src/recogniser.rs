//! The whole path from samples to words: voice activity finds the command, Whisper writes
//! it down.

use std::path::Path;

use crate::vad::Vad;
use crate::whisper::{Options, Prompt, Whisper};
use crate::{Error, Transcript};

/// What the decoder is told was said before: the commands the gallery's help lists
/// (`templates/base.html`), the words it should expect.
pub const COMMANDS: &str = "Show me pictures of dogs. Show all. Open the vacation folder. \
    Go back. Go home. Create a folder called trips. Rename this folder to summer. Delete this \
    folder. Move these to trips. Delete this photo. Upload. Open the second one. Next. \
    Previous. Zoom in. Zoom out. Start the slideshow. Stop. Close. Select all. Select the \
    third one. Clear the selection. Sort by name. Newest first. What is this? Stop listening. \
    Sign out. Yes. No.";

pub struct Recogniser {
    pub whisper: Whisper,
    pub vad: Vad,
    prompt: Prompt,
}

/// What was heard in a recording.
#[derive(Debug, Clone)]
pub struct Heard {
    /// Seconds of speech found (with its margins), 0 for none.
    pub speech_seconds: f32,
    /// None when there was no speech to transcribe.
    pub transcript: Option<Transcript>,
}

impl Heard {
    /// The words, empty when no speech was found.
    pub fn text(&self) -> &str {
        self.transcript.as_ref().map_or("", |t| t.text.as_str())
    }
}

impl Recogniser {
    /// The models of `dir`: `silero_vad.onnx` and Whisper's files.
    pub fn load(dir: &Path, threads: usize) -> Result<Self, Error> {
        let whisper = Whisper::load(dir, threads)?;
        Ok(Self {
            prompt: whisper.prompt(COMMANDS)?,
            whisper,
            vad: Vad::load(&dir.join("silero_vad.onnx"))?,
        })
    }

    /// The words said in `samples` (16 kHz mono), with Whisper's encoder cut to them.
    pub fn recognise(&self, samples: &[f32]) -> Result<Heard, Error> {
        self.recognise_with(samples, Options::default())
    }

    pub fn recognise_with(&self, samples: &[f32], options: Options) -> Result<Heard, Error> {
        let Some(speech) = self.vad.speech(samples)? else {
            return Ok(Heard {
                speech_seconds: 0.0,
                transcript: None,
            });
        };
        let said = &samples[speech.start..speech.end];
        let prompt = options.prompt.then_some(&self.prompt);
        let transcript = self.whisper.transcribe(said, options, prompt)?;
        Ok(Heard {
            speech_seconds: said.len() as f32 / crate::mel::SAMPLE_RATE as f32,
            transcript: Some(transcript),
        })
    }
}
