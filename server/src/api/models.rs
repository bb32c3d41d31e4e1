//! Classifiers: the list, an admin's registration of another, and one photo classified by
//! all of them side by side.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiAdmin, ApiUser, ErrorBody, St};
use crate::error::{Error, Result};
use crate::models::{Compared, ModelInfo, Registry};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_models))
        .routes(routes!(compare))
}

/// The registration route, apart: a model may be large and its check takes a while, so it
/// has its own body limit and no request deadline (its body may not stall).
pub fn uploads(state: &AppState) -> OpenApiRouter<St> {
    let limit = usize::try_from(state.models.max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    OpenApiRouter::new()
        .routes(routes!(register))
        .layer(DefaultBodyLimit::max(limit))
}

/// The classifiers
///
/// The gallery's own (`default`: true, id `default`) first, then those admins registered.
#[utoipa::path(get, path = "/models", tag = "models",
    responses((status = 200, body = [ModelInfo]), (status = "default", body = ErrorBody)))]
async fn list_models(
    State(models): State<Arc<Registry>>,
    ApiUser(_s): ApiUser,
) -> Result<Json<Vec<ModelInfo>>> {
    Ok(Json(models.list().await?))
}

/// The form of a registration.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ModelForm {
    /// The ONNX model.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// JSON: a model folder's `model.json`.
    description: String,
    /// JSON: a list of `{"name", "wordnet_id"?}`, one per output value.
    labels: String,
}

/// Register a classifier (admins)
///
/// Multipart: `file` (the ONNX model), `description` (JSON, as a model folder's
/// `model.json`: name, input, output, layout, resize, crop, interpolation, mean, std,
/// scale, output_kind) and `labels` (a JSON list of `{"name", "wordnet_id"?}`, one per
/// output value). The model is loaded and must classify a photo within the time limit
/// (`GALLERY_MODEL_MAX_MS`, one core) with one value per label: 400 with the reason
/// otherwise; 413 past `GALLERY_MAX_MODEL_BYTES`; 409 for a name in use.
#[utoipa::path(post, path = "/admin/models", tag = "models",
    request_body(content = ModelForm, content_type = "multipart/form-data"),
    responses((status = 201, body = ModelInfo), (status = "default", body = ErrorBody)))]
async fn register(
    State(models): State<Arc<Registry>>,
    State(config): State<Arc<crate::config::Config>>,
    ApiAdmin(s): ApiAdmin,
    headers: axum::http::HeaderMap,
    multipart: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ModelInfo>)> {
    let multipart = multipart.map_err(|e| {
        Error::bad_request(format!(
            "send the model as multipart/form-data (file, description, labels): {e}"
        ))
    })?;
    let submission = super::multipart::model_submission(
        &headers,
        multipart,
        models.max_bytes,
        config.tmp_dir.clone(),
    )
    .await?;
    let info = models.register(&s.user.id, submission).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// One photo classified by every classifier
///
/// Each model's top 3 labels and its time (prepare and predict, one core), side by side.
/// One comparison runs at a time on a server, and an account may make a few a minute.
#[utoipa::path(get, path = "/images/{id}/compare", tag = "models", params(("id" = String, Path)),
    responses((status = 200, body = [Compared]), (status = "default", body = ErrorBody)))]
async fn compare(
    State(models): State<Arc<Registry>>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Compared>>> {
    Ok(Json(models.compare(&s.user.id, &id).await?))
}
