//! Classifiers on the pages: a folder's choice (and the offer to classify its photos again
//! after a change), the viewer's side-by-side comparison, and an admin's registration.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;

use super::frame::{PageResult, SignedIn, WebAdmin, plural};
use crate::db::Db;
use crate::error::Error;
use crate::jobs::Queue;
use crate::models::{self, Compared, ModelInfo, Registry};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/folders/{id}/classifier", get(chooser).post(choose))
        .route("/folders/{id}/reclassify", post(reclassify))
        .route("/photos/{id}/compare", get(compare))
}

/// The registration form's route: a body as large as a model may be, no deadline.
pub fn uploads(state: &AppState) -> Router<AppState> {
    let limit = usize::try_from(state.models.max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    Router::new().route(
        "/admin/models",
        post(register).layer(DefaultBodyLimit::max(limit)),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "classifier.html")]
struct Chooser {
    folder_id: String,
    models: Vec<ModelInfo>,
    /// The folder's own choice (none: it inherits).
    chosen: Option<String>,
    /// The name of the classifier it uses now.
    using: String,
    /// After a change: how many photos the folder and its sub-folders hold.
    changed: Option<u64>,
    queued: Option<u64>,
}

impl Chooser {
    fn is_chosen(&self, id: &str) -> bool {
        self.chosen.as_deref() == Some(id)
    }

    fn photos(&self, n: &u64) -> String {
        plural(usize::try_from(*n).unwrap_or(0), "photo")
    }
}

async fn chooser_for(
    db: &Db,
    registry: &Registry,
    owner: &str,
    folder_id: &str,
) -> crate::error::Result<Chooser> {
    let folder = crate::folders::owned(db, owner, folder_id).await?;
    let models = registry.list().await?;
    let (using, _) = models::folder_model(db, owner, folder_id).await?;
    let using = models
        .iter()
        .find(|m| m.id == using)
        .map_or_else(|| registry.default_name(), |m| m.name.clone());
    Ok(Chooser {
        folder_id: folder.id,
        models,
        chosen: folder.model_id,
        using,
        changed: None,
        queued: None,
    })
}

async fn chooser(
    State(db): State<Db>,
    State(registry): State<Arc<Registry>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    Ok(chooser_for(&db, &registry, &session.user.id, &id)
        .await?
        .into_response())
}

#[derive(Deserialize)]
struct ChoiceForm {
    #[serde(default)]
    model_id: Option<String>,
}

async fn choose(
    State(db): State<Db>,
    State(registry): State<Arc<Registry>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ChoiceForm>,
) -> PageResult {
    let owner = &session.user.id;
    let choice = super::folders::non_empty(&form.model_id);
    models::set_folder_model(&db, owner, &id, choice).await?;
    let mut page = chooser_for(&db, &registry, owner, &id).await?;
    let contents = crate::folders::contents(&db, owner, &id).await?;
    page.changed = Some(u64::try_from(contents.images).unwrap_or(0));
    Ok(page.into_response())
}

async fn reclassify(
    State(db): State<Db>,
    State(registry): State<Arc<Registry>>,
    State(queue): State<Queue>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let owner = &session.user.id;
    let queued = crate::jobs::reclassify_folder(&db, &queue, owner, &id).await?;
    let mut page = chooser_for(&db, &registry, owner, &id).await?;
    page.queued = Some(queued);
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "compare.html")]
struct Comparison {
    answers: Vec<Compared>,
}

impl Comparison {
    fn percent(&self, score: &f64) -> String {
        format!("{:.0} %", score * 100.0)
    }
}

async fn compare(
    State(registry): State<Arc<Registry>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let answers = registry.compare(&session.user.id, &id).await?;
    Ok(Comparison { answers }.into_response())
}

/// The admin page's registration form, sent by its script (with the CSRF header): the
/// model's file, its description and its labels (a JSON file).
async fn register(
    State(registry): State<Arc<Registry>>,
    State(config): State<Arc<crate::config::Config>>,
    WebAdmin(session): WebAdmin,
    headers: axum::http::HeaderMap,
    multipart: Multipart,
) -> Result<Response, Error> {
    let submission = crate::api::multipart::model_submission(
        &headers,
        multipart,
        registry.max_bytes,
        config.tmp_dir.clone(),
    )
    .await?;
    let info = registry.register(&session.user.id, submission).await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

/// The description the registration form starts with: the shipped model's, as an example.
pub const EXAMPLE_DESCRIPTION: &str = r#"{
  "name": "my-resnet50",
  "input": "data",
  "output": "resnetv17_dense0_fwd",
  "layout": "NCHW",
  "resize": 256,
  "crop": 224,
  "interpolation": "bilinear",
  "mean": [0.485, 0.456, 0.406],
  "std": [0.229, 0.224, 0.225],
  "scale": 1.0,
  "output_kind": "logits"
}"#;
