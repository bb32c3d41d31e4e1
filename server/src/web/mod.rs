//! The HTML pages: askama templates, plain forms that work without JavaScript, and a
//! few small scripts under `static/` for uploads, selection and the viewer.

mod assets;
mod pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use tower_http::timeout::TimeoutLayer;

use crate::app::AppState;
use crate::auth::{WebSession, csrf, sessions};
use crate::error::Error;

pub const SESSION_COOKIE: &str = "gallery_session";

pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let upload_limit = crate::api::upload_request_limit(&state);
    let deadline = Duration::from_secs(state.config.request_timeout_secs.max(1));
    let timed = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/signup", get(pages::signup_form).post(pages::signup))
        .route("/logout", post(pages::logout))
        .route("/auth/oidc", get(pages::oidc_start))
        .route("/auth/callback", get(pages::oidc_callback))
        .route("/account", get(pages::account))
        .route("/account/password", post(pages::change_password))
        .route("/gallery", get(pages::root_folder))
        .route("/gallery/{id}", get(pages::folder))
        .route("/folders", post(pages::create_folder))
        .route("/folders/{id}/rename", post(pages::rename_folder))
        .route("/folders/{id}/move", post(pages::move_folder))
        .route(
            "/folders/{id}/delete",
            get(pages::confirm_delete_folder).post(pages::delete_folder),
        )
        .route("/images/move", post(pages::move_images))
        .route("/images/delete", post(pages::delete_images))
        .route("/images/reclassify", post(pages::reclassify_selected))
        .route("/images/status", get(pages::statuses))
        .route("/voice", post(pages::voice_command))
        .route("/images/{id}/reclassify", post(pages::reclassify_one))
        .route("/images/{id}/original", get(pages::original))
        .route("/images/{id}/thumbnail", get(pages::thumbnail))
        .route("/static/{*file}", get(assets::serve))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        ));
    // An upload takes as long as the client needs to send it; its body may not stall.
    let uploads = Router::new().route(
        "/upload",
        post(pages::upload).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
    );
    timed
        .merge(uploads)
        .fallback(|| async { pages::PageError(Error::NotFound) })
        .layer(middleware::from_fn_with_state(state, session_and_csrf))
}

/// Finds the browser's session (for the handlers) and refuses a state-changing request
/// whose CSRF token does not match.
async fn session_and_csrf(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    req: Request,
    next: Next,
) -> Response {
    let session = match jar.get(SESSION_COOKIE) {
        Some(cookie) => {
            match sessions::find(&state.db, cookie.value(), sessions::Kind::Web).await {
                Ok(found) => found,
                Err(err) => return pages::PageError(err).into_response(),
            }
        }
        None => None,
    };
    let mut req = req;
    if !req.method().is_safe() {
        let expected = match &session {
            Some(s) => s.csrf_token.clone(),
            None => jar
                .get(csrf::COOKIE)
                .map(|c| c.value().to_owned())
                .unwrap_or_default(),
        };
        let (checked, provided) = csrf::provided(req).await;
        if !csrf::matches(&expected, provided.as_deref()) {
            return pages::PageError(Error::Forbidden(
                "this form has expired or did not come from this site; reload the page and try again".into(),
            ))
            .into_response();
        }
        req = checked;
    }
    if let Some(session) = session {
        req.extensions_mut().insert(WebSession(session));
    }
    next.run(req).await
}
