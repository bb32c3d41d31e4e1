//! A voice command's recording as a request brings it: its Content-Type and its body
//! (refused while it arrived when past the size limit), handed to the transcriber.

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;

use crate::db::Db;
use crate::error::{Error, Result};
use crate::transcription::Transcriber;
use speech::Heard;

/// The words of a request's recording.
pub async fn hear(
    transcriber: &Transcriber,
    db: &Db,
    owner: &str,
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Heard> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let audio = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => transcriber.too_large(),
        _ => Error::bad_request(e.body_text()),
    })?;
    transcriber.transcribe(db, owner, content_type, audio).await
}
