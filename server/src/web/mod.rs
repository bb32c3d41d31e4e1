//! The HTML pages: askama templates, plain forms that work without JavaScript, and a
//! few small scripts under `static/` for uploads, selection, the viewer and voice. One
//! module per resource, each with its router; a page and its API twin call the same
//! domain function.

mod account;
mod admin;
mod assets;
mod export;
mod folder_forms;
mod folders;
mod form_token;
mod frame;
mod links;
mod links_admin;
mod models;
mod passkeys;
mod photos;
mod recovery;
mod second_step;
mod security;
mod sharing;
mod timeline;
mod trash;
mod voice;

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{csrf, sessions};
use crate::db::Db;
use crate::error::Error;
use crate::state::AppState;
pub use account::SESSION_COOKIE;
use frame::{PageError, WebSession};

pub fn router(state: &AppState) -> Router<AppState> {
    let deadline = Duration::from_secs(state.config.request_timeout_secs.max(1));
    let timed = Router::new()
        .merge(account::router())
        .merge(admin::router())
        .merge(folders::router())
        .merge(models::router())
        .merge(photos::router())
        .merge(passkeys::router())
        .merge(recovery::router())
        .merge(second_step::router())
        .merge(security::router())
        .merge(sharing::router())
        .merge(links_admin::router())
        .merge(timeline::router())
        .merge(trash::router())
        .merge(voice::router(state))
        .route("/static/{*file}", get(assets::serve))
        .route("/sw.js", get(assets::service_worker))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        ));
    // An upload takes as long as the client needs to send it; its body may not stall.
    timed
        .merge(photos::uploads(state))
        .merge(models::uploads(state))
        // A download takes as long as the browser needs to save it.
        .merge(export::router())
        .fallback(|| async { PageError(Error::NotFound) })
        .layer(middleware::from_fn_with_state(
            (state.db.clone(), state.config.clone()),
            session_and_csrf,
        ))
        // Links for anyone: no session, no CSRF token (nothing there changes anyone's
        // data; the password form only proves a password), within the pages' deadline.
        .merge(links::router().layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        )))
}

/// Finds the browser's session (for the handlers) and refuses a state-changing request
/// whose CSRF token does not match.
async fn session_and_csrf(
    State((db, config)): State<(Db, std::sync::Arc<crate::config::Config>)>,
    jar: CookieJar,
    req: Request,
    next: Next,
) -> Response {
    let session = match jar.get(SESSION_COOKIE) {
        Some(cookie) => match sessions::find(&db, cookie.value(), sessions::Kind::Web).await {
            Ok(found) => found,
            Err(err) => return PageError(err).into_response(),
        },
        None => None,
    };
    let mut req = req;
    // A share from a phone's share sheet comes without our token; the service worker takes
    // it, and what reaches the server (no worker yet) changes nothing (photos::share_posted).
    let share = req.method() == axum::http::Method::POST && req.uri().path() == "/share";
    if !req.method().is_safe() && !share {
        let expected = match &session {
            Some(s) => s.csrf_token.clone(),
            None => jar
                .get(csrf::COOKIE)
                .map(|c| c.value().to_owned())
                .unwrap_or_default(),
        };
        let (checked, provided) = form_token::provided(req).await;
        if !csrf::matches(&expected, provided.as_deref()) {
            return PageError(Error::Forbidden(
                "this form has expired or did not come from this site; reload the page and try again".into(),
            ))
            .into_response();
        }
        req = checked;
    }
    if let Some(session) = session {
        if let Some(detour) = security::must_set_up_first(&config, &session, req.uri().path()) {
            return detour;
        }
        req.extensions_mut().insert(WebSession(session));
    }
    next.run(req).await
}

/// A form of a request body whose fields may repeat (`ids=a&ids=b`, which axum's `Form`
/// cannot read), or a 400 that says why not.
fn repeated_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> crate::error::Result<T> {
    serde_html_form::from_bytes(body)
        .map_err(|e| Error::bad_request(format!("the form is not valid: {e}")))
}
