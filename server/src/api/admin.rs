//! For admins only (403 for anyone else): figures, the classification queue, invitations.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiAdmin, ApiJson, ApiQuery, ErrorBody, St, paged};
use crate::auth::invitations::{self, Invitation};
use crate::config::Config;
use crate::db::Db;
use crate::error::Result;
use crate::jobs::{self, JobView};
use crate::paging::{self, PageQuery};

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(recent_jobs))
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
}

#[derive(Serialize, ToSchema)]
pub struct Stats {
    users: i64,
    images: i64,
    bytes: i64,
    /// How many jobs are in each state.
    jobs: BTreeMap<String, i64>,
}

/// Users, storage and the classification queue
#[utoipa::path(get, path = "/admin/stats", tag = "admin",
    responses((status = 200, body = Stats), (status = "default", body = ErrorBody)))]
async fn stats(State(db): State<Db>, ApiAdmin(_admin): ApiAdmin) -> Result<Json<Stats>> {
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&db)
        .await?;
    let (images, bytes): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM images")
            .fetch_one(&db)
            .await?;
    let jobs = jobs::counts_by_state(&db).await?.into_iter().collect();
    Ok(Json(Stats {
        users,
        images,
        bytes,
        jobs,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Only jobs in this state.
    #[param(pattern = "^(queued|running|done|error)$")]
    status: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// Recent classification jobs, newest first, with the full reason of failures
///
/// The photo's owner sees a plain reason; this is where the detail is.
#[utoipa::path(get, path = "/admin/jobs", tag = "admin", params(JobQuery, PageQuery),
    responses((status = 200, body = [JobView], headers(("Link" = String, description = "<URL>; rel=\"next\" when there is a next page"))),
        (status = "default", body = ErrorBody)))]
async fn recent_jobs(
    State(db): State<Db>,
    ApiAdmin(_admin): ApiAdmin,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Response> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let (list, next) = jobs::recent(&db, status, &q.page).await?;
    Ok(paged(&uri, list, next))
}

#[derive(Deserialize, ToSchema)]
pub struct NewInvitation {
    /// Who it is for, for the admins' list.
    #[schema(max_length = 200)]
    note: Option<String>,
    /// Days the link stays valid (default 7).
    #[schema(minimum = 1, maximum = 90)]
    days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MadeInvitation {
    invitation: Invitation,
    /// Shown once: only its hash is kept.
    token: String,
    /// The sign-up page with the token.
    url: String,
}

/// Make a single-use invitation link
#[utoipa::path(post, path = "/admin/invitations", tag = "admin", request_body = NewInvitation,
    responses((status = 201, body = MadeInvitation), (status = "default", body = ErrorBody)))]
async fn create_invitation(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    ApiAdmin(admin): ApiAdmin,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<MadeInvitation>)> {
    let (invitation, token) = invitations::create(
        &db,
        Some(&admin.user.id),
        body.note.as_deref(),
        body.days.unwrap_or(7),
    )
    .await?;
    let path = invitations::signup_path(&token);
    let url = match &config.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    Ok((
        StatusCode::CREATED,
        Json(MadeInvitation {
            invitation,
            token,
            url,
        }),
    ))
}

/// Invitation links, newest first
#[utoipa::path(get, path = "/admin/invitations", tag = "admin",
    responses((status = 200, body = [Invitation]), (status = "default", body = ErrorBody)))]
async fn list_invitations(
    State(db): State<Db>,
    ApiAdmin(_admin): ApiAdmin,
) -> Result<Json<Vec<Invitation>>> {
    Ok(Json(
        invitations::list(&db, paging::MAX_LIMIT as i64).await?,
    ))
}

/// Withdraw an unused invitation
#[utoipa::path(delete, path = "/admin/invitations/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204, description = "Withdrawn"), (status = "default", body = ErrorBody)))]
async fn revoke_invitation(
    State(db): State<Db>,
    ApiAdmin(_admin): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    invitations::revoke(&db, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
