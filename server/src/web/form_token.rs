//! The CSRF token a request carries: from its header, or from a url-encoded form's body
//! (which is read and put back for the handler). Checked against the session's in
//! `web::mod`'s layer ([`crate::auth::csrf`] holds the tokens).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;

use crate::auth::csrf::{FIELD, HEADER};

/// The most a form's body may hold when its token is read from it.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The token a request carries, from its header or, for a url-encoded form, its body
/// (which is read and put back for the handler).
pub async fn provided(req: Request) -> (Request, Option<String>) {
    if let Some(value) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        let value = value.to_owned();
        return (req, Some(value));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return (Request::from_parts(parts, Body::empty()), None);
    };
    let token = form_urlencoded_field(&bytes, FIELD);
    (Request::from_parts(parts, Body::from(bytes)), token)
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}
