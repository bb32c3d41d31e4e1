//! Whisper-base on ONNX Runtime: the encoder (which also makes every decoder layer's
//! cross-attention keys and values) and the decoder with its self-attention cache, decoded
//! greedily in English without timestamps. The encoder sees only as much audio as was said
//! (plus a margin), not Whisper's 30 s: its positional embedding is cut to match, as
//! whisper.cpp's `audio_ctx` does (`speech/tools/whisper_onnx.py` exports it so).

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use ort::session::Session;
use ort::value::TensorRef;
use serde::Deserialize;
use tokenizers::Tokenizer;

use crate::Error;
use crate::mel::{HOP, LogMel, N_MELS, SAMPLE_RATE};

/// Whisper's window: 30 s, 3000 mel frames, 1500 encoder positions.
pub const FULL_FRAMES: usize = 3000;

/// `speech/model/config.json`, written by the conversion script.
#[derive(Debug, Deserialize)]
pub struct Config {
    pub eot: u32,
    pub sot: u32,
    pub english: u32,
    pub transcribe: u32,
    pub no_timestamps: u32,
    /// What comes before a prompt of earlier text (`<|startofprev|>`).
    pub start_of_prev: u32,
    /// Tokens never produced (music signs, speaker tags, …).
    pub suppress: Vec<u32>,
    /// Tokens not produced first (a blank, the end).
    pub suppress_begin: Vec<u32>,
    pub layers: usize,
    pub heads: usize,
    pub head_dim: usize,
    pub vocab: usize,
    pub max_target_positions: usize,
}

/// How the encoder is run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Encode only the audio said plus `margin_frames` of silence (true), or the whole
    /// 30 s window as Whisper was trained (false).
    pub cut: bool,
    /// Mel frames of silence after the speech when cut (100 = 1 s). Whisper was trained on
    /// 30 s windows: with 1 s it may say a short command over and over; 3 s costs 15 ms
    /// more encoder time and reads as well as the whole window (`speech_bench`).
    pub margin_frames: usize,
    /// Tokens at most: a command is a sentence.
    pub max_tokens: usize,
    /// Whether the gallery's commands are given as a prompt ([`Prompt`]).
    pub prompt: bool,
}

/// Words the transcript is likely to use, given to the decoder as text said before
/// (Whisper's `initial_prompt`): the gallery's own commands, so that "zoom in" is not
/// heard as "Zoolena".
pub struct Prompt(Vec<i64>);

impl Default for Options {
    fn default() -> Self {
        Self {
            cut: true,
            margin_frames: 300,
            max_tokens: 48,
            prompt: true,
        }
    }
}

/// What was said, and what it cost.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub text: String,
    pub tokens: usize,
    pub encoder_ms: f64,
    pub decoder_ms: f64,
}

pub struct Whisper {
    encoder: Mutex<Session>,
    decoder: Mutex<Session>,
    tokenizer: Tokenizer,
    config: Config,
    mel: LogMel,
    blocked: Vec<bool>,
    blocked_first: Vec<bool>,
}

impl Whisper {
    /// Loads `encoder.onnx`, `decoder.onnx`, `tokenizer.json` and `config.json` from `dir`,
    /// each session with `threads` ONNX Runtime threads.
    pub fn load(dir: &Path, threads: usize) -> Result<Self, Error> {
        let bad = |path: &Path, e: &dyn std::fmt::Display| {
            Error::Model(format!("{}: {e}", path.display()))
        };
        let config_path = dir.join("config.json");
        let config: Config = std::fs::read(&config_path)
            .map_err(|e| bad(&config_path, &e))
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| bad(&config_path, &e)))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| bad(&tokenizer_path, &e))?;
        let session = |name: &str| {
            // Every command has its own shapes: ONNX Runtime's arena and memory patterns
            // would keep growing for them and save nothing.
            onnx_runtime::session(&dir.join(name), threads, |b| {
                Ok(b.with_memory_pattern(false)?.with_execution_providers([
                    ort::ep::CPU::default().with_arena_allocator(false).build(),
                ])?)
            })
            .map(Mutex::new)
            .map_err(Error::Model)
        };
        let (blocked, blocked_first) = blocked_tokens(&config);
        Ok(Self {
            blocked,
            blocked_first,
            encoder: session("encoder.onnx")?,
            decoder: session("decoder.onnx")?,
            tokenizer,
            config,
            mel: LogMel::new(),
        })
    }

    /// The words in `samples` (16 kHz mono, at most 30 s: longer audio is cut there).
    /// `text` as a prompt; its last 200 tokens, the most Whisper reads.
    pub fn prompt(&self, text: &str) -> Result<Prompt, Error> {
        let encoding = self
            .tokenizer
            .encode(format!(" {}", text.trim()), false)
            .map_err(|e| Error::Model(format!("cannot read the prompt: {e}")))?;
        let ids = encoding.get_ids();
        let ids = &ids[ids.len().saturating_sub(200)..];
        Ok(Prompt(
            std::iter::once(self.config.start_of_prev)
                .chain(ids.iter().copied())
                .map(i64::from)
                .collect(),
        ))
    }

    pub fn transcribe(
        &self,
        samples: &[f32],
        options: Options,
        prompt: Option<&Prompt>,
    ) -> Result<Transcript, Error> {
        let frames = if options.cut {
            let said = samples.len().div_ceil(HOP) + options.margin_frames;
            // An even number of frames (the second convolution halves them), at most 30 s.
            (said.div_ceil(2) * 2).clamp(2, FULL_FRAMES)
        } else {
            FULL_FRAMES
        };
        let max_samples = FULL_FRAMES * HOP;
        let samples = &samples[..samples.len().min(max_samples)];
        let mel = self.mel.compute(samples, frames);

        let failed = |e: ort::Error| Error::Model(format!("speech recognition failed: {e}"));
        let started = Instant::now();
        let (cross_shape, cross_k, cross_v) = {
            let mut encoder = self.encoder.lock().map_err(|_| poisoned())?;
            let out = encoder
                .run(ort::inputs![
                    "mel" => TensorRef::from_array_view(([1usize, N_MELS, frames], mel.as_slice())).map_err(failed)?,
                ])
                .map_err(failed)?;
            let (shape, k) = out["cross_k"].try_extract_tensor::<f32>().map_err(failed)?;
            let (_, v) = out["cross_v"].try_extract_tensor::<f32>().map_err(failed)?;
            let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
            (shape, k.to_vec(), v.to_vec())
        };
        let positions = cross_shape[3];
        let encoder_ms = ms(started);

        let started = Instant::now();
        let c = &self.config;
        let mut tokens: Vec<i64> = prompt.map(|p| p.0.clone()).unwrap_or_default();
        tokens.extend([c.sot, c.english, c.transcribe, c.no_timestamps].map(i64::from));
        // A command says a few words a second: more tokens than this are a loop.
        let max_tokens = options.max_tokens.min(8 + samples.len() * 6 / SAMPLE_RATE);
        let begin = tokens.len();
        let cache_shape = |p: usize| [c.layers, 1, c.heads, p, c.head_dim];
        let mut self_k: Vec<f32> = Vec::new();
        let mut self_v: Vec<f32> = Vec::new();
        let mut cached = 0usize;
        let mut decoder = self.decoder.lock().map_err(|_| poisoned())?;
        let cross = [c.layers, 1, c.heads, positions, c.head_dim];
        while tokens.len() - begin < max_tokens && tokens.len() < c.max_target_positions {
            let new = &tokens[cached..];
            let out = decoder
                .run(ort::inputs![
                    "tokens" => TensorRef::from_array_view(([1usize, new.len()], new)).map_err(failed)?,
                    "self_k" => TensorRef::from_array_view((cache_shape(cached), self_k.as_slice())).map_err(failed)?,
                    "self_v" => TensorRef::from_array_view((cache_shape(cached), self_v.as_slice())).map_err(failed)?,
                    "cross_k" => TensorRef::from_array_view((cross, cross_k.as_slice())).map_err(failed)?,
                    "cross_v" => TensorRef::from_array_view((cross, cross_v.as_slice())).map_err(failed)?,
                ])
                .map_err(failed)?;
            let (_, logits) = out["logits"].try_extract_tensor::<f32>().map_err(failed)?;
            let blocked = if tokens.len() == begin {
                &self.blocked_first
            } else {
                &self.blocked
            };
            let next = best_token(logits, blocked)
                .ok_or_else(|| Error::Model("the decoder gave no logits".into()))?;
            self_k = out["new_self_k"]
                .try_extract_tensor::<f32>()
                .map_err(failed)?
                .1
                .to_vec();
            self_v = out["new_self_v"]
                .try_extract_tensor::<f32>()
                .map_err(failed)?
                .1
                .to_vec();
            cached = tokens.len();
            if next == c.eot {
                break;
            }
            tokens.push(i64::from(next));
            if let Some(cut) = repeated_tail(&tokens[begin..]) {
                tokens.truncate(begin + cut);
                break;
            }
        }
        drop(decoder);
        let said: Vec<u32> = tokens[begin..].iter().map(|&t| t as u32).collect();
        let text = self
            .tokenizer
            .decode(&said, true)
            .map_err(|e| Error::Model(format!("cannot read the transcript: {e}")))?;
        Ok(Transcript {
            text: text.trim().to_owned(),
            tokens: said.len(),
            encoder_ms,
            decoder_ms: ms(started),
        })
    }
}

/// Where a loop starts: when the tokens end with the same run of 3 or more twice over
/// ("take me home. take me home."), the length to keep, without the second copy.
fn repeated_tail(tokens: &[i64]) -> Option<usize> {
    let n = tokens.len();
    (3..=n / 2).find_map(|k| (tokens[n - 2 * k..n - k] == tokens[n - k..]).then_some(n - k))
}

/// The most likely token that is not blocked.
fn best_token(logits: &[f32], blocked: &[bool]) -> Option<u32> {
    logits
        .iter()
        .zip(blocked)
        .enumerate()
        .filter(|(_, (_, b))| !**b)
        .max_by(|a, b| a.1.0.total_cmp(b.1.0))
        .map(|(t, _)| t as u32)
}

/// Which tokens may never come (`suppress`, and every special token but the end: the prompt
/// asks for no timestamps), and which may not come first (also `begin`).
fn blocked_tokens(c: &Config) -> (Vec<bool>, Vec<bool>) {
    let mut always = vec![false; c.vocab];
    for (t, b) in always.iter_mut().enumerate() {
        *b = t as u32 > c.eot;
    }
    for &t in &c.suppress {
        if let Some(b) = always.get_mut(t as usize) {
            *b = true;
        }
    }
    let mut first = always.clone();
    for &t in &c.suppress_begin {
        if let Some(b) = first.get_mut(t as usize) {
            *b = true;
        }
    }
    (always, first)
}

fn poisoned() -> Error {
    Error::Model("the speech model is unavailable".into())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::repeated_tail;

    #[test]
    fn a_run_said_twice_is_a_loop() {
        assert_eq!(repeated_tail(&[1, 2, 3, 4, 2, 3, 4]), Some(4));
        assert_eq!(repeated_tail(&[5, 6, 7, 8, 5, 6, 7, 8]), Some(4));
        assert_eq!(repeated_tail(&[1, 2, 3, 4, 5]), None);
        // Two words said twice may be meant ("very very"): only runs of three count.
        assert_eq!(repeated_tail(&[1, 2, 9, 9]), None);
        assert_eq!(repeated_tail(&[1, 2, 1, 2]), None);
    }
}
