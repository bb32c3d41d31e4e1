//! One account, as an admin manages it (`/admin/users/{id}`): its page, the changes made
//! there (disable or enable, promote or demote, the storage quota), and deleting it with
//! everything it owns, after a confirmation page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::size;
use crate::admin::{self, Account, Actor, Change};
use crate::db::Db;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::Storage;
use crate::web::frame::{Chrome, ConfirmPage, PageError, PageResult, WebAdmin, plural};

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

pub(super) async fn user_page(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
) -> PageResult {
    show_user(&state, &session, &id, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    action: String,
    #[serde(default)]
    quota_mb: Option<String>,
}

pub(super) async fn change_user(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
    Path(id): Path<String>,
    Form(form): Form<UserForm>,
) -> PageResult {
    let actor = Actor::admin(&session.user);
    let helped = match form.action.as_str() {
        "reset" => Some(
            admin::access::send_reset(&state.db, &state.mailer, &actor, &id)
                .await
                .map(|()| {
                    "A link to choose a new password was sent to this account's address.".to_owned()
                }),
        ),
        "sign-out" => Some(
            admin::access::end_sessions(&state.db, &actor, &id)
                .await
                .map(|n| format!("Signed out everywhere: {}.", plural(n as usize, "session"))),
        ),
        _ => None,
    };
    if let Some(outcome) = helped {
        return match outcome {
            Ok(done) => show_user(&state, &session, &id, Some(done), None, StatusCode::OK).await,
            Err(Error::NotFound) => Err(PageError(Error::NotFound)),
            Err(err) => {
                let (status, _, message) = err.parts();
                show_user(&state, &session, &id, None, Some(message), status).await
            }
        };
    }
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
    match admin::change(&state.db, &actor, &id, &change).await {
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

pub(super) async fn confirm_delete(
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
pub(super) struct Confirmed {
    #[serde(default)]
    confirmed: Option<String>,
}

pub(super) async fn delete_user(
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
