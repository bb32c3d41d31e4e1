//! The application: its one state struct and the router that puts the parts together.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::{ClassifierMode, Config, StorageKind};
use crate::db::{self, Db};
use crate::images::ingest::Policy;
use crate::storage::{FsStore, S3Store, Storage};
use crate::voice::Voice;
use crate::{api, auth, folders, jobs, net, voice, web};

pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub backend: db::Backend,
    pub storage: Storage,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Bounds how many uploads are decoded at once (memory and cores).
    pub decode_slots: Semaphore,
    /// Wakes idle classifier workers when a job is queued.
    pub jobs_wake: Notify,
    /// The voice intent model.
    pub voice: Voice,
    /// The Content-Security-Policy of every answer (images may come from S3).
    pub csp: HeaderValue,
    /// The OpenID Connect provider, when configured (set once the address is known).
    pub oidc: std::sync::OnceLock<auth::oidc::Oidc>,
    /// The model's class names, which a Lambda's result must use (Lambda mode).
    pub classes: std::sync::OnceLock<Vec<String>>,
}

impl AppState {
    pub async fn new(config: Config) -> anyhow::Result<Arc<Self>> {
        let trusted_proxies = config.trusted_proxies()?;
        let db = db::connect(&config.database_url).await?;
        let broken = folders::repair_loops(&db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot check the folders for loops: {e}"))?;
        if broken > 0 {
            tracing::warn!(loops = broken, "folder loops were found and broken");
        }
        let (storage, image_origin): (Storage, Option<String>) = match config.storage_kind()? {
            StorageKind::Fs(root) => {
                let store = FsStore::open(&root).map_err(|e| {
                    anyhow::anyhow!("cannot use {} for image storage: {e}", root.display())
                })?;
                (Arc::new(store), None)
            }
            StorageKind::S3(url) => {
                let store = S3Store::connect(&url, config.s3_endpoint.as_deref()).await?;
                let origin = store.origin.clone();
                (Arc::new(store), Some(origin))
            }
        };
        config.classifier_mode()?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let voice = tokio::task::spawn_blocking(Voice::load).await?;
        Ok(Arc::new(Self {
            csp: content_security_policy(image_origin.as_deref()),
            backend: db::Backend::of_url(&config.database_url)?,
            jobs_wake: Notify::new(),
            voice,
            oidc: std::sync::OnceLock::new(),
            classes: std::sync::OnceLock::new(),
            trusted_proxies,
            decode_slots: Semaphore::new(cores),
            config,
            db,
            storage,
        }))
    }

    /// Tells idle workers that a job is waiting.
    pub fn wake_workers(&self) {
        self.jobs_wake.notify_waiters();
    }

    pub fn upload_policy(&self) -> Policy {
        Policy {
            max_bytes: self.config.max_upload_bytes,
            max_pixels: self.config.max_image_pixels,
            tmp_dir: self.config.tmp_dir.clone(),
        }
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

pub fn router(state: Arc<AppState>) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let config = &state.config;
    // Only the page itself may use the microphone (voice commands); nothing else.
    let permissions = header(
        HeaderName::from_static("permissions-policy"),
        "microphone=(self), camera=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    );
    let hsts = config.secure_cookies().then(|| {
        header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        )
    });
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api/v1", api::router(state.clone()))
        .merge(web::router(state.clone()))
        // Answers about someone's photos are theirs alone: no cache keeps them, unless the
        // handler says otherwise (images and static files do).
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            state.csp.clone(),
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(permissions)
        .layer(tower::util::option_layer(hsts))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            config.body_idle_secs.max(1),
        )))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until the process is asked to stop.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> anyhow::Result<()> {
    spawn_housekeeping(state.clone());
    let base = public_base(&state.config, listener.local_addr()?);
    if let Some(oidc) = auth::oidc::Oidc::from_config(&state.config, &base)? {
        let _ = state.oidc.set(oidc);
    }
    match state.config.classifier_mode()? {
        ClassifierMode::Local => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let workers = state.config.classifier_workers.unwrap_or(cores);
            jobs::worker::start(state.clone(), state.config.model_dir.clone(), workers).await;
        }
        ClassifierMode::Lambda(function) => {
            let callback = state.config.callback_url.clone().unwrap_or(base);
            jobs::lambda::start(state.clone(), function, &callback).await;
        }
        ClassifierMode::Off => {}
    }
    let limits = net::Limits {
        header_timeout: Duration::from_secs(state.config.header_timeout_secs.max(1)),
        max_connections: state.config.max_connections,
        max_connections_per_ip: state.config.max_connections_per_ip,
        trusted_proxies: state.trusted_proxies.clone(),
    };
    net::serve(listener, router(state), limits, shutdown_signal()).await?;
    Ok(())
}

/// Where the gallery is reached: the public URL, or this server's own address (loopback
/// when it listens on every interface).
fn public_base(config: &Config, mut bound: std::net::SocketAddr) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    if bound.ip().is_unspecified() {
        bound.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{bound}")
}

fn spawn_housekeeping(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(err) = auth::sessions::purge_expired(&state.db).await {
                tracing::warn!(%err, "could not purge expired sessions");
            }
            if let Err(err) = auth::oidc::purge_expired(&state.db).await {
                tracing::warn!(%err, "could not purge unfinished sign-ins");
            }
            if let Err(err) = auth::limits::purge_stale(&state.db).await {
                tracing::warn!(%err, "could not purge old sign-in attempts");
            }
            if let Err(err) = voice::purge_unanswered(&state.db).await {
                tracing::warn!(%err, "could not purge unanswered voice questions");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
