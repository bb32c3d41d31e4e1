//! What the running server holds, made once at start-up from the configuration. Handlers
//! take the parts they need through axum's `FromRef`; the domain modules get them as
//! plain arguments and know nothing of this struct.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::HeaderValue;
use tokio::sync::Semaphore;

use crate::admin::dashboard::System;
use crate::auth::oidc::Oidc;
use crate::auth::passkeys::Passkeys;
use crate::config::{Config, StorageKind};
use crate::db::{self, Db};
use crate::export::Exports;
use crate::images::decode::Policy;
use crate::images::upload::Uploads;
use crate::jobs::Queue;
use crate::jobs::lambda::Receiver;
use crate::mail::Mailer;
use crate::models::Registry;
use crate::net::TrustedProxies;
use crate::storage::{FsStore, S3Store, Storage};
use crate::transcription::Transcriber;
use crate::voice::Voice;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub storage: Storage,
    pub queue: Queue,
    pub trusted_proxies: TrustedProxies,
    pub uploads: Arc<Uploads>,
    pub voice: Arc<Voice>,
    /// Speech recognised on this server, for pages and clients that send recordings.
    pub transcriber: Arc<Transcriber>,
    /// The Content-Security-Policy of every answer (images may come from S3).
    pub csp: HeaderValue,
    /// The OpenID Connect provider, when configured (set once the address is known).
    pub oidc: Arc<OnceLock<Oidc>>,
    /// What takes the classifier Lambda's callbacks (set when it is the classifier).
    pub callbacks: Arc<OnceLock<Receiver>>,
    /// What this server knows of itself, for the dashboard and its heartbeat.
    pub system: Arc<System>,
    /// The classifiers: the gallery's own and the registered ones.
    pub models: Arc<Registry>,
    /// The places for ZIP downloads being made.
    pub exports: Exports,
    /// The gallery's mail: the outbox's sender, and where its links point.
    pub mailer: Arc<Mailer>,
    /// The gallery as a WebAuthn relying party (set once the address is known).
    pub passkeys: Arc<OnceLock<Passkeys>>,
}

impl AppState {
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let trusted_proxies = TrustedProxies(Arc::new(config.trusted_proxies()?));
        onnx_runtime::use_library(config.ort_library.clone());
        let db = db::connect(&config.database_url).await?;
        let broken = crate::folders::repair_loops(&db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot check the folders for loops: {e}"))?;
        if broken > 0 {
            tracing::warn!(loops = broken, "folder loops were found and broken");
        }
        let (storage, image_origin) = open_storage(&config).await?;
        config.classifier_mode()?;
        let system = System::of(&config, storage_description(&config));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let intent_model = config.intent_model_dir.clone();
        let voice = tokio::task::spawn_blocking(move || Voice::load(intent_model)).await?;
        crate::everyday::warm_up().await;
        let queue = Queue::new(
            db.clone(),
            db::Backend::of_url(&config.database_url)?,
            Duration::from_millis(config.job_poll_ms),
            config.job_lease_secs.saturating_mul(1000),
            config.retry_base_ms,
        );
        let uploads = Uploads {
            policy: Policy {
                max_bytes: config.max_upload_bytes,
                max_pixels: config.max_image_pixels,
                tmp_dir: config.tmp_dir.clone(),
                sizing: classifier_sizing(&config),
            },
            decode_slots: Semaphore::new(cores),
            default_quota: config.default_quota_bytes,
        };
        let models = Registry::new(
            db.clone(),
            storage.clone(),
            config.model_dir.clone(),
            config.max_model_bytes,
            Duration::from_millis(config.model_max_ms.max(1)),
        )
        .await;
        Ok(Self {
            mailer: Arc::new(Mailer::new(&config)?),
            passkeys: Arc::new(OnceLock::new()),
            models: Arc::new(models),
            exports: Exports::new(config.max_exports as usize),
            csp: content_security_policy(image_origin.as_deref()),
            queue,
            voice: Arc::new(voice),
            transcriber: Arc::new(Transcriber::new(&config)),
            oidc: Arc::new(OnceLock::new()),
            callbacks: Arc::new(OnceLock::new()),
            trusted_proxies,
            system: Arc::new(system),
            uploads: Arc::new(uploads),
            config: Arc::new(config),
            db,
            storage,
        })
    }

    /// One request may carry several files, each up to the per-file limit.
    pub fn upload_request_limit(&self) -> usize {
        self.config
            .max_upload_bytes
            .saturating_mul(8)
            .saturating_add(1 << 20)
    }
}

/// How the classifier sizes photos, from its model folder's description (the Lambda's
/// model is the same folder deployed); the shipped models' sizing when it cannot be read.
fn classifier_sizing(config: &Config) -> classifier::preprocess::Sizing {
    use classifier::preprocess::Sizing;
    let dir = classifier::runtime::model_dir(config.model_dir.clone());
    match dir.and_then(|dir| classifier::model::Description::read(&dir)) {
        Ok(description) => Sizing::of(&description),
        Err(err) => {
            tracing::debug!(%err, "no model description; the classifier's renditions are sized as the shipped models size photos");
            Sizing::DEFAULT
        }
    }
}

/// The store of `GALLERY_STORAGE`, and the origin browsers fetch its photos from (S3).
pub async fn open_storage(config: &Config) -> anyhow::Result<(Storage, Option<String>)> {
    Ok(match config.storage_kind()? {
        StorageKind::Fs(root) => {
            let store = FsStore::open(&root).map_err(|e| {
                anyhow::anyhow!("cannot use {} for image storage: {e}", root.display())
            })?;
            (Arc::new(store) as Storage, None)
        }
        StorageKind::S3(url) => {
            let store =
                S3Store::connect(&url, config.s3_endpoint.as_deref(), config.s3_path_style).await?;
            let origin = store.origin.clone();
            (Arc::new(store) as Storage, Some(origin))
        }
    })
}

fn storage_description(config: &Config) -> String {
    match config.storage_kind() {
        Ok(StorageKind::Fs(path)) => format!("files in {}", path.display()),
        Ok(StorageKind::S3(url)) => format!("S3 at {url}"),
        Err(_) => config.storage.clone(),
    }
}

fn content_security_policy(image_origin: Option<&str>) -> HeaderValue {
    let images = image_origin.map_or_else(String::new, |o| format!(" {o}"));
    let policy = format!(
        "default-src 'self'; img-src 'self' data: blob:{images}; style-src 'self'; script-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

macro_rules! parts {
    ($($part:ty => $field:ident),* $(,)?) => {
        $(impl FromRef<AppState> for $part {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        })*
    };
}

parts! {
    Arc<Config> => config,
    Db => db,
    Storage => storage,
    Queue => queue,
    TrustedProxies => trusted_proxies,
    Arc<Uploads> => uploads,
    Arc<Voice> => voice,
    Arc<Transcriber> => transcriber,
    Arc<OnceLock<Oidc>> => oidc,
    Arc<OnceLock<Receiver>> => callbacks,
    Arc<System> => system,
    Arc<Registry> => models,
    Exports => exports,
    Arc<Mailer> => mailer,
    Arc<OnceLock<Passkeys>> => passkeys,
}
