//! Voice activity: Silero VAD (PyPI `silero-vad` 6.2.3, its `silero_vad.onnx`) on our ONNX
//! Runtime. It scores each 32 ms of audio for speech; the command is what lies between
//! the first confident chunk and the last likely one, with a margin either side. Silence
//! before and after costs the encoder time for nothing, and noise alone must not reach
//! Whisper at all: on noise it writes words that were never said ("Thank you.").

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::TensorRef;

use crate::Error;
use crate::mel::SAMPLE_RATE;

/// Samples scored at once, and the previous chunk's tail the model also reads.
const CHUNK: usize = 512;
const CONTEXT: usize = 64;
/// A chunk this likely starts speech; the speech lasts while chunks stay above `END`.
const START: f32 = 0.5;
const END: f32 = 0.35;
/// Kept either side of the speech found, in samples (200 ms).
const MARGIN: usize = SAMPLE_RATE / 5;
/// Less speech than this (in chunks above `START`, 96 ms) is a cough or a click.
const MIN_CHUNKS: usize = 3;

pub struct Vad {
    session: Mutex<Session>,
}

/// Where the speech is in a recording, in samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speech {
    pub start: usize,
    pub end: usize,
}

impl Vad {
    pub fn load(model: &Path) -> Result<Self, Error> {
        let session = onnx_runtime::session(model, 1, Ok).map_err(Error::Model)?;
        Ok(Self {
            session: Mutex::new(session),
        })
    }

    /// The speech probability of each chunk of 512 samples.
    pub fn scores(&self, samples: &[f32]) -> Result<Vec<f32>, Error> {
        let failed = |e: ort::Error| Error::Model(format!("voice activity detection failed: {e}"));
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Model("the voice activity model is unavailable".into()))?;
        let mut state = vec![0f32; 2 * 128];
        let mut input = vec![0f32; CONTEXT + CHUNK];
        let rate = [SAMPLE_RATE as i64];
        let mut scores = Vec::with_capacity(samples.len() / CHUNK + 1);
        for chunk in samples.chunks(CHUNK) {
            // The context is the last 64 samples of the previous input.
            input.copy_within(CHUNK.., 0);
            input[CONTEXT..].fill(0.0);
            input[CONTEXT..CONTEXT + chunk.len()].copy_from_slice(chunk);
            let out = session
                .run(ort::inputs![
                    "input" => TensorRef::from_array_view(([1usize, CONTEXT + CHUNK], input.as_slice())).map_err(failed)?,
                    "state" => TensorRef::from_array_view(([2usize, 1, 128], state.as_slice())).map_err(failed)?,
                    "sr" => TensorRef::from_array_view(([0usize; 0], &rate[..])).map_err(failed)?,
                ])
                .map_err(failed)?;
            let (_, p) = out["output"].try_extract_tensor::<f32>().map_err(failed)?;
            scores.push(p.first().copied().unwrap_or(0.0));
            let (_, next) = out["stateN"].try_extract_tensor::<f32>().map_err(failed)?;
            state.copy_from_slice(next);
        }
        Ok(scores)
    }

    /// Where the speech is, or None when there is none.
    pub fn speech(&self, samples: &[f32]) -> Result<Option<Speech>, Error> {
        Ok(span(&self.scores(samples)?, samples.len()))
    }
}

/// The span of speech in chunk scores: from the first chunk above `START` to the last
/// above `END` after it, widened by `MARGIN`.
fn span(scores: &[f32], len: usize) -> Option<Speech> {
    if scores.iter().filter(|&&p| p >= START).count() < MIN_CHUNKS {
        return None;
    }
    let first = scores.iter().position(|&p| p >= START)?;
    let last = scores.iter().rposition(|&p| p >= END)?.max(first);
    Some(Speech {
        start: (first * CHUNK).saturating_sub(MARGIN),
        end: ((last + 1) * CHUNK + MARGIN).min(len),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_span_runs_from_the_first_confident_chunk_to_the_last_likely_one() {
        let mut scores = vec![0.1f32; 30];
        scores[10..14].copy_from_slice(&[0.6, 0.9, 0.4, 0.8]);
        scores[16] = 0.36;
        let s = span(&scores, 30 * CHUNK).unwrap();
        assert_eq!(s.start, 10 * CHUNK - MARGIN);
        assert_eq!(s.end, 17 * CHUNK + MARGIN);
        // At the edges the margin stops at the recording.
        let s = span(&scores[10..17], 7 * CHUNK).unwrap();
        assert_eq!((s.start, s.end), (0, 7 * CHUNK));
    }

    #[test]
    fn a_click_is_not_speech() {
        assert_eq!(span(&[0.1, 0.9, 0.95, 0.2, 0.1], 5 * CHUNK), None);
        assert_eq!(span(&[], 0), None);
    }
}
