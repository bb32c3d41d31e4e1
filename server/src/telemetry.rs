//! `GET /metrics` in the Prometheus text format (the `metrics` crate and its Prometheus
//! exporter): requests and their latency by route template, uploads and their bytes, jobs
//! by outcome and their steps' durations, the queue's depth and refused sign-ins. The code
//! that does the work counts it where it happens (`metrics::counter!`); this module holds
//! the recorder, the request middleware and the guarded endpoint.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::net::ClientIp;

/// Seconds: from a fast page to a slow upload.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder (one per process: every server state in it shares the figures).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "gallery_http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        "gallery_http_request_duration_seconds",
        Unit::Seconds,
        "time to answer a request, by method and route template"
    );
    describe_counter!("gallery_uploads_total", "photos stored");
    describe_counter!(
        "gallery_upload_bytes_total",
        Unit::Bytes,
        "bytes of the originals stored"
    );
    describe_counter!(
        "gallery_jobs_total",
        "classification attempts by outcome (done, retry, error) and backend"
    );
    describe_histogram!(
        "gallery_job_step_duration_seconds",
        Unit::Seconds,
        "time of each step of a classification (fetch, prepare, predict) by backend"
    );
    describe_gauge!(
        "gallery_queue_depth",
        "classification jobs waiting or running (all servers)"
    );
    describe_counter!(
        "gallery_signin_refusals_total",
        "refused sign-ins by reason (credentials, rate_limited, disabled)"
    );
}

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
