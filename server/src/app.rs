//! The application: the router that puts the parts together, and serving it with the
//! classifier and the housekeeping started.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::{ClassifierMode, Config};
use crate::jobs::lambda;
use crate::state::AppState;
use crate::{admin, api, auth, jobs, net, telemetry, web};

pub fn router(state: AppState) -> Router {
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
        .route("/metrics", get(crate::api::metrics::endpoint))
        .nest("/api/v1", api::router(&state))
        .merge(web::router(&state))
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
        // Pages, scripts, styles and JSON go compressed to a client that asks (never photos
        // nor ZIP downloads of them: they are compressed already). Pages carry the CSRF token
        // masked afresh each time.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(4))
                .compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("application/zip")),
                ),
        )
        .layer(middleware::from_fn(crate::api::unread::close_if_unread))
        .layer(middleware::from_fn(crate::api::metrics::track))
        // A link's token is a secret: never in a log line, even at debug level.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                tracing::debug_span!("request", method = %req.method(), path = %net::logged_path(req.uri().path()))
            }),
        )
        .with_state(state)
}

/// Serves until the process is asked to stop.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    telemetry::handle();
    admin::housekeeping::start(
        state.db.clone(),
        state.storage.clone(),
        state.config.clone(),
        state.system.clone(),
    )
    .await;
    let config = &state.config;
    let base = public_base(config, listener.local_addr()?);
    state.mailer.set_base(&base);
    match auth::passkeys::Passkeys::new(&base) {
        Ok(passkeys) => {
            let _ = state.passkeys.set(passkeys);
        }
        Err(err) => {
            tracing::warn!(%err, %base, "passkeys are off: the gallery's address cannot be a WebAuthn relying party")
        }
    }
    tokio::spawn(crate::mail::outbox::run(
        state.mailer.clone(),
        state.db.clone(),
    ));
    if let Some(oidc) = auth::oidc::Oidc::from_config(config, &base)? {
        let _ = state.oidc.set(oidc);
    }
    match config.classifier_mode()? {
        ClassifierMode::Local => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let workers = config.classifier_workers.unwrap_or(cores);
            let models = state.models.clone();
            jobs::worker::start(state.queue.clone(), state.storage.clone(), models, workers).await;
        }
        ClassifierMode::Lambda(function) => {
            let settings = lambda::Settings {
                function,
                endpoint: config.lambda_endpoint.clone(),
                concurrency: config.lambda_concurrency,
                secret: config.callback_secret.clone().unwrap_or_default(),
                callback_base: config.callback_url.clone().unwrap_or(base),
                model_dir: config.model_dir.clone(),
            };
            let receiver =
                lambda::start(state.queue.clone(), state.storage.clone(), settings).await;
            let _ = state.callbacks.set(receiver);
        }
        ClassifierMode::Off => {}
    }
    let limits = net::Limits {
        header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
        max_connections: config.max_connections,
        max_connections_per_ip: config.max_connections_per_ip,
        trusted_proxies: state.trusted_proxies.0.to_vec(),
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
