//! The registry of classifiers: registering (checked first), listing, removing, loading
//! them for the workers, and comparing every model on one photo.

use super::check::*;
use super::*;

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
            tokio::task::spawn_blocking(move || check_model(description, labels, onnx, max_time))
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
