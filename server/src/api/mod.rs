//! The JSON API under `/api/v1` (contract: shared/api.md, document: `openapi.json`).
//! Callers authenticate with a bearer token; errors are `{"error": "…"}` with a 4xx.

mod extract;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Multipart, OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::timeout::TimeoutLayer;

use crate::app::AppState;
use crate::auth::{self, ApiAdmin, ApiUser, sessions};
use crate::error::{Error, Result};
use crate::images::{self, Order, SortKey, Variant};
use crate::net::ClientIp;
use crate::paging::{self, PageQuery};
use crate::storage::Delivery;
use crate::{folders, jobs, voice};
pub use extract::{ApiJson, ApiQuery, double_option};

type St = State<Arc<AppState>>;

pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let upload_limit = upload_request_limit(&state);
    let deadline = Duration::from_secs(state.config.request_timeout_secs.max(1));
    let timed = Router::new()
        .route("/openapi.json", get(openapi))
        .route("/auth/signup", post(signup))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/folders", get(list_folders).post(create_folder))
        .route(
            "/folders/{id}",
            get(get_folder).patch(update_folder).delete(delete_folder),
        )
        .route("/images", get(list_images))
        .route(
            "/images/{id}",
            get(get_image).patch(update_image).delete(delete_image),
        )
        .route("/images/{id}/original", get(original))
        .route("/images/{id}/thumbnail", get(thumbnail))
        .route("/images/{id}/reclassify", post(reclassify))
        .route("/voice/interpret", post(voice_interpret))
        .route("/admin/stats", get(admin_stats))
        .route("/admin/jobs", get(admin_jobs))
        .route(
            "/admin/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route("/admin/invitations/{id}", delete(revoke_invitation))
        .route("/classifier/callback", post(jobs::lambda::callback))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        ));
    // An upload takes as long as the client needs to send it; its body may not stall.
    let uploads = Router::new().route(
        "/images",
        post(upload).layer(DefaultBodyLimit::max(upload_limit)),
    );
    timed.merge(uploads).fallback(|| async { Error::NotFound })
}

/// One request may carry several files, each up to the per-file limit.
pub fn upload_request_limit(state: &AppState) -> usize {
    state
        .config
        .max_upload_bytes
        .saturating_mul(8)
        .saturating_add(1 << 20)
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../openapi.json"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SignUp {
    email: String,
    password: String,
    display_name: Option<String>,
    invite: Option<String>,
}

async fn signup(
    State(state): St,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<Value>)> {
    let form = auth::SignUp {
        email: &body.email,
        password: &body.password,
        display_name: body.display_name.as_deref(),
        invite: body.invite.as_deref(),
    };
    let user = auth::sign_up(&state.db, &state.config, form, client).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": user }))))
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(
    State(state): St,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<Login>,
) -> Result<Json<Value>> {
    let user = auth::sign_in(
        &state.db,
        &state.config,
        &body.email,
        &body.password,
        client,
    )
    .await?;
    let token = sessions::create(
        &state.db,
        &user.id,
        sessions::Kind::Api,
        state.config.session_hours,
    )
    .await?;
    Ok(Json(json!({ "token": token, "user": user })))
}

async fn logout(State(state): St, ApiUser(session): ApiUser) -> Result<StatusCode> {
    sessions::end(&state.db, &session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(ApiUser(session): ApiUser) -> Json<auth::User> {
    Json(session.user)
}

#[derive(Deserialize)]
struct FolderQuery {
    parent: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// A page of a listing: the items, with a `Link` to the next page when there is one.
fn paged<T: serde::Serialize>(uri: &OriginalUri, items: Vec<T>, next: Option<String>) -> Response {
    let mut response = Json(items).into_response();
    if let Some(cursor) = next {
        let link = paging::next_link(uri.path(), uri.query(), &cursor);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

async fn list_folders(
    State(state): St,
    ApiUser(s): ApiUser,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<FolderQuery>,
) -> Result<Response> {
    let parent = q.parent.as_deref().filter(|p| !p.is_empty());
    let (folders, next) = folders::children(&state.db, &s.user.id, parent, &q.page).await?;
    Ok(paged(&uri, folders, next))
}

#[derive(Deserialize)]
struct NewFolder {
    name: String,
    parent_id: Option<String>,
}

async fn create_folder(
    State(state): St,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<NewFolder>,
) -> Result<(StatusCode, Json<folders::Folder>)> {
    let folder =
        folders::create(&state.db, &s.user.id, &body.name, body.parent_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(folder)))
}

async fn get_folder(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<folders::Folder>> {
    Ok(Json(folders::get(&state.db, &s.user.id, &id).await?))
}

#[derive(Deserialize)]
struct FolderChange {
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    parent_id: Option<Option<String>>,
}

async fn update_folder(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FolderChange>,
) -> Result<Json<folders::Folder>> {
    let owner = &s.user.id;
    let mut folder = folders::get(&state.db, owner, &id).await?;
    if body.name.is_none() && body.parent_id.is_none() {
        return Err(Error::bad_request(
            "nothing to change: send \"name\" and/or \"parent_id\"",
        ));
    }
    if let Some(name) = &body.name {
        folders::clean_name(name)?;
    }
    if let Some(parent) = &body.parent_id {
        folder = folders::move_to(&state.db, owner, &id, parent.as_deref()).await?;
    }
    if let Some(name) = &body.name {
        folder = folders::rename(&state.db, owner, &id, name).await?;
    }
    Ok(Json(folder))
}

async fn delete_folder(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    folders::delete(&state.db, &state.storage, &s.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ImageQuery {
    folder: Option<String>,
    q: Option<String>,
    sort: Option<SortKey>,
    #[serde(default)]
    order: Order,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list_images(
    State(state): St,
    ApiUser(s): ApiUser,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<ImageQuery>,
) -> Result<Response> {
    let folder = q.folder.as_deref().filter(|f| !f.is_empty());
    let listing = match q.q.as_deref() {
        Some(text) => {
            let sort = q.sort.unwrap_or(SortKey::Relevance);
            images::search(&state.db, &s.user.id, folder, text, sort, q.order, &q.page).await?
        }
        None => {
            let sort = q.sort.unwrap_or_default();
            images::list(&state.db, &s.user.id, folder, sort, q.order, &q.page).await?
        }
    };
    Ok(paged(&uri, listing.images, listing.next))
}

async fn upload(
    State(state): St,
    ApiUser(s): ApiUser,
    multipart: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Vec<images::Image>>)> {
    let multipart = multipart
        .map_err(|e| Error::bad_request(format!("send the photos as multipart/form-data: {e}")))?;
    if let Err(full) = images::ingest::check_room(&state, &s.user.id).await {
        images::upload::discard(multipart).await;
        return Err(full);
    }
    let form = images::upload::read(multipart, state.upload_policy(), &state.decode_slots).await?;
    let stored =
        images::ingest::store(&state, &s.user.id, form.folder_id.as_deref(), form.files).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn get_image(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<images::Image>> {
    Ok(Json(images::get(&state.db, &s.user.id, &id).await?))
}

#[derive(Deserialize)]
struct ImageChange {
    #[serde(default, deserialize_with = "double_option")]
    folder_id: Option<Option<String>>,
}

async fn update_image(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ImageChange>,
) -> Result<Json<images::Image>> {
    let owner = &s.user.id;
    images::get(&state.db, owner, &id).await?;
    let Some(folder) = body.folder_id else {
        return Err(Error::bad_request(
            "nothing to change: send \"folder_id\" (null for the root)",
        ));
    };
    images::move_to(
        &state.db,
        owner,
        std::slice::from_ref(&id),
        folder.as_deref(),
    )
    .await?;
    Ok(Json(images::get(&state.db, owner, &id).await?))
}

async fn delete_image(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    images::delete(&state.db, &state.storage, &s.user.id, &[id]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends an owner's original or thumbnail, streamed or as a redirect to a signed URL.
///
/// Browsers keep them only privately: an original is checked with the server each time it
/// is shown again (a 304 when unchanged, so nothing is sent twice), so that after signing
/// out it is not shown from the cache; a thumbnail for ten minutes. Sign-out also asks the
/// browser to clear its cache.
pub async fn send_object(
    state: &AppState,
    owner: &str,
    id: &str,
    variant: Variant,
    request: &HeaderMap,
) -> Result<Response> {
    let (key, content_type) = images::object(&state.db, owner, id, variant).await?;
    // Keys are random and an object never changes under its key.
    let etag = format!("\"{}\"", key.rsplit('/').next().unwrap_or(&key));
    let cache = match variant {
        Variant::Original => "private, no-cache",
        Variant::Thumbnail => "private, max-age=600",
    };
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
        )
            .into_response());
    }
    Ok(match state.storage.deliver(&key).await? {
        Delivery::Stream { body, len } => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_LENGTH, len.to_string()),
                (header::CACHE_CONTROL, cache.to_owned()),
                (header::ETAG, etag),
            ],
            body,
        )
            .into_response(),
        Delivery::Redirect(url) => Redirect::temporary(&url).into_response(),
    })
}

async fn original(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    send_object(&state, &s.user.id, &id, Variant::Original, &headers).await
}

async fn thumbnail(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    send_object(&state, &s.user.id, &id, Variant::Thumbnail, &headers).await
}

async fn reclassify(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>)> {
    images::reclassify(&state, &s.user.id, std::slice::from_ref(&id)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "queued" })),
    ))
}

async fn admin_stats(State(state): St, ApiAdmin(_): ApiAdmin) -> Result<Json<Value>> {
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&state.db)
        .await?;
    let (images, bytes): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM images")
            .fetch_one(&state.db)
            .await?;
    let jobs: BTreeMap<String, i64> = jobs::counts_by_state(&state.db)
        .await?
        .into_iter()
        .collect();
    Ok(Json(
        json!({ "users": users, "images": images, "bytes": bytes, "jobs": jobs }),
    ))
}

#[derive(Deserialize)]
struct JobQuery {
    status: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// Recent jobs, newest first, with the full reason of each failure (which the photo's
/// owner sees only in plain words).
async fn admin_jobs(
    State(state): St,
    ApiAdmin(_): ApiAdmin,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Response> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let (list, next) = jobs::recent(&state.db, status, &q.page).await?;
    Ok(paged(&uri, list, next))
}

#[derive(Deserialize)]
struct NewInvitation {
    note: Option<String>,
    days: Option<i64>,
}

async fn create_invitation(
    State(state): St,
    ApiAdmin(admin): ApiAdmin,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<Value>)> {
    let (invitation, token) = auth::invitations::create(
        &state.db,
        Some(&admin.user.id),
        body.note.as_deref(),
        body.days.unwrap_or(7),
    )
    .await?;
    let path = auth::invitations::signup_path(&token);
    let url = match &state.config.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({ "invitation": invitation, "token": token, "url": url })),
    ))
}

async fn list_invitations(
    State(state): St,
    ApiAdmin(_): ApiAdmin,
) -> Result<Json<Vec<auth::invitations::Invitation>>> {
    Ok(Json(
        auth::invitations::list(&state.db, paging::MAX_LIMIT as i64).await?,
    ))
}

async fn revoke_invitation(
    State(state): St,
    ApiAdmin(_): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    auth::invitations::revoke(&state.db, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct VoiceText {
    text: String,
}

async fn voice_interpret(
    State(state): St,
    ApiUser(_): ApiUser,
    ApiJson(body): ApiJson<VoiceText>,
) -> Result<Json<voice::Interpreted>> {
    let i = voice::interpret(&state, &body.text).await?;
    let say = voice::say(&i);
    Ok(Json(voice::Interpreted {
        intent: i.intent,
        confidence: i.confidence,
        slots: i.slots,
        say,
    }))
}
