//! The admin dashboard (`/admin`): the live panels (figures, queue, charts, servers,
//! housekeeping), refreshed while the page is open; the accounts with their actions; the
//! invitations; the audit log. Admins only: others get 403, the signed-out go to sign in.
//!
//! This module owns the routes and the small formatting helpers the pages share:
//! - `dashboard`: the `/admin` page itself (accounts, invitations, models, audit log);
//! - `panels`: the live panels it embeds and refreshes, their charts, and retrying jobs;
//! - `users`: one account's page, its changes (role, quota, disabling) and its deletion;
//! - `invitations`: inviting someone and revoking an invitation.

mod dashboard;
mod invitations;
mod panels;
mod users;

use axum::Router;
use axum::routing::{get, post};

use crate::db::rfc3339;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::dashboard_page))
        .route("/admin/panels", get(panels::panels))
        .route("/admin/jobs/retry", post(panels::retry))
        .route(
            "/admin/users/{id}",
            get(users::user_page).post(users::change_user),
        )
        .route(
            "/admin/users/{id}/delete",
            get(users::confirm_delete).post(users::delete_user),
        )
        .route("/admin/invitations", post(invitations::invite))
        .route("/admin/invitations/{id}/revoke", post(invitations::revoke))
}

/// `2026-11-27 14:05` of an RFC 3339 time.
fn minutes(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").chars().take(16).collect()
}

/// A stored time for a table cell: `2026-11-27 14:05`.
fn when(ms: i64) -> String {
    minutes(&rfc3339(ms))
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
