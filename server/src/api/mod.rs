//! The JSON API under `/api/v1` (contract: shared/api.md, document: `openapi.json`).
//! Callers authenticate with a bearer token; errors are `{"error": "…"}` with a 4xx.

mod extract;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::{self, ApiUser, sessions};
use crate::error::{Error, Result};
use crate::images::{self, Order, SortKey, Variant};
use crate::storage::Delivery;
use crate::{folders, jobs, voice};
pub use extract::{ApiJson, ApiQuery, double_option};

type St = State<Arc<AppState>>;

pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let upload_limit = upload_request_limit(&state);
    Router::new()
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
        .route(
            "/images",
            get(list_images)
                .post(upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/images/{id}",
            get(get_image).patch(update_image).delete(delete_image),
        )
        .route("/images/{id}/original", get(original))
        .route("/images/{id}/thumbnail", get(thumbnail))
        .route("/images/{id}/reclassify", post(reclassify))
        .route("/voice/interpret", post(voice_interpret))
        .route("/admin/stats", get(admin_stats))
        .route("/classifier/callback", post(jobs::lambda::callback))
        .fallback(|| async { Error::NotFound })
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
}

async fn signup(
    State(state): St,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<Value>)> {
    let user = auth::sign_up(
        &state.db,
        &body.email,
        &body.password,
        body.display_name.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": user }))))
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(
    State(state): St,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Json<Value>> {
    state.login_limits.check(&body.email, peer.ip())?;
    let user = auth::authenticate(&state.db, &body.email, &body.password).await?;
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
}

async fn list_folders(
    State(state): St,
    ApiUser(s): ApiUser,
    ApiQuery(q): ApiQuery<FolderQuery>,
) -> Result<Json<Vec<folders::Folder>>> {
    let parent = q.parent.as_deref().filter(|p| !p.is_empty());
    Ok(Json(
        folders::children(&state.db, &s.user.id, parent).await?,
    ))
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
}

async fn list_images(
    State(state): St,
    ApiUser(s): ApiUser,
    ApiQuery(q): ApiQuery<ImageQuery>,
) -> Result<Json<Vec<images::Image>>> {
    let folder = q.folder.as_deref().filter(|f| !f.is_empty());
    Ok(Json(match q.q.as_deref() {
        Some(text) => {
            let sort = q.sort.unwrap_or(SortKey::Relevance);
            images::search(&state.db, &s.user.id, folder, text, sort, q.order).await?
        }
        None => {
            let sort = q.sort.unwrap_or_default();
            images::list(&state.db, &s.user.id, folder, sort, q.order).await?
        }
    }))
}

async fn upload(
    State(state): St,
    ApiUser(s): ApiUser,
    multipart: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Vec<images::Image>>)> {
    let multipart = multipart
        .map_err(|e| Error::bad_request(format!("send the photos as multipart/form-data: {e}")))?;
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
pub async fn send_object(
    state: &AppState,
    owner: &str,
    id: &str,
    variant: Variant,
) -> Result<Response> {
    let (key, content_type) = images::object(&state.db, owner, id, variant).await?;
    Ok(match state.storage.deliver(&key).await? {
        Delivery::Stream { body, len } => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_LENGTH, len.to_string()),
                (
                    header::CACHE_CONTROL,
                    "private, max-age=86400, immutable".to_owned(),
                ),
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
) -> Result<Response> {
    send_object(&state, &s.user.id, &id, Variant::Original).await
}

async fn thumbnail(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Response> {
    send_object(&state, &s.user.id, &id, Variant::Thumbnail).await
}

async fn reclassify(
    State(state): St,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>)> {
    images::reclassify(&state, &s.user.id, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "queued" })),
    ))
}

async fn admin_stats(State(state): St, ApiUser(s): ApiUser) -> Result<Json<Value>> {
    if !s.user.is_admin() {
        return Err(Error::Forbidden("only an admin can see this".into()));
    }
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
