//! The files under `static/`, built into the binary so it runs from anywhere.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

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
