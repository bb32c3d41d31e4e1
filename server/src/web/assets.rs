//! The files under `static/`, built into the binary so it runs from anywhere.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::frame::PageError;
use crate::error::Error;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../static/app.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/admin.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../../static/favicon.svg"),
    ),
    (
        "gallery.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/gallery.js"),
    ),
    (
        "theme.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/theme.js"),
    ),
    (
        "voice.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/voice.js"),
    ),
    (
        "voice-capture.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/voice-capture.js"),
    ),
    (
        "passkeys.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/passkeys.js"),
    ),
    (
        "share.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/share.js"),
    ),
    (
        "offline.html",
        "text/html; charset=utf-8",
        include_bytes!("../../../static/offline.html"),
    ),
    (
        "manifest.webmanifest",
        "application/manifest+json",
        include_bytes!("../../../static/manifest.webmanifest"),
    ),
    (
        "icon-192.png",
        "image/png",
        include_bytes!("../../../static/icon-192.png"),
    ),
    (
        "icon-512.png",
        "image/png",
        include_bytes!("../../../static/icon-512.png"),
    ),
    (
        "icon-maskable-512.png",
        "image/png",
        include_bytes!("../../../static/icon-maskable-512.png"),
    ),
    (
        "vendor/htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/vendor/htmx-2.0.11.min.js"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            *body,
        )
            .into_response(),
        None => PageError(Error::NotFound).into_response(),
    }
}

/// The service worker's script: `static/sw.js` after the version of the static files (a
/// hash of them all), so that a server with other files replaces the kept shell. Served
/// from the root, the worker's scope is the whole site.
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for (name, _, body) in FILES {
        hash.update(name.as_bytes());
        hash.update(body);
    }
    let version = hex::encode(&hash.finalize()[..8]);
    let script = String::from_utf8_lossy(include_bytes!("../../../static/sw.js"));
    format!("const VERSION = \"{version}\";\n{script}")
});

pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER.as_str(),
    )
        .into_response()
}
