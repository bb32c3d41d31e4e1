//! The voice intent model: a transcript in, one intent of shared/intents.md with its slot
//! values out (a search's `query` and, when said, `when`: "dogs" and "last summer"). A
//! fine-tuned MiniLM encoder (int8 ONNX) with two heads: the intent of the whole sentence,
//! and a BIO tag per word piece for the free-text slots.

pub mod encoder;
mod intents;
mod minilm;
pub mod normalise;

pub use intents::Intent;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokenizers::Tokenizer;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Model(String),
    #[error("{0}")]
    Input(String),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Interpretation {
    pub intent: Intent,
    pub confidence: f32,
    pub slots: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct Labels {
    intents: Vec<String>,
    tags: Vec<String>,
    threshold: f32,
    max_len: usize,
}

pub struct IntentModel {
    session: Mutex<Session>,
    tokenizer: Tokenizer,
    labels: Labels,
    /// The intent of each of the model's outputs.
    intents: Vec<Intent>,
}

/// Longest transcript taken, in characters: a spoken command is short.
pub const MAX_TEXT_CHARS: usize = 500;
/// The setting (of each program) that names another model folder.
pub const MODEL_SETTING: &str = "GALLERY_INTENT_MODEL_DIR";

/// The shipped model folder, `intent/model`, wherever the program runs from.
pub fn default_model_dir() -> Result<PathBuf, Error> {
    onnx_runtime::find(&["intent/model", "model"], |p: &Path| {
        p.join("intent.onnx").is_file()
    })
    .ok_or_else(|| {
        Error::Model(format!(
            "the intent model was not found: set {MODEL_SETTING}"
        ))
    })
}

impl IntentModel {
    /// Loads `intent.onnx`, `tokenizer.json` and `labels.json` from a folder, with one
    /// ONNX Runtime thread: a sentence is small, and the server has other work.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            Error::Model(format!("{}: {what}: {e}", dir.display()))
        };
        let labels: Labels = serde_json::from_slice(
            &std::fs::read(dir.join("labels.json"))
                .map_err(|e| bad("cannot read labels.json", &e))?,
        )
        .map_err(|e| bad("labels.json is not valid", &e))?;
        let intents = labels
            .intents
            .iter()
            .map(|name| {
                name.parse::<Intent>().map_err(|_| {
                    bad(
                        "labels.json names an intent the gallery does not have",
                        &name,
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| bad("cannot load tokenizer.json", &e))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| bad("tokenizer", &e))?;
        let session =
            onnx_runtime::session(&dir.join("intent.onnx"), 1, Ok).map_err(Error::Model)?;
        Ok(Self {
            session: Mutex::new(session),
            tokenizer,
            labels,
            intents,
        })
    }

    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }

    /// One transcript's intent and slots; `none` when the model is not confident enough, or
    /// when the transcript is nothing but fillers and noise ([`normalise::only_filler`]).
    pub fn interpret(&self, text: &str) -> Result<Interpretation, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Input("say or type a command".into()));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::Input(format!(
                "a command can be at most {MAX_TEXT_CHARS} characters"
            )));
        }
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Model(e.to_string()))?;
        let n = encoding.get_ids().len().min(self.labels.max_len.max(8));
        let outputs = minilm::run(
            &self.session,
            &encoding.get_ids()[..n],
            &["intent_logits", "slot_logits"],
            "intent",
        )?;
        let (intent_logits, slot_logits) = (&outputs[0], &outputs[1]);
        let probabilities = onnx_runtime::softmax(intent_logits);
        let (best, confidence) = probabilities
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or_else(|| Error::Model("the intent model gave no scores".into()))?;
        // Fillers and noise alone say nothing, whatever the model reads (issue 18).
        let intent = if confidence >= self.labels.threshold && !normalise::only_filler(text) {
            self.intents[best]
        } else {
            Intent::None
        };
        let tags = self.labels.tags.len();
        let tag_ids: Vec<usize> = slot_logits
            .chunks(tags)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i)
            })
            .collect();
        let words = words(&encoding.get_offsets()[..n], &encoding.get_word_ids()[..n]);
        let spans =
            normalise::merge_adjacent(intent, text, spans(&words, &tag_ids, &self.labels.tags));
        let spans = normalise::constrain(intent, spans);
        let slots = if intent == Intent::None {
            BTreeMap::new()
        } else {
            slot_values(intent, text, &spans)
        };
        Ok(Interpretation {
            intent,
            confidence: (confidence * 1000.0).round() / 1000.0,
            slots,
        })
    }
}

/// Each word's character range and its first word piece (which carries the word's tag).
fn words(offsets: &[(usize, usize)], word_ids: &[Option<u32>]) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(u32, usize, usize, usize)> = Vec::new();
    for (piece, (&(start, end), word)) in offsets.iter().zip(word_ids).enumerate() {
        let Some(word) = *word else { continue };
        match out.last_mut() {
            Some(last) if last.0 == word => last.2 = end,
            _ => out.push((word, start, end, piece)),
        }
    }
    out.into_iter()
        .map(|(_, start, end, piece)| (start, end, piece))
        .collect()
}

/// Character spans of tagged slots over whole words: a B- tag opens one, I- tags of the
/// same slot extend it.
fn spans(
    words: &[(usize, usize, usize)],
    tag_ids: &[usize],
    tags: &[String],
) -> Vec<(usize, usize, String)> {
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    let mut open = false;
    for &(start, end, piece) in words {
        let tag = tag_ids
            .get(piece)
            .and_then(|&t| tags.get(t))
            .map_or("O", String::as_str);
        match tag.split_once('-') {
            Some(("I", slot)) if open && out.last().is_some_and(|s| s.2 == slot) => {
                if let Some(last) = out.last_mut() {
                    last.1 = end;
                }
            }
            Some((_, slot)) => {
                out.push((start, end, slot.to_owned()));
                open = true;
            }
            None => open = false,
        }
    }
    out
}

fn slot_values(
    intent: Intent,
    text: &str,
    spans: &[(usize, usize, String)],
) -> BTreeMap<String, Value> {
    let mut slots = BTreeMap::new();
    for (start, end, slot) in spans {
        let Some(raw) = text.get(*start..*end) else {
            continue;
        };
        if slot == "ordinal" {
            if let Some(n) = normalise::ordinal(raw) {
                slots.insert(slot.clone(), Value::from(n));
            }
        } else if slot == normalise::WHEN {
            let value = normalise::when_value(raw);
            if !value.is_empty() {
                slots.entry(slot.clone()).or_insert(Value::from(value));
            }
        } else {
            let value = normalise::strip_articles(raw);
            if !value.is_empty() {
                slots.entry(slot.clone()).or_insert(Value::from(value));
            }
        }
    }
    if intent == Intent::Sort {
        let (key, order) = normalise::sort_slots(text);
        slots.insert("sort_key".into(), Value::from(key));
        if let Some(order) = order {
            slots.insert("order".into(), Value::from(order));
        }
    }
    slots
}
