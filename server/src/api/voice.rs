//! Voice: what a spoken or typed command means.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::db::Db;
use crate::error::Result;
use crate::state::AppState;
use crate::transcription::Transcriber;
use crate::voice::{Interpreted, Voice};

pub fn router(state: &AppState) -> OpenApiRouter<St> {
    OpenApiRouter::new().routes(routes!(interpret)).merge(
        OpenApiRouter::new()
            .routes(routes!(transcribe))
            // Past the limit the body is refused while it arrives, in the API's words.
            .layer(DefaultBodyLimit::max(state.transcriber.max_bytes + 1)),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct Command {
    #[schema(min_length = 1, max_length = 500)]
    text: String,
}

/// Interpret a spoken or typed command
///
/// The intent (shared/intents.md), its slots and a sentence to say; nothing is done.
#[utoipa::path(post, path = "/voice/interpret", tag = "voice", request_body = Command,
    responses((status = 200, body = Interpreted), (status = "default", body = ErrorBody)))]
async fn interpret(
    State(voice): State<Arc<Voice>>,
    ApiUser(_user): ApiUser,
    ApiJson(body): ApiJson<Command>,
) -> Result<Json<Interpreted>> {
    Ok(Json(voice.interpret(&body.text).await?.into()))
}

/// A recording of one command: its bytes, as its Content-Type says.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct Recording(Vec<u8>);

/// What was said, and what it means.
#[derive(Serialize, ToSchema)]
pub struct Transcribed {
    /// The words heard; empty when the recording held no speech.
    transcript: String,
    #[serde(flatten)]
    interpreted: Interpreted,
}

/// Transcribe a spoken command, and interpret it
///
/// The body is the recording: `audio/wav` (PCM or float, any rate, mono or stereo),
/// `audio/L16;rate=16000` or `audio/pcm;rate=16000` (raw 16-bit mono; big- and
/// little-endian), or `audio/webm` / `audio/ogg` with Opus. Silence around the command is
/// trimmed; a recording without speech answers an empty transcript and the intent `none`.
/// Nothing is done.
#[utoipa::path(post, path = "/voice/transcribe", tag = "voice",
    request_body(content = Recording, content_type = "audio/wav"),
    responses((status = 200, body = Transcribed),
        (status = 413, description = "past the size or duration limit", body = ErrorBody),
        (status = 415, description = "not a kind of audio taken", body = ErrorBody),
        (status = 503, description = "busy: try again after Retry-After seconds", body = ErrorBody),
        (status = "default", body = ErrorBody)))]
async fn transcribe(
    State(voice): State<Arc<Voice>>,
    State(transcriber): State<Arc<Transcriber>>,
    State(db): State<Db>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Transcribed>> {
    let heard = transcriber.hear(&db, &user.user.id, &headers, body).await?;
    let interpreted = voice.heard(heard.text()).await?;
    Ok(Json(Transcribed {
        transcript: heard.text().to_owned(),
        interpreted,
    }))
}
