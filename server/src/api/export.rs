//! Downloads as ZIP: a folder, a selection, and the export of everything of an account
//! (`crate::export` decides what goes in and writes it). The answers are streamed as the
//! archive is made, so these routes have no deadline; a client that stops reading for
//! `export::STALL` loses its download.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::db::Db;
use crate::error::Result;
use crate::export::{self, Exports, Scope};
use crate::storage::Storage;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(folder_zip))
        .routes(routes!(selection_zip))
        .routes(routes!(export_everything))
}

/// Makes the archive of `scope` for `owner` and answers with it as it is made: a place
/// among the exports first (429 or 503 with `Retry-After`), then what goes in (404 for
/// what is not the owner's, before any byte is sent).
pub async fn zip_download(
    db: &Db,
    storage: &Storage,
    exports: &Exports,
    owner: &str,
    scope: Scope<'_>,
) -> Result<Response> {
    let ticket = exports.admit(owner)?;
    let plan = export::plan(db, owner, scope).await?;
    let disposition = attachment(&plan.filename);
    let stream = export::stream(plan, storage.clone(), ticket);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `attachment; filename="…"` with an ASCII stand-in for old clients and the name itself
/// (RFC 6266 and 8187) for the others.
fn attachment(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// A folder as a ZIP
///
/// The folder and everything below it (nothing in the Trash), the originals as they were
/// uploaded, stored (not compressed), under the folder's path from the folder itself
/// ("Trips/Hawaii/IMG_1.jpg"), names made unique in each directory ("IMG_1 (2).jpg").
/// Streamed as it is made (ZIP64 past 4 GB; no `Content-Length`). One download per
/// account at a time (429 otherwise) and `GALLERY_MAX_EXPORTS` per server (503), both
/// with `Retry-After`.
#[utoipa::path(get, path = "/folders/{id}/zip", tag = "export", params(("id" = String, Path)),
    responses(
        (status = 200, description = "The archive, streamed", content_type = "application/zip", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"NAME.zip\""))),
        (status = 404, description = "No such folder of yours", body = ErrorBody),
        (status = 429, description = "One of your downloads is under way", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Every place for downloads is taken", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = "default", body = ErrorBody)))]
async fn folder_zip(
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(exports): State<Exports>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Response> {
    zip_download(&db, &storage, &exports, &s.user.id, Scope::Folder(&id)).await
}

/// A selection of photos.
#[derive(Deserialize, ToSchema)]
pub struct Selection {
    /// The photos' ids: at least one, at most 1000.
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<String>,
}

/// Photos as a ZIP
///
/// The originals of the selected photos (at most 1000), under their folders' paths from
/// the top ("Trips/Hawaii/IMG_1.jpg"), names made unique in each directory. 404 when one
/// of them is not yours or is in the Trash. Streamed, bounded and refused as the folder's
/// ZIP is.
#[utoipa::path(post, path = "/images/zip", tag = "export", request_body = Selection,
    responses(
        (status = 200, description = "The archive, streamed", content_type = "application/zip", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"photos.zip\""))),
        (status = 400, description = "No photo, or more than 1000", body = ErrorBody),
        (status = 404, description = "A photo that is not yours", body = ErrorBody),
        (status = 429, description = "One of your downloads is under way", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Every place for downloads is taken", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = "default", body = ErrorBody)))]
async fn selection_zip(
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(exports): State<Exports>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<Selection>,
) -> Result<Response> {
    let scope = Scope::Selection(&body.ids);
    zip_download(&db, &storage, &exports, &s.user.id, scope).await
}

/// Everything of yours as a ZIP
///
/// Every folder (as directories) and photo not in the Trash, the originals stored under
/// their folder paths; beside each photo an XMP sidecar `NAME.xmp` ("IMG_1.jpg.xmp", as
/// darktable and digiKam name them) with its labels as keywords (`dc:subject`) and
/// `xmp:CreateDate` when known; at the top `gallery.json`: the folders with their paths
/// and the photos with their path, file name, dates taken and uploaded (RFC 3339), size,
/// camera, lens and labels (class index, confidence, model). Streamed, bounded and
/// refused as the folder's ZIP is; a broken download can simply be started again.
#[utoipa::path(get, path = "/export", tag = "export",
    responses(
        (status = 200, description = "The archive, streamed", content_type = "application/zip", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"gallery-export-DATE.zip\""))),
        (status = 429, description = "One of your downloads is under way", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Every place for downloads is taken", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = "default", body = ErrorBody)))]
async fn export_everything(
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(exports): State<Exports>,
    ApiUser(s): ApiUser,
) -> Result<Response> {
    zip_download(&db, &storage, &exports, &s.user.id, Scope::Everything).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_go_in_both_forms() {
        let value = super::attachment("Été \"2024\".zip");
        assert_eq!(
            value.to_str().unwrap(),
            "attachment; filename=\"_t_ _2024_.zip\"; filename*=UTF-8''%C3%89t%C3%A9%20%222024%22.zip"
        );
    }
}
