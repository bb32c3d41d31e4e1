//! Sharing: who a folder is shared with (its owner sees, adds, changes and removes them),
//! and the folders shared with me (which I may leave).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::access::Role;
use crate::db::Db;
use crate::error::Result;
use crate::mail::Mailer;
use crate::sharing::{self, Share, SharedFolder};

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_shares, put_share))
        .routes(routes!(delete_share))
        .routes(routes!(shared_with_me))
        .routes(routes!(leave))
}

/// Who a folder is shared with
///
/// Its owner only (403 for someone it is shared with, 404 for anyone else). `pending`: no
/// account has the address verified yet; it gets the folder once one does.
#[utoipa::path(get, path = "/folders/{id}/shares", tag = "sharing", params(("id" = String, Path)),
    responses((status = 200, body = [Share]), (status = "default", body = ErrorBody)))]
async fn list_shares(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Share>>> {
    Ok(Json(sharing::shares(&db, &s.user.id, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ShareRequest {
    /// The address to share with (an account's, or one without an account yet).
    #[schema(max_length = 254)]
    email: String,
    /// `viewer` (see, search, download) or `contributor` (also add photos).
    #[schema(value_type = String, example = "viewer")]
    role: String,
}

/// Share a folder with someone, or change their role
///
/// The folder and everything below it. The address gets a letter the first time; an
/// account with that address verified sees the folder at once. 400 sharing with oneself;
/// 409 past 500 people.
#[utoipa::path(put, path = "/folders/{id}/shares", tag = "sharing", params(("id" = String, Path)),
    request_body = ShareRequest,
    responses((status = 200, body = Share), (status = "default", body = ErrorBody)))]
async fn put_share(
    State(db): State<Db>,
    State(mailer): State<Arc<Mailer>>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShareRequest>,
) -> Result<Json<Share>> {
    let role = Role::shared(&body.role)?;
    Ok(Json(
        sharing::share(&db, &mailer, &s.user, &id, &body.email, role).await?,
    ))
}

/// Stop sharing a folder with someone
///
/// Effective at once, on every server.
#[utoipa::path(delete, path = "/folders/{id}/shares/{email}", tag = "sharing",
    params(("id" = String, Path), ("email" = String, Path)),
    responses((status = 204, description = "No longer shared with them"), (status = "default", body = ErrorBody)))]
async fn delete_share(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path((id, email)): Path<(String, String)>,
) -> Result<StatusCode> {
    sharing::unshare(&db, &s.user, &id, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Folders shared with me
///
/// Each with its owner's name and my role; their photos are in `GET /images?folder=ID`,
/// and in searches and the timeline with `scope=shared` or `scope=all`.
#[utoipa::path(get, path = "/shared", tag = "sharing",
    responses((status = 200, body = [SharedFolder]), (status = "default", body = ErrorBody)))]
async fn shared_with_me(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
) -> Result<Json<Vec<SharedFolder>>> {
    Ok(Json(sharing::shared_with(&db, &s.user.id).await?))
}

/// Leave a folder shared with me
#[utoipa::path(delete, path = "/shared/{id}", tag = "sharing", params(("id" = String, Path)),
    responses((status = 204, description = "Left"), (status = "default", body = ErrorBody)))]
async fn leave(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    sharing::leave(&db, &s.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
