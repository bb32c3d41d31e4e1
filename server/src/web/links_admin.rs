//! One's links in the pages: "Your links" (each with what it shows, how often it was
//! opened, its options, Revoke), and making one for a folder (from its Share page) or for
//! the selected photos (the selection's "Get a link"). A new link's address is shown once,
//! in the answer to the form that made it: only its hash is kept.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::frame::{Chrome, PageResult, SignedIn};
use crate::auth::Session;
use crate::db::Db;
use crate::error::Result;
use crate::links::{self, LinkInfo, NewLink};
use crate::mail::Mailer;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/links", get(links_page))
        .route("/links/new", post(make))
        .route("/links/{id}/revoke", post(revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "links.html")]
struct LinksPage {
    chrome: Chrome,
    links: Vec<LinkInfo>,
    /// The address of the link just made (shown this once).
    made: Option<String>,
    error: Option<String>,
}

async fn render(
    db: &Db,
    session: &Session,
    made: Option<String>,
    error: Option<(StatusCode, String)>,
) -> PageResult {
    let links = links::list(db, &session.user.id).await?;
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let page = LinksPage {
        chrome: Chrome::of(session),
        links,
        made,
        error,
    };
    Ok((status, page).into_response())
}

async fn links_page(State(db): State<Db>, SignedIn(session): SignedIn) -> PageResult {
    render(&db, &session, None, None).await
}

/// The form that makes a link: a folder's, or the selection's photos (`ids`, repeated).
/// Without `options` (the selection's button) the link has the defaults: downloads
/// allowed, no password, no expiry, place and camera shown.
#[derive(Deserialize, Default)]
struct LinkForm {
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    options: Option<String>,
    #[serde(default)]
    allow_download: Option<String>,
    #[serde(default)]
    hide_place: Option<String>,
}

async fn make(
    State(db): State<Db>,
    State(mailer): State<Arc<Mailer>>,
    SignedIn(session): SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    let made: Result<String> = async {
        let form: LinkForm = super::repeated_form(&body)?;
        let chose = form.options.is_some();
        let new = NewLink {
            // The selection's form also holds its "move to" folder: the photos win.
            folder_id: form
                .folder_id
                .as_deref()
                .filter(|f| !f.is_empty() && form.ids.is_empty()),
            image_ids: form.ids.clone(),
            expires_at: form.expires.as_deref().filter(|e| !e.trim().is_empty()),
            password: form.password.as_deref().filter(|p| !p.is_empty()),
            allow_download: !chose || form.allow_download.is_some(),
            hide_place: chose && form.hide_place.is_some(),
        };
        let (_, token) = links::create(&db, &session.user, new).await?;
        Ok(mailer.link(&format!("/s/{token}")))
    }
    .await;
    match made {
        Ok(url) => render(&db, &session, Some(url), None).await,
        Err(err) => {
            let (status, _, message) = err.parts();
            render(&db, &session, None, Some((status, message))).await
        }
    }
}

async fn revoke(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    links::revoke(&db, &session.user, &id).await?;
    Ok(Redirect::to("/links").into_response())
}
