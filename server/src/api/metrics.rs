//! `GET /metrics` for Prometheus, guarded, and the middleware that counts and times every
//! request by its route template. The recorder is [`crate::telemetry`].

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::net::ClientIp;
use crate::telemetry::handle;

/// Counts each request and times it, labelled by the route's template (`/api/v1/images/{id}`),
/// never the raw path: one series per route, however many photos there are.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("gallery_http_request_duration_seconds",
        "method" => method.clone(), "route" => route.clone())
    .record(started.elapsed().as_secs_f64());
    metrics::counter!("gallery_http_requests_total",
        "method" => method, "route" => route, "status" => status)
    .increment(1);
    response
}

/// `GET /metrics`: with `GALLERY_METRICS_TOKEN` set, for `Authorization: Bearer` that token;
/// without it, for clients on this machine only.
pub async fn endpoint(
    State(config): State<Arc<Config>>,
    State(db): State<Db>,
    ClientIp(client): ClientIp,
    headers: axum::http::HeaderMap,
) -> Response {
    let allowed = match config.metrics_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))),
        None => client.is_loopback(),
    };
    if !allowed {
        return if config.metrics_token.is_some() {
            Error::Unauthorized(
                "the metrics need Authorization: Bearer with the metrics token".into(),
            )
        } else {
            Error::Forbidden(
                "the metrics are served only to this machine unless GALLERY_METRICS_TOKEN is set"
                    .into(),
            )
        }
        .into_response();
    }
    match crate::jobs::depth(&db).await {
        Ok(depth) => metrics::gauge!("gallery_queue_depth").set(depth as f64),
        Err(err) => tracing::warn!(%err, "cannot read the queue depth for /metrics"),
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
        .into_response()
}
