//! The `/admin` page: the live panels (rendered by `panels`), a page of accounts (with a
//! search), the open invitations when sign-up is by invitation, the installed models, and
//! the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{minutes, size, when};
use crate::admin::{self, Account, AuditEntry};
use crate::auth::csrf;
use crate::auth::invitations::{self, Invitation};
use crate::config::SignupMode;
use crate::paging::PageQuery;
use crate::state::AppState;
use crate::web::frame::{Chrome, PageResult, WebAdmin};

/// Accounts shown per page.
const USERS_PER_PAGE: &str = "50";

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

/// An invitation as a row of the table shows it.
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

#[derive(Deserialize, Default)]
pub(super) struct DashboardQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

pub(super) async fn dashboard_page(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
    Query(query): Query<DashboardQuery>,
) -> PageResult {
    dashboard_with(&state, &session, query, None).await
}

/// The page, with the link of an invitation just made (`new_link`) when there is one.
pub(super) async fn dashboard_with(
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
        example_description: crate::web::models::EXAMPLE_DESCRIPTION,
        max_model: size(i64::try_from(state.models.max_bytes).unwrap_or(i64::MAX)),
        panels: super::panels::render_panels(state, &csrf::masked(&session.csrf_token)).await?,
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
