//! Classifiers: the gallery's own (the default every folder ends at) and those an admin
//! registers. A registered model is checked before it is accepted (it loads, its input and
//! output are the ones its description names, it classifies a real photo within the time
//! limit, and it gives one value per label), then stored as photos are (files or S3) under
//! `models/ID/` (its description, labels and ONNX file). A folder may name one; its
//! sub-folders inherit it. The local workers and the Lambda read it by that key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use classifier::model::{Class, Description};
use classifier::protocol::ModelRef;
use classifier::{Classifier, Model};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::db::{Db, new_id, now_ms, rfc3339};
use crate::error::{Error, Result};
use crate::spool::Original;
use crate::storage::Storage;

pub mod check;
pub mod registry;

/// How many labels each photo keeps: its top 3.
pub const TOP_K: usize = 3;

/// The id that names the gallery's own model (a folder may name it to stop inheriting).
pub const DEFAULT_ID: &str = "default";

/// The photo every registered model must classify within the time limit.
const CHECK_PHOTO: &[u8] = include_bytes!("../../../classifier-lambda/testdata/chelsea.jpg");

const MAX_NAME_CHARS: usize = 100;
const MAX_LABEL_CHARS: usize = 200;
/// How many models stay loaded in memory (the bytes of each ONNX file).
const KEPT_MODELS: usize = 4;

/// A classifier as the API lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    pub id: String,
    pub name: String,
    /// The gallery's own model, which folders without a choice use.
    pub default: bool,
    /// The side of the square the network sees, in pixels.
    pub input_size: i64,
    /// How many labels it tells apart.
    pub classes: i64,
    /// The size of its ONNX file.
    pub bytes: i64,
    /// Milliseconds it took over the check photo on one core when it was registered.
    pub check_ms: Option<f64>,
    /// When it was registered (none for the gallery's own).
    pub created_at: Option<String>,
}

/// A registered model as the classifier needs it: where it is, and its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub id: String,
    pub name: String,
    /// The folder in storage (`models/ID/`).
    pub key: String,
    pub sha256: String,
    pub bytes: i64,
}

/// One model's answer for one photo, in the viewer's comparison.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Compared {
    pub model_id: String,
    pub model: String,
    pub default: bool,
    pub labels: Vec<classifier::Label>,
    /// Milliseconds to prepare the photo for this model (decode, resize, crop).
    pub prepare_ms: f64,
    /// Milliseconds the network took (one core).
    pub predict_ms: f64,
    /// Why this model gave no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A label as an admin sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelIn {
    name: String,
    #[serde(default)]
    wordnet_id: Option<String>,
}

/// What an admin sends to register a model: the ONNX file (already received, within the
/// size limit), its description and labels as sent.
pub struct Submission {
    pub file: Original,
    pub sha256: String,
    pub description: String,
    pub labels: String,
}

pub struct Registry {
    db: Db,
    storage: Storage,
    /// The gallery's own model, or why it could not be read.
    pub default: std::result::Result<Arc<Model>, String>,
    /// Registered models read from storage, by the SHA-256 of their ONNX file (latest last).
    loaded: Mutex<lru::LruCache<String, Arc<Model>>>,
    /// Sessions for comparisons, by model id: one core each, one comparison at a time.
    sessions: tokio::sync::Mutex<Vec<(String, Classifier)>>,
    comparing: Semaphore,
    checking: Semaphore,
    pub max_bytes: u64,
    pub max_time: Duration,
    pub compare_per_minute: u32,
}

fn row_info(row: ModelRow) -> ModelInfo {
    ModelInfo {
        id: row.0,
        name: row.1,
        default: false,
        input_size: row.2,
        classes: row.3,
        bytes: row.4,
        check_ms: Some(row.5),
        created_at: Some(rfc3339(row.6)),
    }
}

type ModelRow = (String, String, i64, i64, i64, f64, i64);
const MODEL_COLUMNS: &str = "id, name, input_size, classes, bytes, check_ms, created_at";

const REGISTERED: &str = "SELECT id, name, storage_key, sha256, bytes FROM models";
type RegisteredRow = (String, String, String, String, i64);

fn registered((id, name, key, sha256, bytes): RegisteredRow) -> Registered {
    Registered {
        id,
        name,
        key,
        sha256,
        bytes,
    }
}

async fn by_id(db: &Db, id: &str) -> Result<Option<Registered>> {
    let row: Option<RegisteredRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{REGISTERED} WHERE id = $1")))
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(registered))
}

/// Every registered model, oldest first.
async fn all_registered(db: &Db) -> Result<Vec<Registered>> {
    let rows: Vec<RegisteredRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{REGISTERED} ORDER BY created_at, id"
    )))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(registered).collect())
}

/// The registered model that classifies a photo: its folder's choice, else the nearest
/// folder above it that made one; `None` for the gallery's own (no choice, or `default`).
pub async fn for_image(db: &Db, image_id: &str) -> Result<Option<Registered>> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let row: Option<Row> = sqlx::query_as(
        "WITH RECURSIVE chain(id, parent_id, model_id, depth) AS (
                SELECT f.id, f.parent_id, f.model_id, 0
                  FROM folders f JOIN images i ON i.folder_id = f.id AND i.owner_id = f.owner_id
                 WHERE i.id = $1
                UNION ALL
                SELECT f.id, f.parent_id, f.model_id, c.depth + 1
                  FROM folders f JOIN chain c ON f.id = c.parent_id
                 WHERE c.depth < 64
            )
            SELECT m.id, m.name, m.storage_key, m.sha256, m.bytes
              FROM chain c LEFT JOIN models m ON m.id = c.model_id
             WHERE c.model_id IS NOT NULL
             ORDER BY c.depth LIMIT 1",
    )
    .bind(image_id)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((Some(id), Some(name), Some(key), Some(sha256), Some(bytes))) => Some(Registered {
            id,
            name,
            key,
            sha256,
            bytes,
        }),
        _ => None,
    })
}

/// Sets a folder's classifier: a registered model's id, `default` for the gallery's own,
/// or none to inherit its parent's. 400 for a model that does not exist.
pub async fn set_folder_model(
    db: &Db,
    owner: &str,
    folder_id: &str,
    model_id: Option<&str>,
) -> Result<()> {
    if let Some(id) = model_id
        && id != DEFAULT_ID
        && by_id(db, id).await?.is_none()
    {
        return Err(Error::bad_request(format!(
            "there is no model {id:?}: GET /api/v1/models lists them"
        )));
    }
    let changed = sqlx::query("UPDATE folders SET model_id = $1 WHERE id = $2 AND owner_id = $3")
        .bind(model_id)
        .bind(folder_id)
        .bind(owner)
        .execute(db)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The classifier a folder uses, by id, and whether it chose it itself or inherits it.
pub async fn folder_model(db: &Db, owner: &str, folder_id: &str) -> Result<(String, bool)> {
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
        "WITH RECURSIVE chain(id, parent_id, model_id, depth) AS (
            SELECT id, parent_id, model_id, 0 FROM folders WHERE id = $1 AND owner_id = $2
            UNION ALL
            SELECT f.id, f.parent_id, f.model_id, c.depth + 1
              FROM folders f JOIN chain c ON f.id = c.parent_id
             WHERE c.depth < 64 AND f.owner_id = $2
        )
        SELECT model_id, depth FROM chain ORDER BY depth",
    )
    .bind(folder_id)
    .bind(owner)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Err(Error::NotFound);
    }
    let chosen = rows
        .iter()
        .find_map(|(m, depth)| m.clone().map(|m| (m, *depth == 0)));
    let (id, own) = chosen.unwrap_or_else(|| (DEFAULT_ID.to_owned(), false));
    // A model since removed: the gallery's own.
    if id != DEFAULT_ID && by_id(db, &id).await?.is_none() {
        return Ok((DEFAULT_ID.to_owned(), own));
    }
    Ok((id, own))
}
