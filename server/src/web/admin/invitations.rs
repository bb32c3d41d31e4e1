//! Invitations from the dashboard (`/admin/invitations`): making one (the page comes back
//! with its link to pass on) and revoking one. The list itself is on the dashboard page.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::dashboard::{DashboardQuery, dashboard_with};
use crate::admin::{self, Actor};
use crate::config::Config;
use crate::db::Db;
use crate::state::AppState;
use crate::web::frame::{PageResult, WebAdmin};

#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    days: Option<i64>,
}

pub(super) async fn invite(
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

pub(super) async fn revoke(
    State(db): State<Db>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
) -> PageResult {
    admin::revoke_invitation(&db, &Actor::admin(&session.user), &id).await?;
    Ok(Redirect::to("/admin#invitations").into_response())
}
