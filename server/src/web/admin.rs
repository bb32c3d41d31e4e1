//! The admin dashboard (`/admin`): the live panels (figures, queue, charts, servers,
//! housekeeping), refreshed while the page is open; the accounts with their actions; the
//! invitations; the audit log. Admins only: others get 403, the signed-out go to sign in.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::frame::{Chrome, ConfirmPage, PageError, PageResult, WebAdmin, plural};
use crate::admin::charts::{self, Bars};
use crate::admin::dashboard::{self, QueueFigures, ServerSeen, System, Totals};
use crate::admin::housekeeping::{self, TaskRun};
use crate::admin::{self, Account, Actor, AuditEntry, Change};
use crate::auth::csrf;
use crate::auth::invitations::{self, Invitation};
use crate::config::{Config, SignupMode};
use crate::db::{Db, rfc3339};
use crate::error::{Error, Result};
use crate::jobs::{self, Queue, Retry};
use crate::paging::PageQuery;
use crate::state::AppState;
use crate::storage::Storage;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard_page))
        .route("/admin/panels", get(panels))
        .route("/admin/jobs/retry", post(retry))
        .route("/admin/users/{id}", get(user_page).post(change_user))
        .route(
            "/admin/users/{id}/delete",
            get(confirm_delete).post(delete_user),
        )
        .route("/admin/invitations", post(invite))
        .route("/admin/invitations/{id}/revoke", post(revoke))
}

/// Accounts shown per page.
const USERS_PER_PAGE: &str = "50";

/// One row of a chart's table.
pub struct Point {
    pub label: String,
    pub values: Vec<i64>,
}

/// A chart with the table of its figures.
pub struct Chart {
    pub title: &'static str,
    pub svg: String,
    pub columns: Vec<&'static str>,
    pub points: Vec<Point>,
}

#[derive(Template)]
#[template(path = "admin_panels.html")]
struct Panels {
    totals: Totals,
    queue: QueueFigures,
    charts: Vec<Chart>,
    servers: Vec<ServerSeen>,
    housekeeping: Vec<TaskRun>,
    system: Arc<System>,
    database_bytes: Option<i64>,
    uptime: String,
    retention_days: i64,
    sweep_minutes: i64,
    csrf: String,
}

impl Panels {
    fn size(&self, bytes: &i64) -> String {
        size(*bytes)
    }

    fn queue_count(&self, state: &str) -> i64 {
        self.queue.by_state.get(state).copied().unwrap_or(0)
    }

    fn database_name(&self) -> &'static str {
        match self.system.database {
            crate::db::Backend::Sqlite => "SQLite",
            crate::db::Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
struct DashboardPage {
    chrome: Chrome,
    panels: String,
    accounts: Vec<AccountRow>,
    search: String,
    next: Option<String>,
    invitations: Option<Vec<InvitationRow>>,
    new_link: Option<String>,
    audit: Vec<AuditEntry>,
    models: Vec<crate::models::ModelInfo>,
    example_description: &'static str,
    max_model: String,
}

impl DashboardPage {
    fn model_size(&self, bytes: &i64) -> String {
        size(*bytes)
    }

    fn day(&self, rfc3339: &str) -> String {
        rfc3339.chars().take(10).collect()
    }
}

/// An account as a row of the table shows it.
struct AccountRow {
    id: String,
    email: String,
    display_name: String,
    role: String,
    disabled: bool,
    created: String,
    seen: Option<String>,
    images: i64,
    used: String,
    quota: Option<String>,
}

impl From<Account> for AccountRow {
    fn from(a: Account) -> Self {
        Self {
            created: a.created_at.chars().take(10).collect(),
            seen: a.last_seen_at.as_deref().map(minutes),
            used: size(a.bytes),
            quota: a.quota_bytes.map(size),
            id: a.id,
            email: a.email,
            display_name: a.display_name,
            role: a.role,
            disabled: a.disabled,
            images: a.images,
        }
    }
}

struct InvitationRow {
    id: String,
    note: Option<String>,
    created: String,
    expires: String,
    state: &'static str,
    open: bool,
}

impl From<Invitation> for InvitationRow {
    fn from(i: Invitation) -> Self {
        let expired = i.expires_at < crate::db::now_ms();
        Self {
            created: when(i.created_at),
            expires: when(i.expires_at),
            state: match (i.used_at.is_some(), expired) {
                (true, _) => "used",
                (false, true) => "expired",
                (false, false) => "open",
            },
            open: i.used_at.is_none() && !expired,
            id: i.id,
            note: i.note,
        }
    }
}

/// `2026-11-27 14:05` of an RFC 3339 time.
fn minutes(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").chars().take(16).collect()
}

/// "1.5 GB", "320 KB".
pub fn size(bytes: i64) -> String {
    let b = bytes as f64;
    match bytes {
        n if n >= 1 << 30 => format!("{:.1} GB", b / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", b / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} KB", b / 1024.0),
        n => format!("{n} B"),
    }
}

fn uptime(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, h) => format!("{h} h {m} min"),
        (d, h) => format!("{d} days {h} h"),
    }
}

fn chart(
    id: &'static str,
    title: &'static str,
    series: Vec<(&'static str, &'static str, dashboard::Series)>,
) -> Chart {
    let bars: Vec<Bars<'_>> = series
        .iter()
        .map(|(name, class, s)| Bars {
            name,
            class,
            series: s,
        })
        .collect();
    let svg = charts::bars(id, title, &bars);
    let labels = series
        .first()
        .map(|s| s.2.labels.clone())
        .unwrap_or_default();
    let points = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| Point {
            label,
            values: series
                .iter()
                .map(|s| s.2.values.get(i).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    Chart {
        title,
        svg,
        columns: series.iter().map(|s| s.0).collect(),
        points,
    }
}

async fn render_panels(state: &AppState, csrf: &str) -> Result<String> {
    let db = &state.db;
    let activity = dashboard::activity(db).await?;
    let charts = vec![
        chart(
            "chart-hour",
            "Uploads and classifications per minute, last hour (UTC)",
            vec![
                ("uploads", "s1", activity.uploads_hour),
                ("classified", "s2", activity.classified_hour),
            ],
        ),
        chart(
            "chart-week",
            "Uploads and classifications per hour, last week (UTC)",
            vec![
                ("uploads", "s1", activity.uploads_week),
                ("classified", "s2", activity.classified_week),
            ],
        ),
        chart(
            "chart-queue",
            "Queue depth per minute, last hour (UTC)",
            vec![("jobs waiting", "s3", activity.queue_hour)],
        ),
    ];
    let panels = Panels {
        totals: dashboard::totals(db).await?,
        queue: dashboard::queue(db).await?,
        charts,
        servers: dashboard::servers(db, 5).await?,
        housekeeping: housekeeping::last_runs(db).await?,
        database_bytes: dashboard::database_bytes(db, state.system.database).await?,
        uptime: uptime(state.system.started.elapsed().as_secs()),
        system: state.system.clone(),
        retention_days: state.config.job_retention_days,
        sweep_minutes: state.config.sweep_after_minutes,
        csrf: csrf.to_owned(),
    };
    panels
        .render()
        .map_err(|e| Error::Internal(anyhow::anyhow!("cannot render the dashboard: {e}")))
}

#[derive(Deserialize, Default)]
struct DashboardQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

async fn dashboard_page(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
    Query(query): Query<DashboardQuery>,
) -> PageResult {
    dashboard_with(&state, &session, query, None).await
}

async fn dashboard_with(
    state: &AppState,
    session: &crate::auth::Session,
    query: DashboardQuery,
    new_link: Option<String>,
) -> PageResult {
    let db = &state.db;
    let page = PageQuery {
        limit: Some(USERS_PER_PAGE.into()),
        after: query.after.filter(|a| !a.is_empty()),
    };
    let search = query.q.unwrap_or_default();
    let (accounts, next) = admin::accounts(db, Some(&search), &page).await?;
    let accounts = accounts.into_iter().map(AccountRow::from).collect();
    let invitations = if state.config.signup == SignupMode::Invite {
        let list = invitations::list(db, 50).await?;
        Some(list.into_iter().map(InvitationRow::from).collect())
    } else {
        None
    };
    let page = DashboardPage {
        models: state.models.list().await?,
        example_description: super::models::EXAMPLE_DESCRIPTION,
        max_model: size(i64::try_from(state.models.max_bytes).unwrap_or(i64::MAX)),
        panels: render_panels(state, &csrf::masked(&session.csrf_token)).await?,
        chrome: Chrome::of(session),
        accounts,
        search,
        next,
        invitations,
        new_link,
        audit: admin::audit_log(db, 50)
            .await?
            .into_iter()
            .map(|mut e| {
                e.at = minutes(&e.at);
                e
            })
            .collect(),
    };
    Ok(page.into_response())
}

/// The live panels alone: what the page fetches every few seconds while it is open.
async fn panels(State(state): State<AppState>, WebAdmin(session): WebAdmin) -> PageResult {
    Ok(Html(render_panels(&state, &csrf::masked(&session.csrf_token)).await?).into_response())
}

#[derive(Deserialize)]
struct RetryForm {
    /// One job; absent: every failed job.
    #[serde(default)]
    job: Option<String>,
}

async fn retry(
    State(queue): State<Queue>,
    WebAdmin(session): WebAdmin,
    Form(form): Form<RetryForm>,
) -> PageResult {
    let ids: Vec<String> = form.job.into_iter().filter(|j| !j.is_empty()).collect();
    let which = if ids.is_empty() {
        Retry::AllFailed
    } else {
        Retry::Ids(&ids)
    };
    let queued = jobs::retry(&queue, which).await?;
    admin::log_alone(
        &queue.db,
        &Actor::admin(&session.user),
        "retry",
        Some(&format!("{queued} failed jobs queued again")),
    )
    .await?;
    Ok(Redirect::to("/admin#queue").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_user.html")]
struct UserPage {
    chrome: Chrome,
    account: Account,
    is_me: bool,
    quota_mb: String,
    default_quota: String,
    notice: Option<String>,
    error: Option<String>,
}

impl UserPage {
    fn used(&self) -> String {
        size(self.account.bytes)
    }
}

async fn show_user(
    state: &AppState,
    session: &crate::auth::Session,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let account = admin::get(&state.db, id).await?;
    let page = UserPage {
        chrome: Chrome::of(session),
        is_me: account.id == session.user.id,
        quota_mb: account
            .quota_bytes
            .map(|q| format!("{}", q / (1 << 20)))
            .unwrap_or_default(),
        default_quota: state
            .config
            .default_quota_bytes
            .map_or_else(|| "no limit".into(), |q| size(q as i64)),
        account,
        notice,
        error,
    };
    Ok((status, page).into_response())
}

async fn user_page(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
) -> PageResult {
    show_user(&state, &session, &id, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct UserForm {
    action: String,
    #[serde(default)]
    quota_mb: Option<String>,
}

async fn change_user(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
    Form(form): Form<UserForm>,
) -> PageResult {
    let mut change = Change::default();
    let done = match form.action.as_str() {
        "disable" => {
            change.disabled = Some(true);
            "Disabled: this account cannot sign in, and its sessions have ended."
        }
        "enable" => {
            change.disabled = Some(false);
            "Enabled: this account can sign in again."
        }
        "promote" => {
            change.role = Some("admin".into());
            "This account is now an admin."
        }
        "demote" => {
            change.role = Some("user".into());
            "This account is no longer an admin."
        }
        "quota" => {
            let text = form.quota_mb.as_deref().map(str::trim).unwrap_or_default();
            change.quota_bytes = Some(if text.is_empty() {
                None
            } else {
                match text.parse::<i64>() {
                    Ok(mb) if (0..=1 << 30).contains(&mb) => Some(mb << 20),
                    _ => {
                        let error = "Enter the quota as a whole number of megabytes (or leave it empty for the default).";
                        return show_user(
                            &state,
                            &session,
                            &id,
                            None,
                            Some(error.into()),
                            StatusCode::BAD_REQUEST,
                        )
                        .await;
                    }
                }
            });
            "The quota is set."
        }
        _ => return Err(PageError(Error::bad_request("unknown action"))),
    };
    match admin::change(&state.db, &Actor::admin(&session.user), &id, &change).await {
        Ok(_) => {
            show_user(
                &state,
                &session,
                &id,
                Some(done.into()),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(err @ (Error::Conflict(_) | Error::BadRequest(_))) => {
            let (status, _, message) = err.parts();
            show_user(&state, &session, &id, None, Some(message), status).await
        }
        Err(err) => Err(err.into()),
    }
}

async fn confirm_delete(
    State(db): State<Db>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
) -> PageResult {
    let account = admin::get(&db, &id).await?;
    Ok(ConfirmPage {
        chrome: Chrome::of(&session),
        title: format!("Delete {}?", account.email),
        message: format!(
            "This deletes the account {} with all of its folders and its {} ({}), for good. It cannot be undone.",
            account.email,
            plural(account.images.max(0) as usize, "photo"),
            size(account.bytes)
        ),
        action: format!("/admin/users/{id}/delete"),
        fields: vec![("confirmed", "yes".into())],
        button: "Delete the account",
        cancel_href: format!("/admin/users/{id}"),
    }
    .into_response())
}

#[derive(Deserialize)]
struct Confirmed {
    #[serde(default)]
    confirmed: Option<String>,
}

async fn delete_user(
    State(state): State<AppState>,
    State(storage): State<Storage>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
    Form(form): Form<Confirmed>,
) -> PageResult {
    if form.confirmed.as_deref() != Some("yes") {
        return Ok(Redirect::to(&format!("/admin/users/{id}/delete")).into_response());
    }
    match admin::delete(&state.db, &storage, &Actor::admin(&session.user), &id).await {
        Ok(()) => Ok(Redirect::to("/admin#users").into_response()),
        Err(err @ Error::Conflict(_)) => {
            let (status, _, message) = err.parts();
            show_user(&state, &session, &id, None, Some(message), status).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    days: Option<i64>,
}

async fn invite(
    State(state): State<AppState>,
    State(config): State<Arc<Config>>,
    WebAdmin(session): WebAdmin,
    Form(form): Form<InviteForm>,
) -> PageResult {
    let invited = admin::invite(
        &state.db,
        &Actor::admin(&session.user),
        form.note.as_deref(),
        form.days.unwrap_or(7),
        config.public_url.as_deref(),
    )
    .await?;
    let link = invited.url;
    dashboard_with(&state, &session, DashboardQuery::default(), Some(link)).await
}

async fn revoke(
    State(db): State<Db>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
) -> PageResult {
    admin::revoke_invitation(&db, &Actor::admin(&session.user), &id).await?;
    Ok(Redirect::to("/admin#invitations").into_response())
}

/// A stored time for a table cell: `2026-11-27 14:05`.
fn when(ms: i64) -> String {
    minutes(&rfc3339(ms))
}
