//! The classifier Lambda's reports.

use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::extract::State;
use classifier::protocol::Callback;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ErrorBody, St};
use crate::error::{Error, Result};
use crate::jobs::lambda::{Receiver, Recorded};

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new().routes(routes!(callback))
}

#[derive(Serialize, ToSchema)]
pub struct Answer {
    recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// Report from the classifier Lambda: a step, the result, or why it failed
///
/// Used by the `classify-lambda` function only (GALLERY_CLASSIFIER=lambda:FUNCTION). The
/// token is the one the server put in the invocation: a hex HMAC-SHA256 of
/// `{job_id}:{attempt}` with the servers' shared secret. A forged token gets 403, a token
/// of an earlier attempt 409, an unknown job 410; a repeated final report is answered
/// `recorded: false` and changes nothing. Without a Lambda classifier configured the
/// endpoint answers 404.
#[utoipa::path(post, path = "/classifier/callback", tag = "classifier", security(()), request_body = Callback,
    responses((status = 200, description = "Accepted (or, for a repeated final report, already recorded)", body = Answer),
        (status = "default", body = ErrorBody)))]
async fn callback(
    State(receiver): State<Arc<OnceLock<Receiver>>>,
    ApiJson(report): ApiJson<Callback>,
) -> Result<Json<Answer>> {
    let receiver = receiver.get().ok_or(Error::NotFound)?;
    Ok(Json(match receiver.record(&report).await? {
        Recorded::Yes => Answer {
            recorded: true,
            reason: None,
        },
        Recorded::Already => Answer {
            recorded: false,
            reason: Some("this attempt is already recorded"),
        },
    }))
}
