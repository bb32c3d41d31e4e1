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
use crate::images::ingest::Original;
use crate::jobs::{self, Queue};
use crate::storage::Storage;

/// The id that names the gallery's own model (a folder may name it to stop inheriting).
pub const DEFAULT_ID: &str = "default";

/// The photo every registered model must classify within the time limit.
const CHECK_PHOTO: &[u8] = include_bytes!("../../classifier-lambda/testdata/chelsea.jpg");

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

impl Registry {
    pub async fn new(
        db: Db,
        storage: Storage,
        model_dir: Option<std::path::PathBuf>,
        max_bytes: u64,
        max_time: Duration,
    ) -> Self {
        let default = tokio::task::spawn_blocking(move || {
            Model::load(classifier::runtime::model_dir(model_dir)?)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map(Arc::new);
        Self {
            db,
            storage,
            default,
            loaded: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(KEPT_MODELS).expect("not zero"),
            )),
            sessions: tokio::sync::Mutex::new(Vec::new()),
            comparing: Semaphore::new(1),
            checking: Semaphore::new(1),
            max_bytes,
            max_time,
            compare_per_minute: 20,
        }
    }

    /// The gallery's own model as the API lists it.
    pub fn default_info(&self) -> Option<ModelInfo> {
        let model = self.default.as_ref().ok()?;
        Some(ModelInfo {
            id: DEFAULT_ID.into(),
            name: model.description.name.clone(),
            default: true,
            input_size: i64::from(model.description.crop),
            classes: model.labels.len() as i64,
            bytes: model.onnx.len() as i64,
            check_ms: None,
            created_at: None,
        })
    }

    /// The name of the gallery's own model (for photos it labelled).
    pub fn default_name(&self) -> String {
        self.default.as_ref().map_or_else(
            |_| classifier::runtime::DEFAULT_MODEL.to_owned(),
            |m| m.description.name.clone(),
        )
    }

    /// Every classifier: the gallery's own first, then the registered ones, oldest first.
    pub async fn list(&self) -> Result<Vec<ModelInfo>> {
        let rows: Vec<ModelRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLUMNS} FROM models ORDER BY created_at, id"
        )))
        .fetch_all(&self.db)
        .await?;
        Ok(self
            .default_info()
            .into_iter()
            .chain(rows.into_iter().map(row_info))
            .collect())
    }

    /// Registers a model once it has passed every check; 400 with the reason otherwise.
    pub async fn register(&self, admin_id: &str, submission: Submission) -> Result<ModelInfo> {
        let mut description: Description = serde_json::from_str(&submission.description)
            .map_err(|e| {
                Error::bad_request(format!(
                    "the description is not valid (it is a model.json: name, input, output, layout, resize, crop, interpolation, mean, std, scale, output_kind): {e}"
                ))
            })?;
        let name = description.name.trim().to_owned();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(Error::bad_request(format!(
                "the model's name must be 1 to {MAX_NAME_CHARS} characters, without control characters"
            )));
        }
        description
            .check()
            .map_err(|e| Error::bad_request(format!("the description cannot be used: {e}")))?;
        let labels = parse_labels(&submission.labels)?;
        if self.default_name().eq_ignore_ascii_case(&name) || self.named(&name).await?.is_some() {
            return Err(Error::Conflict(format!("a model named {name:?} exists")));
        }
        let bytes = submission.file.len();
        if bytes == 0 {
            return Err(Error::bad_request("the model file is empty"));
        }
        let onnx: Arc<[u8]> = match &submission.file {
            Original::Memory(b) => b.to_vec().into(),
            Original::File { path, .. } => tokio::fs::read(path)
                .await
                .map_err(|e| Error::Internal(e.into()))?
                .into(),
        };
        description.name = name.clone();
        description.model = "model.onnx".into();
        description.labels = "labels.json".into();
        description.sha256 = Some(submission.sha256.clone());

        // One check at a time: each loads a whole model and runs it.
        let _checking = self.checking.try_acquire().map_err(|_| Error::Busy {
            message: "another model is being checked; try again in a moment".into(),
            retry_after_secs: 5,
        })?;
        let max_time = self.max_time;
        let check_ms = {
            let description = description.clone();
            let labels = labels.clone();
            tokio::task::spawn_blocking(move || check(description, labels, onnx, max_time))
                .await
                .map_err(|e| Error::Internal(e.into()))?
                .map_err(Error::bad_request)?
        };

        let id = new_id();
        let key = format!("models/{id}/");
        let put = async {
            let json = |v: serde_json::Result<Vec<u8>>| Bytes::from(v.unwrap_or_default());
            let described = json(serde_json::to_vec_pretty(&description));
            self.storage
                .put(
                    &format!("{key}{}", ModelRef::DESCRIPTION),
                    described,
                    "application/json",
                )
                .await?;
            let named = json(serde_json::to_vec(&labels));
            self.storage
                .put(
                    &format!("{key}{}", ModelRef::LABELS),
                    named,
                    "application/json",
                )
                .await?;
            match &submission.file {
                Original::Memory(b) => {
                    self.storage
                        .put(
                            &format!("{key}{}", ModelRef::ONNX),
                            b.clone(),
                            "application/octet-stream",
                        )
                        .await
                }
                Original::File { path, len } => {
                    self.storage
                        .put_file(
                            &format!("{key}{}", ModelRef::ONNX),
                            path,
                            *len,
                            "application/octet-stream",
                        )
                        .await
                }
            }
        };
        let objects =
            [ModelRef::DESCRIPTION, ModelRef::LABELS, ModelRef::ONNX].map(|f| format!("{key}{f}"));
        if let Err(err) = put.await {
            crate::storage::delete_all(&self.storage, objects).await;
            return Err(Error::Internal(anyhow::anyhow!(
                "cannot store the model: {err}"
            )));
        }
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO models (id, name, description, input_size, classes, bytes, sha256, storage_key, check_ms, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(&name)
        .bind(serde_json::to_string(&description).map_err(|e| Error::Internal(e.into()))?)
        .bind(i64::from(description.crop))
        .bind(labels.len() as i64)
        .bind(bytes as i64)
        .bind(&submission.sha256)
        .bind(&key)
        .bind(check_ms)
        .bind(admin_id)
        .bind(now)
        .execute(&self.db)
        .await;
        if let Err(err) = inserted {
            crate::storage::delete_all(&self.storage, objects).await;
            if let sqlx::Error::Database(db) = &err
                && db.is_unique_violation()
            {
                return Err(Error::Conflict(format!("a model named {name:?} exists")));
            }
            return Err(err.into());
        }
        tracing::info!(model = %name, id = %id, bytes, check_ms, "model registered");
        Ok(ModelInfo {
            id,
            name,
            default: false,
            input_size: i64::from(description.crop),
            classes: labels.len() as i64,
            bytes: bytes as i64,
            check_ms: Some(check_ms),
            created_at: Some(rfc3339(now)),
        })
    }

    async fn named(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_as::<_, (String,)>("SELECT id FROM models WHERE lower(name) = lower($1)")
                .bind(name)
                .fetch_optional(&self.db)
                .await?
                .map(|(id,)| id),
        )
    }

    /// A registered model, read from storage once and then kept (the last few).
    pub async fn load(&self, model: &Registered) -> std::result::Result<Arc<Model>, String> {
        let kept = self
            .loaded
            .lock()
            .ok()
            .and_then(|mut kept| kept.get(&model.sha256).cloned());
        if let Some(found) = kept {
            return Ok(found);
        }
        let read = |name: &'static str| async move {
            self.storage
                .get(&format!("{}{name}", model.key))
                .await
                .map_err(|e| format!("the model {} could not be read: {e}", model.name))
        };
        let description = read(ModelRef::DESCRIPTION).await?;
        let labels = read(ModelRef::LABELS).await?;
        let onnx = read(ModelRef::ONNX).await?;
        let broken = |e: String| format!("the model {} is broken: {e}", model.name);
        let mut description: Description =
            serde_json::from_slice(&description).map_err(|e| broken(e.to_string()))?;
        description.sha256 = Some(model.sha256.clone());
        let labels: Vec<Class> =
            serde_json::from_slice(&labels).map_err(|e| broken(e.to_string()))?;
        let loaded = Arc::new(
            Model::from_parts(description, labels, onnx.to_vec().into())
                .map_err(|e| broken(e.to_string()))?,
        );
        if let Ok(mut kept) = self.loaded.lock() {
            kept.put(model.sha256.clone(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Every classifier's top labels for an owner's photo (from its viewer's rendition, or
    /// the original for photos stored before renditions were made), with each one's time:
    /// one comparison at a time on this server, a few per account and minute.
    pub async fn compare(&self, owner: &str, image_id: &str) -> Result<Vec<Compared>> {
        let key: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT object_key, display_key FROM images WHERE owner_id = $1 AND id = $2",
        )
        .bind(owner)
        .bind(image_id)
        .fetch_optional(&self.db)
        .await?;
        let (original, display) = key.ok_or(Error::NotFound)?;
        crate::auth::limits::hit(
            &self.db,
            crate::auth::limits::Subject::Comparison(owner),
            crate::auth::limits::Rate::per_minute(self.compare_per_minute),
        )
        .await?;
        let busy = || Error::Busy {
            message: "other comparisons are running; try again in a moment".into(),
            retry_after_secs: 2,
        };
        let _slot = tokio::time::timeout(Duration::from_secs(10), self.comparing.acquire())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let photo: Bytes = self
            .storage
            .get(display.as_deref().unwrap_or(&original))
            .await
            .map_err(|e| Error::Unavailable(format!("the photo could not be read: {e}")))?;
        let mut models: Vec<(String, bool, std::result::Result<Arc<Model>, String>)> = Vec::new();
        models.push((DEFAULT_ID.into(), true, self.default.clone()));
        for registered in all_registered(&self.db).await? {
            let model = self.load(&registered).await;
            models.push((registered.id, false, model));
        }
        let mut sessions = self.sessions.lock().await;
        let mut kept = std::mem::take(&mut *sessions);
        let (answers, kept) = tokio::task::spawn_blocking(move || {
            let answers: Vec<Compared> = models
                .into_iter()
                .map(|(id, default, model)| compare_one(&mut kept, id, default, model, &photo))
                .collect();
            (answers, kept)
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?;
        *sessions = kept;
        Ok(answers)
    }
}

/// Runs one model over the photo with a session kept from an earlier comparison.
fn compare_one(
    kept: &mut Vec<(String, Classifier)>,
    id: String,
    default: bool,
    model: std::result::Result<Arc<Model>, String>,
    photo: &[u8],
) -> Compared {
    let mut answer = Compared {
        model_id: id.clone(),
        model: id.clone(),
        default,
        labels: Vec::new(),
        prepare_ms: 0.0,
        predict_ms: 0.0,
        error: None,
    };
    let model = match model {
        Ok(model) => model,
        Err(reason) => {
            answer.error = Some(reason);
            return answer;
        }
    };
    answer.model = model.description.name.clone();
    // A session of another version of this id (never: ids are not reused) or of a model
    // no longer kept is made again.
    let at = kept
        .iter()
        .position(|(k, c)| *k == id && std::ptr::eq(c.model(), &*model));
    let at = match at {
        Some(at) => at,
        None => match Classifier::new(model.clone(), 1) {
            Ok(session) => {
                kept.retain(|(k, _)| *k != id);
                kept.push((id, session));
                kept.len() - 1
            }
            Err(err) => {
                answer.error = Some(err.to_string());
                return answer;
            }
        },
    };
    let session = &mut kept[at].1;
    let started = Instant::now();
    let input = match Classifier::prepare(&model, photo) {
        Ok(input) => input,
        Err(err) => {
            answer.error = Some(err.to_string());
            return answer;
        }
    };
    answer.prepare_ms = ms(started);
    let started = Instant::now();
    match session.predict_top_k(input, jobs::worker::TOP_K) {
        Ok(labels) => answer.labels = labels,
        Err(err) => answer.error = Some(err.to_string()),
    }
    answer.predict_ms = ms(started);
    answer
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

/// Loads a submitted model and classifies the check photo with it on one core: the
/// milliseconds it took, or why it is refused.
fn check(
    description: Description,
    labels: Vec<Class>,
    onnx: Arc<[u8]>,
    max_time: Duration,
) -> std::result::Result<f64, String> {
    {
        let model = Arc::new(
            Model::from_parts(description, labels, onnx)
                .map_err(|e| format!("the model cannot be used: {e}"))?,
        );
        let mut session = Classifier::new(model.clone(), 1).map_err(|e| {
            format!(
                "the file is not an ONNX model that ONNX Runtime can load: {}",
                e.to_string().trim_start_matches("cannot load the model ")
            )
        })?;
        session
            .check_names()
            .map_err(|e| format!("the description does not fit the model: {e}"))?;
        let input = Classifier::prepare(&model, CHECK_PHOTO)
            .map_err(|e| format!("the check photo could not be prepared: {e}"))?;
        let (_, took) = session
            .predict_within(input, 3, max_time)
            .map_err(|e| format!("the model failed its check: {e}"))?;
        Ok((took.as_secs_f64() * 100_000.0).round() / 100.0)
    }
}

/// The labels as sent: a JSON list of `{"name", "wordnet_id"?}`.
fn parse_labels(text: &str) -> Result<Vec<Class>> {
    let labels: Vec<LabelIn> = serde_json::from_str(text).map_err(|e| {
        Error::bad_request(format!(
            "the labels must be a JSON list of {{\"name\", \"wordnet_id\"?}}: {e}"
        ))
    })?;
    if labels.is_empty() || labels.len() > classifier::model::MAX_CLASSES {
        return Err(Error::bad_request(format!(
            "a model needs between 1 and {} labels, not {}",
            classifier::model::MAX_CLASSES,
            labels.len()
        )));
    }
    labels
        .into_iter()
        .enumerate()
        .map(|(n, label)| {
            let name = label.name.trim().to_owned();
            if name.is_empty()
                || name.chars().count() > MAX_LABEL_CHARS
                || name.chars().any(char::is_control)
            {
                return Err(Error::bad_request(format!(
                    "label {n}: a name must be 1 to {MAX_LABEL_CHARS} characters, without control characters"
                )));
            }
            let wnid = label.wordnet_id.unwrap_or_default();
            let plain_wnid = wnid.len() == 9
                && wnid.starts_with('n')
                && wnid[1..].bytes().all(|b| b.is_ascii_digit());
            if !wnid.is_empty() && !plain_wnid {
                return Err(Error::bad_request(format!(
                    "label {n}: a WordNet id is n and 8 digits (such as n02124075), not {wnid:?}"
                )));
            }
            Ok(Class {
                name,
                wnid,
                synonyms: Vec::new(),
            })
        })
        .collect()
}

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

/// Queues every photo of a folder and its sub-folders for classification again (from the
/// original, with the classifier each folder uses now). How many were queued.
pub async fn reclassify_folder(
    db: &Db,
    queue: &Queue,
    owner: &str,
    folder_id: &str,
) -> Result<u64> {
    crate::folders::get(db, owner, folder_id).await?;
    let ids: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} SELECT id FROM images WHERE owner_id = $2 AND folder_id IN (SELECT id FROM subtree)",
        crate::folders::SUBTREE
    )))
    .bind(folder_id)
    .bind(owner)
    .fetch_all(db)
    .await?;
    let ids: Vec<String> = ids.into_iter().map(|(id,)| id).collect();
    for chunk in ids.chunks(500) {
        let mut tx = db.begin().await?;
        let sql = format!(
            "UPDATE images SET status = 'queued', status_detail = NULL WHERE owner_id = $1 AND id IN ({})",
            crate::db::placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
        jobs::enqueue_many(&mut tx, chunk, now_ms(), jobs::Source::Original).await?;
        tx.commit().await?;
    }
    if !ids.is_empty() {
        queue.wake();
    }
    Ok(ids.len() as u64)
}

/// The most a description or a label list may hold.
const MAX_TEXT_BYTES: usize = 16 << 20;

/// Reads a registration form (`file`, `description`, `labels`), the file into a temporary
/// file as it streams in. A file past the size limit is a 413, answered after the rest of
/// the body so that the client reads the answer rather than a reset connection.
pub async fn read_form(
    mut multipart: axum::extract::Multipart,
    max_bytes: u64,
    tmp_dir: Option<std::path::PathBuf>,
) -> Result<Submission> {
    let (mut file, mut description, mut labels) = (None, None, None);
    let mut refusal = None;
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().map(str::to_owned);
        match name.as_deref() {
            Some("file") if refusal.is_none() => {
                let mut data = crate::images::ingest::Spool::new(tmp_dir.clone());
                while let Some(chunk) = field.chunk().await? {
                    if data.len() + chunk.len() as u64 > max_bytes {
                        refusal = Some(Error::TooLarge(format!(
                            "the model is larger than the {max_bytes} bytes a model may have"
                        )));
                        break;
                    }
                    data.write(&chunk)
                        .await
                        .map_err(|e| Error::Internal(e.into()))?;
                }
                if refusal.is_none() {
                    file = Some(data.finish().await.map_err(|e| Error::Internal(e.into()))?);
                }
            }
            Some(which @ ("description" | "labels")) if refusal.is_none() => {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await? {
                    if value.len() + chunk.len() > MAX_TEXT_BYTES {
                        return Err(Error::bad_request(format!(
                            "the {which} field is too long (at most {MAX_TEXT_BYTES} bytes)"
                        )));
                    }
                    value.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(value)
                    .map_err(|_| Error::bad_request(format!("the {which} field is not text")))?;
                if which == "description" {
                    description = Some(text);
                } else {
                    labels = Some(text);
                }
            }
            _ => while field.chunk().await?.is_some() {},
        }
    }
    if let Some(refusal) = refusal {
        return Err(refusal);
    }
    let missing = |what: &str| Error::bad_request(format!("the form has no {what}"));
    let file = file
        .filter(|f| !f.original.is_empty())
        .ok_or_else(|| missing("file (the ONNX model)"))?;
    Ok(Submission {
        sha256: file.sha256,
        file: file.original,
        description: description
            .filter(|d| !d.trim().is_empty())
            .ok_or_else(|| missing("description"))?,
        labels: labels
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| missing("labels"))?,
    })
}

/// 413 at once for a request that says it is larger than any registration may be (a
/// client that waits for `100 Continue` then sends nothing).
pub fn check_length(headers: &axum::http::HeaderMap, max_bytes: u64) -> Result<()> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max_bytes.saturating_add(1 << 20) => Err(Error::TooLarge(format!(
            "the model is larger than the {max_bytes} bytes a model may have"
        ))),
        _ => Ok(()),
    }
}
