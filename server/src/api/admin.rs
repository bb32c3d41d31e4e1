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

use super::{ApiAdmin, ApiJson, ApiQuery, ErrorBody, St, double_option, paged};
use crate::admin::{self, Account, Actor, AuditEntry, Change, dashboard};
use crate::auth::invitations::{self, Invitation};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::jobs::{self, JobView, Queue, Retry};
use crate::paging::{self, PageQuery};
use crate::storage::Storage;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(list_users))
        .routes(routes!(change_user, delete_user))
        .routes(routes!(recent_jobs))
        .routes(routes!(retry_jobs))
        .routes(routes!(audit))
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
}

#[derive(Serialize, ToSchema)]
pub struct Stats {
    users: i64,
    images: i64,
    bytes: i64,
    /// People folders are shared with (pending ones too).
    shares: i64,
    /// Links for anyone.
    links: i64,
    /// How many jobs are in each state.
    jobs: BTreeMap<String, i64>,
}

/// Users, storage and the classification queue
#[utoipa::path(get, path = "/admin/stats", tag = "admin",
    responses((status = 200, body = Stats), (status = "default", body = ErrorBody)))]
async fn stats(State(db): State<Db>, ApiAdmin(_admin): ApiAdmin) -> Result<Json<Stats>> {
    let totals = dashboard::totals(&db).await?;
    let jobs = jobs::counts_by_state(&db).await?.into_iter().collect();
    Ok(Json(Stats {
        users: totals.users,
        images: totals.images,
        bytes: totals.bytes,
        shares: totals.shares,
        links: totals.links,
        jobs,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only accounts whose email or name contains this.
    #[param(max_length = 254)]
    q: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// The accounts, in the order they were made
#[utoipa::path(get, path = "/admin/users", tag = "admin", params(UserQuery, PageQuery),
    responses((status = 200, body = [Account], headers(("Link" = String, description = "<URL>; rel=\"next\" when there is a next page"))),
        (status = "default", body = ErrorBody)))]
async fn list_users(
    State(db): State<Db>,
    ApiAdmin(_admin): ApiAdmin,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Response> {
    let (list, next) = admin::accounts(&db, q.q.as_deref(), &q.page).await?;
    Ok(paged(&uri, list, next))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// `user` or `admin`.
    #[schema(pattern = "^(user|admin)$")]
    role: Option<String>,
    /// A disabled account cannot sign in; its sessions and tokens end at once.
    disabled: Option<bool>,
    /// Bytes the user may store; null for the server's default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    quota_bytes: Option<Option<i64>>,
}

/// Change an account's role, state or quota
///
/// 409 where it would leave the gallery without an enabled admin.
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    request_body = UserChange,
    responses((status = 200, body = Account), (status = "default", body = ErrorBody)))]
async fn change_user(
    State(db): State<Db>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserChange>,
) -> Result<Json<Account>> {
    let change = Change {
        role: body.role,
        disabled: body.disabled,
        quota_bytes: body.quota_bytes,
    };
    Ok(Json(
        admin::change(&db, &Actor::admin(&me.user), &id, &change).await?,
    ))
}

/// Delete an account with all its folders, photos and stored objects
#[utoipa::path(delete, path = "/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = "default", body = ErrorBody)))]
async fn delete_user(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ApiAdmin(me): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    admin::delete(&db, &storage, &Actor::admin(&me.user), &id).await?;
    Ok(StatusCode::NO_CONTENT)
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
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    /// `error`: every failed job.
    #[schema(pattern = "^error$")]
    status: Option<String>,
    /// These jobs (at most 1000).
    ids: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct Requeued {
    queued: u64,
}

/// Run failed classification jobs again
#[utoipa::path(post, path = "/admin/jobs/retry", tag = "admin", request_body = RetryRequest,
    responses((status = 202, body = Requeued), (status = "default", body = ErrorBody)))]
async fn retry_jobs(
    State(queue): State<Queue>,
    ApiAdmin(me): ApiAdmin,
    ApiJson(body): ApiJson<RetryRequest>,
) -> Result<(StatusCode, Json<Requeued>)> {
    let queued = match (body.status.as_deref(), body.ids.as_deref()) {
        (Some("error"), None) => jobs::retry(&queue, Retry::AllFailed).await?,
        (None, Some(ids)) => jobs::retry(&queue, Retry::Ids(ids)).await?,
        _ => {
            return Err(Error::bad_request(
                "send {\"status\": \"error\"} to retry every failed job, or {\"ids\": [...]} for some",
            ));
        }
    };
    admin::log_alone(
        &queue.db,
        &Actor::admin(&me.user),
        "retry",
        Some(&format!("{queued} failed jobs queued again")),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(Requeued { queued })))
}

/// The newest entries of the audit log of admin actions
#[utoipa::path(get, path = "/admin/audit", tag = "admin",
    responses((status = 200, body = [AuditEntry]), (status = "default", body = ErrorBody)))]
async fn audit(State(db): State<Db>, ApiAdmin(_admin): ApiAdmin) -> Result<Json<Vec<AuditEntry>>> {
    Ok(Json(admin::audit_log(&db, 200).await?))
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
    let invited = admin::invite(
        &db,
        &Actor::admin(&admin.user),
        body.note.as_deref(),
        body.days.unwrap_or(7),
        config.public_url.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(MadeInvitation {
            invitation: invited.invitation,
            token: invited.token,
            url: invited.url,
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
    ApiAdmin(admin): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    admin::revoke_invitation(&db, &Actor::admin(&admin.user), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
