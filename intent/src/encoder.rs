//! The sentence encoder all-MiniLM-L6-v2 (the intent model's base, not fine-tuned): a
//! phrase in, its sentence embedding out (384 numbers, length 1), so that phrases that
//! mean the same are near each other. Search uses it for words WordNet does not know
//! ("puppies", "something to eat").

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::TensorRef;
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
        let env = onnx_runtime::environment().map_err(Error::Model)?;
        let session = Session::builder(&env)
            .and_then(|b| Ok(b.with_intra_threads(1)?.with_inter_threads(1)?))
            .and_then(|mut b| b.commit_from_file(model))
            .map_err(|e| bad(model, &e))?;
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
        let ids: Vec<i64> = encoding.get_ids()[..n]
            .iter()
            .map(|&i| i64::from(i))
            .collect();
        let ones = vec![1i64; n];
        let zeros = vec![0i64; n];
        let failed = |e: ort::Error| Error::Model(format!("sentence encoder failed: {e}"));
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Model("the sentence encoder is unavailable".into()))?;
        let outputs = session
            .run(ort::inputs![
                "input_ids" => TensorRef::from_array_view(([1usize, n], ids.as_slice())).map_err(failed)?,
                "attention_mask" => TensorRef::from_array_view(([1usize, n], ones.as_slice())).map_err(failed)?,
                "token_type_ids" => TensorRef::from_array_view(([1usize, n], zeros.as_slice())).map_err(failed)?,
            ])
            .map_err(failed)?;
        let (_, embedding) = outputs["embedding"]
            .try_extract_tensor::<f32>()
            .map_err(failed)?;
        Ok(embedding.to_vec())
    }
}
