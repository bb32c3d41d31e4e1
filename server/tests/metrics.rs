//! `GET /metrics`: Prometheus text that Prometheus's own parser (PyPI `prometheus-client`)
//! reads, whose counters follow what happens, and which only the loopback or the holder of
//! the metrics token may read. The recorder is one per process, so this file holds one
//! test: nothing else uploads while it counts.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use reqwest::StatusCode;

fn python() -> PathBuf {
    std::env::var_os("GALLERY_TEST_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache/venv/bin/python"),
        PathBuf::from,
    )
}

/// Every sample of the text, as Prometheus's parser reads it: `name{labels}` → value.
fn parse(text: &str) -> HashMap<String, f64> {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        print(f"{s.name}{{{labels}}}\t{s.value}")
"#;
    let python = python();
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup.sh --test",
        python.display()
    );
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the metrics: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect()
}

#[tokio::test]
async fn metrics_parse_count_uploads_by_route_and_need_the_token() {
    let app = spawn_app().await;
    let token = app.user("ada@example.org").await;
    let scrape = || async {
        let res = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "loopback may read the metrics"
        );
        parse(&res.text().await.unwrap())
    };
    let uploads =
        |m: &HashMap<String, f64>| m.get("gallery_uploads_total{}").copied().unwrap_or(0.0);
    let before = scrape().await;
    let id = app.photo(&token, "one.jpg", None).await;
    let after_one = scrape().await;
    assert_eq!(uploads(&after_one) - uploads(&before), 1.0);
    app.photo(&token, "two.jpg", None).await;
    let after_two = scrape().await;
    assert_eq!(uploads(&after_two) - uploads(&before), 2.0);
    assert!(
        after_two["gallery_upload_bytes_total{}"]
            > before
                .get("gallery_upload_bytes_total{}")
                .copied()
                .unwrap_or(0.0)
    );

    // Requests are counted by route template, not by the photo's own path.
    let res = app
        .get(&token, &format!("/api/v1/images/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let m = scrape().await;
    let key = "gallery_http_requests_total{method=GET,route=/api/v1/images/{id},status=200}";
    assert!(
        m.get(key).copied().unwrap_or(0.0) >= 1.0,
        "{key} in {:?}",
        m.keys().collect::<Vec<_>>()
    );
    assert!(
        m.keys().all(|k| !k.contains(&id)),
        "no series names a photo"
    );
    assert!(m.contains_key(
        "gallery_http_request_duration_seconds_bucket{le=+Inf,method=GET,route=/api/v1/images/{id}}"
    ));
    assert!(m.contains_key("gallery_queue_depth{}"));
    assert_eq!(
        m["gallery_queue_depth{}"], 2.0,
        "both photos wait (the classifier is off)"
    );

    // Refused sign-ins are counted by reason.
    let res = app.login("ada@example.org", "not the password").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let m = scrape().await;
    assert!(m["gallery_signin_refusals_total{reason=credentials}"] >= 1.0);

    // With a token set, the metrics need it, from anywhere.
    let guarded = spawn_app_with(|c| c.metrics_token = Some("s3cret-metrics-token".into())).await;
    let res = guarded
        .client
        .get(guarded.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("s3cret-metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
}

#[tokio::test]
async fn metrics_are_refused_to_other_machines_without_a_token() {
    // The client address as the server sees it, through a trusted proxy on loopback.
    let app = spawn_app_with(|c| c.trusted_proxies = Some("127.0.0.1".into())).await;
    let res = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
