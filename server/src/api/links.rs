//! Links for anyone: make one for a folder or a selection of photos, list one's links with
//! how often each was opened, revoke one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::db::Db;
use crate::error::Result;
use crate::links::{self, LinkInfo, NewLink};
use crate::mail::Mailer;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_links, create_link))
        .routes(routes!(revoke_link))
}

#[derive(Deserialize, ToSchema)]
pub struct LinkRequest {
    /// A folder of one's own: the link shows it and everything below it.
    folder_id: Option<String>,
    /// Or photos of one's own (at most 1000).
    #[serde(default)]
    image_ids: Vec<String>,
    /// When the link stops working: an RFC 3339 time or a date; none: never.
    expires_at: Option<String>,
    /// A password the link asks for first.
    #[schema(max_length = 200)]
    password: Option<String>,
    /// Whether the originals may be downloaded (default true).
    allow_download: Option<bool>,
    /// Whether the place and camera are left out of what the link serves (default false).
    hide_place: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct MadeLink {
    id: String,
    /// `{GALLERY_PUBLIC_URL}/s/TOKEN`: shown once; only its hash is kept.
    url: String,
}

/// Make a link for anyone
#[utoipa::path(post, path = "/links", tag = "sharing", request_body = LinkRequest,
    responses((status = 201, body = MadeLink), (status = "default", body = ErrorBody)))]
async fn create_link(
    State(db): State<Db>,
    State(mailer): State<std::sync::Arc<Mailer>>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<(StatusCode, Json<MadeLink>)> {
    let new = NewLink {
        folder_id: body.folder_id.as_deref().filter(|f| !f.is_empty()),
        image_ids: body.image_ids,
        expires_at: body.expires_at.as_deref().filter(|e| !e.is_empty()),
        password: body.password.as_deref(),
        allow_download: body.allow_download.unwrap_or(true),
        hide_place: body.hide_place.unwrap_or(false),
    };
    let (id, token) = links::create(&db, &s.user, new).await?;
    let url = mailer.link(&format!("/s/{token}"));
    Ok((StatusCode::CREATED, Json(MadeLink { id, url })))
}

/// My links
///
/// Newest first, each with how often it was opened; never the token.
#[utoipa::path(get, path = "/links", tag = "sharing",
    responses((status = 200, body = [LinkInfo]), (status = "default", body = ErrorBody)))]
async fn list_links(State(db): State<Db>, ApiUser(s): ApiUser) -> Result<Json<Vec<LinkInfo>>> {
    Ok(Json(links::list(&db, &s.user.id).await?))
}

/// Revoke a link
///
/// At once: its page, photos and downloads answer 404 from then on.
#[utoipa::path(delete, path = "/links/{id}", tag = "sharing", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = "default", body = ErrorBody)))]
async fn revoke_link(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    links::revoke(&db, &s.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
