//! How a photo's file is answered over HTTP: a stream with its length, a redirect to a
//! signed URL, or 304 when the browser already has it.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::images::Download;
use crate::storage::Delivery;

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let cache = [
            (header::ETAG, self.etag),
            (header::CACHE_CONTROL, self.cache.to_owned()),
        ];
        match self.delivery {
            None => (StatusCode::NOT_MODIFIED, cache).into_response(),
            Some(Delivery::Stream { stream, len }) => (
                cache,
                [
                    (header::CONTENT_TYPE, self.content_type),
                    (header::CONTENT_LENGTH, len.to_string()),
                ],
                Body::from_stream(stream),
            )
                .into_response(),
            Some(Delivery::Redirect(url)) => Redirect::temporary(&url).into_response(),
        }
    }
}
