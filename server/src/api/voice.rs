//! Voice: what a spoken or typed command means, and carrying it out (the page's executor,
//! `voice::act`, answered in JSON).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use intent::Intent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::db::Db;
use crate::error::Result;
use crate::state::AppState;
use crate::transcription::Transcriber;
use crate::voice::{self, Action, Change, Context, Interpreted, Pending, View, Voice};

pub fn router(state: &AppState) -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(interpret))
        .routes(routes!(act))
        .merge(
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

/// A click on the confirmation dialog, instead of words.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Confirm,
    Cancel,
}

/// A command to carry out, and where it is spoken: the gallery's view and the photos it is
/// about.
#[derive(Deserialize, ToSchema)]
pub struct ActCommand {
    /// The words said or typed; may be left out with `answer`.
    #[serde(default)]
    #[schema(max_length = 500)]
    text: String,
    /// Answers the question waiting ("Delete 2 photos?") as its buttons do.
    #[serde(default)]
    answer: Option<Answer>,
    #[serde(default, flatten)]
    context: Context,
}

/// What a command did.
#[derive(Serialize, ToSchema)]
pub struct Acted {
    /// One of the intents of shared/intents.md.
    #[schema(value_type = String)]
    intent: Intent,
    confidence: f32,
    #[schema(value_type = Object)]
    slots: BTreeMap<String, Value>,
    /// A short sentence to show and speak: what was done, or what is asked.
    say: String,
    /// What the gallery does next, as the page is answered (`url`: the page to show).
    action: Action,
    /// With `navigate`: what the gallery shows next.
    #[serde(skip_serializing_if = "Option::is_none")]
    view: Option<View>,
    /// With `navigate`: the listing of this API of the photos the gallery then shows
    /// (`/api/v1/images?…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    images_url: Option<String>,
    /// A deletion waits for its answer, and nothing was deleted: send `"answer": "confirm"`
    /// (or a "yes") with the same token to delete, `"cancel"` (or a "no") to keep.
    needs_confirmation: bool,
    /// The deletion waiting, with `needs_confirmation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<Pending>,
    /// What changed; null when nothing did.
    done: Option<Change>,
}

impl From<voice::Outcome> for Acted {
    fn from(o: voice::Outcome) -> Self {
        let view = match &o.action {
            Action::Navigate { to } => Some(to.clone()),
            _ => None,
        };
        let images_url = view.as_ref().map(|v| {
            let mut params = v.params();
            if let Some(folder) = v.folder_id.as_deref() {
                params.insert(0, ("folder", folder));
            }
            let query = serde_urlencoded::to_string(params).unwrap_or_default();
            if query.is_empty() {
                "/api/v1/images".to_owned()
            } else {
                format!("/api/v1/images?{query}")
            }
        });
        Self {
            needs_confirmation: o.needs_confirmation(),
            intent: o.intent,
            confidence: o.confidence,
            slots: o.slots,
            say: o.say,
            action: o.action,
            view,
            images_url,
            pending: o.waiting,
            done: o.done,
        }
    }
}

/// Carry out a spoken or typed command
///
/// Does what the gallery page does with the command, where `folder_id`, `selected`,
/// `open_image` and `query` say it was spoken: shows a search or a folder, creates, renames
/// or moves, and answers what was done. A deletion only asks (`needs_confirmation`, nothing
/// deleted): the next command of the same token answers it, with `"answer": "confirm"` or a
/// clear "yes"; a filler asks again, and any other command withdraws the question.
#[utoipa::path(post, path = "/voice/act", tag = "voice", request_body = ActCommand,
    responses((status = 200, body = Acted),
        (status = 404, description = "a folder or photo of the context is not the caller's", body = ErrorBody),
        (status = "default", body = ErrorBody)))]
async fn act(
    State(voice): State<Arc<Voice>>,
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<ActCommand>,
) -> Result<Json<Acted>> {
    let answer = body.answer.map(|a| match a {
        Answer::Confirm => "confirm",
        Answer::Cancel => "cancel",
    });
    let interpretation = voice.command(&body.text, answer).await?;
    let outcome = voice::act(&db, &session, body.context, interpretation).await?;
    Ok(Json(outcome.into()))
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
    let heard =
        crate::api::recording::hear(&transcriber, &db, &user.user.id, &headers, body).await?;
    let interpreted = voice.heard(heard.text()).await?;
    Ok(Json(Transcribed {
        transcript: heard.text().to_owned(),
        interpreted,
    }))
}
