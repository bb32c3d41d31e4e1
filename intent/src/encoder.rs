//! The sentence encoder all-MiniLM-L6-v2 (the intent model's base, not fine-tuned): a
//! phrase in, its sentence embedding out (384 numbers, length 1), so that phrases that
//! mean the same are near each other. Search uses it for words WordNet does not know
//! ("puppies", "something to eat").

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use tokenizers::Tokenizer;

use crate::Error;

/// Word pieces read from one phrase: a search is short, and longer input only costs time.
const MAX_PIECES: usize = 32;

pub struct SentenceEncoder {
    session: Mutex<Session>,
    tokenizer: Tokenizer,
}

impl SentenceEncoder {
    /// Loads the model (an ONNX file whose output `embedding` is `[batch, dims]`) and its
    /// tokenizer, with one ONNX Runtime thread.
    pub fn load(model: &Path, tokenizer: &Path) -> Result<Self, Error> {
        let bad = |path: &Path, e: &dyn std::fmt::Display| {
            Error::Model(format!("{}: {e}", path.display()))
        };
        let mut tok = Tokenizer::from_file(tokenizer).map_err(|e| bad(tokenizer, &e))?;
        tok.with_padding(None);
        tok.with_truncation(None).map_err(|e| bad(tokenizer, &e))?;
        let session = onnx_runtime::session(model, 1, Ok).map_err(Error::Model)?;
        Ok(Self {
            session: Mutex::new(session),
            tokenizer: tok,
        })
    }

    /// The embedding of one phrase.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, Error> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Model(e.to_string()))?;
        let n = encoding.get_ids().len().min(MAX_PIECES);
        let mut outputs = crate::minilm::run(
            &self.session,
            &encoding.get_ids()[..n],
            &["embedding"],
            "sentence encoder",
        )?;
        Ok(outputs.swap_remove(0))
    }
}
