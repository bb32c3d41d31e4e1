//! Running a MiniLM-shaped ONNX model (BERT's three inputs) on one sentence: what the intent
//! model and the sentence encoder share.

use std::sync::Mutex;

use ort::session::Session;
use ort::value::TensorRef;

use crate::Error;

/// Runs `session` on one sentence's word pieces and returns the named outputs, flattened.
/// `what` names the model in errors ("intent", "sentence encoder").
pub(crate) fn run(
    session: &Mutex<Session>,
    pieces: &[u32],
    outputs: &[&str],
    what: &str,
) -> Result<Vec<Vec<f32>>, Error> {
    let n = pieces.len();
    let ids: Vec<i64> = pieces.iter().map(|&i| i64::from(i)).collect();
    let ones = vec![1i64; n];
    let zeros = vec![0i64; n];
    let failed = |e: ort::Error| Error::Model(format!("{what} inference failed: {e}"));
    let mut session = session
        .lock()
        .map_err(|_| Error::Model(format!("the {what} model is unavailable")))?;
    let result = session
        .run(ort::inputs![
            "input_ids" => TensorRef::from_array_view(([1usize, n], ids.as_slice())).map_err(failed)?,
            "attention_mask" => TensorRef::from_array_view(([1usize, n], ones.as_slice())).map_err(failed)?,
            "token_type_ids" => TensorRef::from_array_view(([1usize, n], zeros.as_slice())).map_err(failed)?,
        ])
        .map_err(failed)?;
    outputs
        .iter()
        .map(|name| {
            let (_, values) = result[*name].try_extract_tensor::<f32>().map_err(failed)?;
            Ok(values.to_vec())
        })
        .collect()
}
