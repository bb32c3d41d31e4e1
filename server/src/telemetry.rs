//! `GET /metrics` in the Prometheus text format (the `metrics` crate and its Prometheus
//! exporter): requests and their latency by route template, uploads and their bytes, jobs
//! by outcome and their steps' durations, the queue's depth and refused sign-ins. The code
//! that does the work counts it where it happens (`metrics::counter!`); this module holds
//! the recorder; the request middleware and the guarded endpoint are `api::metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

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
