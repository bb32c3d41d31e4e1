//! Voice: what a spoken or typed command means.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::error::Result;
use crate::voice::{Interpreted, Voice};

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new().routes(routes!(interpret))
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
