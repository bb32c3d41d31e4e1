//! The JSON API under `/api/v1` (contract: `shared/api.md`). Callers authenticate with a
//! bearer token; errors are `{"error": "…"}` with a 4xx. One module per resource, each
//! with its router; the OpenAPI document at `/api/v1/openapi.json` is made from the
//! handlers' own annotations and types, so it cannot drift from them.

mod account;
mod admin;
mod classifier;
mod download;
pub mod export;
mod extract;
mod folders;
mod links;
mod me;
pub mod metrics;
mod models;
pub mod multipart;
mod photos;
pub mod recording;
mod recovery;
mod sharing;
mod trash;
pub mod unread;
mod voice;

use std::time::Duration;

use axum::extract::OriginalUri;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::error::Error;
use crate::paging;
use crate::state::AppState;
pub use extract::{ApiAdmin, ApiJson, ApiQuery, ApiUser, double_option};

type St = AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gallery API",
        version = "1.0.0",
        description = "The JSON API of Gallery. Authenticate with POST /auth/login and send Authorization: Bearer TOKEN. Errors are {\"error\": message} with a 4xx status. Listings are paged: limit (1 to 1000, default 200) and after (the cursor a page's Link header gives, rel=\"next\")."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A client error, with a message for people.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
struct ErrorBody {
    error: String,
}

pub fn router(state: &AppState) -> Router<St> {
    let deadline = Duration::from_secs(state.config.request_timeout_secs.max(1));
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(account::router())
        .merge(me::router())
        .merge(recovery::router())
        .merge(folders::router())
        .merge(photos::router())
        .merge(voice::router(state))
        .merge(admin::router())
        .merge(classifier::router())
        .merge(models::router())
        .merge(trash::router())
        .merge(sharing::router())
        .merge(links::router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        ))
        // An upload takes as long as the client needs to send it; its body may not stall.
        .merge(photos::uploads(state))
        .merge(models::uploads(state))
        // A ZIP download takes as long as the client needs to read it (it ends when the
        // client stalls).
        .merge(export::router())
        .split_for_parts();
    let document = document.to_pretty_json().unwrap_or_default();
    router
        .route(
            "/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
        )
        .fallback(|| async { Error::NotFound })
}

/// A page of a listing: the items, with a `Link` to the next page when there is one.
fn paged<T: serde::Serialize>(uri: &OriginalUri, items: Vec<T>, next: Option<String>) -> Response {
    let mut response = Json(items).into_response();
    if let Some(cursor) = next {
        let link = paging::next_link(uri.path(), uri.query(), &cursor);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}
