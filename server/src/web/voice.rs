//! Voice commands in the page: the recording heard, and the command said (or the click
//! on the confirmation dialog) carried out in the page's context (folder, selection, open
//! photo) by the executor of `voice::act`, answered with what the page does next. Changes
//! are made on the server; deletions only after a confirmation ("yes" by voice or a click).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use intent::Intent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::frame::ScriptSession;
use crate::db::Db;
use crate::error::Result;
use crate::state::AppState;
use crate::transcription::Transcriber;
use crate::voice::{self, Action, Context, Voice};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new().route("/voice", post(command)).route(
        "/voice/transcribe",
        post(transcribe).layer(DefaultBodyLimit::max(state.transcriber.max_bytes + 1)),
    )
}

/// What the server heard in the page's recording; the page then sends the words to
/// `/voice` as it sends the browser's own transcripts.
#[derive(Debug, Serialize)]
pub struct Heard {
    pub transcript: String,
    /// Seconds of speech found in the recording (0: none).
    pub speech_seconds: f32,
}

async fn transcribe(
    State(transcriber): State<Arc<Transcriber>>,
    State(db): State<Db>,
    ScriptSession(session): ScriptSession,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Heard>> {
    let heard =
        crate::api::recording::hear(&transcriber, &db, &session.user.id, &headers, body).await?;
    Ok(Json(Heard {
        transcript: heard.text().to_owned(),
        speech_seconds: heard.speech_seconds,
    }))
}

/// What the page is answered: the interpretation, the sentence, and what it does next.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub intent: Intent,
    pub confidence: f32,
    pub slots: BTreeMap<String, Value>,
    pub say: String,
    pub action: Action,
}

impl From<voice::Outcome> for Outcome {
    fn from(o: voice::Outcome) -> Self {
        Self {
            intent: o.intent,
            confidence: o.confidence,
            slots: o.slots,
            say: o.say,
            action: o.action,
        }
    }
}

/// A voice (or typed) command from the page. `answer` ("confirm"/"cancel") is a click on
/// the confirmation dialog.
#[derive(Deserialize)]
struct Command {
    #[serde(default)]
    text: String,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default, flatten)]
    context: Context,
}

async fn command(
    State(voice): State<Arc<Voice>>,
    State(db): State<Db>,
    ScriptSession(session): ScriptSession,
    body: std::result::Result<Json<Command>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Outcome>> {
    let Json(command) = body?;
    let interpretation = voice
        .command(&command.text, command.answer.as_deref())
        .await?;
    let outcome = voice::act(&db, &session, command.context, interpretation).await?;
    Ok(Json(outcome.into()))
}
