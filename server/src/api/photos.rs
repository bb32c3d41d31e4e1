//! Photos: list and search, upload, read, move, delete, the bytes, classify again.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, ApiUser, ErrorBody, St, double_option, paged};
use crate::access::Scope;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::images::upload::Uploads;
use crate::images::{self, Image, Order, SortKey, Status, Variant};
use crate::jobs::Queue;
use crate::paging::PageQuery;
use crate::state::AppState;
use crate::storage::Storage;
use crate::when::Span;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_images))
        .routes(routes!(get_image, update_image, delete_image))
        .routes(routes!(original))
        .routes(routes!(thumbnail))
        .routes(routes!(display))
        .routes(routes!(reclassify))
}

/// The upload route, apart: it has no deadline (a body may take as long as the client
/// needs, as long as it does not stall) and a body limit of its own.
pub fn uploads(state: &AppState) -> OpenApiRouter<St> {
    upload_router().layer(DefaultBodyLimit::max(state.upload_request_limit()))
}

pub fn upload_router() -> OpenApiRouter<St> {
    OpenApiRouter::new().routes(routes!(upload))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImageQuery {
    /// The folder to list (without it, the top level); with `q`, the folder to search,
    /// everything below it included (without it, the whole gallery).
    folder: Option<String>,
    /// Search by meaning: a word matches a photo when it names one of its labels, a
    /// synonym, or a more general WordNet term ("dog" finds every breed, "vehicle" cars
    /// and boats); file and folder names match too, every word must match. Plurals and
    /// case do not matter. Best matches first unless sort is given. An empty or over-long
    /// query is a 400.
    #[param(max_length = 200)]
    q: Option<String>,
    /// date: date taken (else upload date); uploaded: upload date; name; tag: confidence
    /// of the best label; relevance (searches; the default there): confidence of the label
    /// that matched, then newest.
    #[param(inline)]
    sort: Option<SortKey>,
    #[serde(default)]
    #[param(inline)]
    order: Order,
    /// Only photos taken on or after this date (ISO: `2024-03-01`, or an RFC 3339 time);
    /// the upload date stands for the date taken when a photo has none.
    taken_after: Option<String>,
    /// Only photos taken before this date (ISO, as `taken_after`).
    taken_before: Option<String>,
    /// Whose photos a search or a listing covers: `mine` (the default: a listing without
    /// `folder` is my top level), `shared` (every photo in shared folders: shared with me,
    /// or mine shared with others) or `all` (those and all of mine). Within a folder, every
    /// photo of that folder counts.
    #[serde(default)]
    #[param(inline)]
    scope: Scope,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// Images in a folder (the root without one), or a search
#[utoipa::path(get, path = "/images", tag = "photos", params(ImageQuery, PageQuery),
    responses((status = 200, body = [Image], headers(("Link" = String, description = "<URL>; rel=\"next\" when there is a next page"))),
        (status = "default", body = ErrorBody)))]
async fn list_images(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<ImageQuery>,
) -> Result<Response> {
    let folder = q.folder.as_deref().filter(|f| !f.is_empty());
    let taken = Span::between_dates(
        q.taken_after.as_deref().filter(|t| !t.is_empty()),
        q.taken_before.as_deref().filter(|t| !t.is_empty()),
    )
    .map_err(Error::bad_request)?;
    let owner = &s.user.id;
    let listing = match q.q.as_deref() {
        Some(text) => {
            let sort = q.sort.unwrap_or(SortKey::Relevance);
            let scope = q.scope;
            images::search(
                &db, owner, scope, folder, text, sort, q.order, &q.page, &taken,
            )
            .await?
        }
        None => {
            let sort = q.sort.unwrap_or_default();
            images::list(&db, owner, q.scope, folder, sort, q.order, &q.page, &taken).await?
        }
    };
    Ok(paged(&uri, listing.images, listing.next))
}

/// The form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// One or more photos: JPEG, PNG, WebP or GIF.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    folder_id: Option<String>,
}

/// Upload one or more photos
///
/// Stored and queued for classification. An upload that would take the user past their
/// quota answers 413 with how much room is left.
#[utoipa::path(post, path = "/images", tag = "photos",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored, queued for classification", body = [Image]),
        (status = "default", body = ErrorBody)))]
async fn upload(
    State(uploads): State<Arc<Uploads>>,
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(queue): State<Queue>,
    ApiUser(s): ApiUser,
    multipart: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Vec<Image>>)> {
    let multipart = multipart
        .map_err(|e| Error::bad_request(format!("send the photos as multipart/form-data: {e}")))?;
    let stored = crate::api::multipart::upload_photos(
        &uploads, &db, &storage, &queue, &s.user.id, multipart,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// An image
#[utoipa::path(get, path = "/images/{id}", tag = "photos", params(("id" = String, Path)),
    responses((status = 200, body = Image), (status = "default", body = ErrorBody)))]
async fn get_image(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Image>> {
    Ok(Json(images::get(&db, &s.user.id, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ImageChange {
    /// The folder to move the image into; null for the top level.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, required = true)]
    folder_id: Option<Option<String>>,
}

/// Move an image to another folder
#[utoipa::path(patch, path = "/images/{id}", tag = "photos", params(("id" = String, Path)), request_body = ImageChange,
    responses((status = 200, body = Image), (status = "default", body = ErrorBody)))]
async fn update_image(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ImageChange>,
) -> Result<Json<Image>> {
    let owner = &s.user.id;
    images::get(&db, owner, &id).await?;
    let Some(folder) = body.folder_id else {
        return Err(Error::bad_request(
            "nothing to change: send \"folder_id\" (null for the root)",
        ));
    };
    images::move_to(&db, owner, std::slice::from_ref(&id), folder.as_deref()).await?;
    Ok(Json(images::get(&db, owner, &id).await?))
}

/// Delete an image (to the Trash)
///
/// The photo goes to its owner's Trash (`GET /trash`): out of every listing and search,
/// restorable for `GALLERY_TRASH_DAYS` days, still counted towards the quota.
#[utoipa::path(delete, path = "/images/{id}", tag = "photos", params(("id" = String, Path)),
    responses((status = 204, description = "In the Trash"), (status = "default", body = ErrorBody)))]
async fn delete_image(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    images::delete(&db, &s.user.id, &[id]).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn send(
    db: &Db,
    storage: &Storage,
    owner: &str,
    id: &str,
    variant: Variant,
    headers: &HeaderMap,
) -> Result<Response> {
    let seen = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    Ok(images::download(db, storage, owner, id, variant, seen)
        .await?
        .into_response())
}

/// The original file
#[utoipa::path(get, path = "/images/{id}/original", tag = "photos", params(("id" = String, Path)),
    responses((status = 200, description = "The bytes", content_type = "image/*", body = Vec<u8>),
        (status = 304, description = "The copy the client has is current"),
        (status = 307, description = "A short-lived signed URL"),
        (status = "default", body = ErrorBody)))]
async fn original(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    send(&db, &storage, &s.user.id, &id, Variant::Original, &headers).await
}

/// The thumbnail (JPEG, at most 800 × 400)
#[utoipa::path(get, path = "/images/{id}/thumbnail", tag = "photos", params(("id" = String, Path)),
    responses((status = 200, description = "The bytes", content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "The copy the client has is current"),
        (status = 307, description = "A short-lived signed URL"),
        (status = "default", body = ErrorBody)))]
async fn thumbnail(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    send(&db, &storage, &s.user.id, &id, Variant::Thumbnail, &headers).await
}

/// The viewer's rendition (JPEG, about 2 048 px on the long side; the original for photos
/// stored before renditions were made)
#[utoipa::path(get, path = "/images/{id}/display", tag = "photos", params(("id" = String, Path)),
    responses((status = 200, description = "The bytes", content_type = "image/*", body = Vec<u8>),
        (status = 304, description = "The copy the client has is current"),
        (status = 307, description = "A short-lived signed URL"),
        (status = "default", body = ErrorBody)))]
async fn display(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    send(&db, &storage, &s.user.id, &id, Variant::Display, &headers).await
}

#[derive(Serialize, ToSchema)]
pub struct Queued {
    id: String,
    status: Status,
}

/// Classify an image again
#[utoipa::path(post, path = "/images/{id}/reclassify", tag = "photos", params(("id" = String, Path)),
    responses((status = 202, body = Queued), (status = "default", body = ErrorBody)))]
async fn reclassify(
    State(db): State<Db>,
    State(queue): State<Queue>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Queued>)> {
    images::reclassify(&db, &queue, &s.user.id, std::slice::from_ref(&id)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            id,
            status: Status::Queued,
        }),
    ))
}
