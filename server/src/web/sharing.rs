//! Sharing in the pages: a folder's "Share" page (who has access, add someone, change a
//! role, remove someone; its owner only), "Shared with me" (the folders others shared,
//! with their owners' names, which one may leave).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::frame::{Chrome, PageResult, SignedIn, folder_href};
use crate::access::Role;
use crate::auth::Session;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::folders::{self, Folder};
use crate::mail::Mailer;
use crate::sharing::{self, Share, SharedFolder};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shared", get(shared_page))
        .route("/shared/{id}/leave", post(leave))
        .route("/folders/{id}/sharing", get(sharing_page).post(add))
        .route("/folders/{id}/sharing/remove", post(remove))
}

#[derive(Template, WebTemplate)]
#[template(path = "shared.html")]
struct SharedPage {
    chrome: Chrome,
    folders: Vec<SharedFolder>,
    /// What I did with sharing lately (the audit log's entries of mine).
    activity: Vec<crate::admin::AuditEntry>,
}

async fn shared_page(State(db): State<Db>, SignedIn(session): SignedIn) -> PageResult {
    let folders = sharing::shared_with(&db, &session.user.id).await?;
    let activity = crate::admin::sharing_activity(&db, &session.user.id, 50).await?;
    Ok(SharedPage {
        chrome: Chrome::of(&session),
        folders,
        activity,
    }
    .into_response())
}

async fn leave(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    sharing::leave(&db, &session.user, &id).await?;
    Ok(Redirect::to("/shared").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "sharing.html")]
struct SharingPage {
    chrome: Chrome,
    folder: Folder,
    shares: Vec<Share>,
    error: Option<String>,
    done: Option<String>,
    /// What the form held when it was refused, to fill it again.
    email: String,
}

impl SharingPage {
    fn back(&self) -> String {
        folder_href(Some(&self.folder.id))
    }
}

async fn page(
    db: &Db,
    session: &Session,
    id: &str,
    outcome: Result<String>,
    email: &str,
) -> PageResult {
    let folder = folders::owned(db, &session.user.id, id).await?;
    let shares = sharing::shares(db, &session.user.id, id).await?;
    let (status, error, done, email) = match outcome {
        Ok(done) if done.is_empty() => (StatusCode::OK, None, None, String::new()),
        Ok(done) => (StatusCode::OK, None, Some(done), String::new()),
        Err(err) => {
            let (status, _, message) = err.parts();
            (status, Some(message), None, email.to_owned())
        }
    };
    let page = SharingPage {
        chrome: Chrome::of(session),
        folder,
        shares,
        error,
        done,
        email,
    };
    Ok((status, page).into_response())
}

async fn sharing_page(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    page(&db, &session, &id, Ok(String::new()), "").await
}

#[derive(Deserialize)]
struct ShareForm {
    email: String,
    role: String,
}

async fn add(
    State(db): State<Db>,
    State(mailer): State<Arc<Mailer>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ShareForm>,
) -> PageResult {
    let outcome = async {
        let role = Role::shared(&form.role)?;
        let share = sharing::share(&db, &mailer, &session.user, &id, &form.email, role).await?;
        Ok(match share.state.as_str() {
            "pending" => format!(
                "Shared with {} as {}: they get it when they sign up with this address.",
                share.email,
                role.as_str()
            ),
            _ => format!("Shared with {} as {}.", share.email, role.as_str()),
        })
    }
    .await;
    if matches!(outcome, Err(Error::NotFound | Error::Forbidden(_))) {
        return Err(outcome.unwrap_err().into());
    }
    page(&db, &session, &id, outcome, &form.email).await
}

#[derive(Deserialize)]
struct RemoveForm {
    email: String,
}

async fn remove(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RemoveForm>,
) -> PageResult {
    sharing::unshare(&db, &session.user, &id, &form.email).await?;
    let done = format!("{} no longer has access.", form.email.trim());
    page(&db, &session, &id, Ok(done), "").await
}
