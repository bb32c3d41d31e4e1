//! All configuration in one place: command-line flags that fall back to `GALLERY_*`
//! environment variables, each with the embedded default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "gallery",
    version,
    about = "A self-hostable, multi-user AI photo gallery"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply the database migrations, then exit: the first step of a rolling deployment,
    /// before any server of the new release starts (see deploy/README.md).
    Migrate,
    /// Back up the embedded default (SQLite and files) while it runs.
    ///
    /// A consistent snapshot of the database goes to DIR/gallery.db and the objects its rows
    /// name to DIR/objects/. Again into the same DIR, only what is new is copied. For
    /// PostgreSQL and S3, see the README ("Backup").
    Backup {
        /// The backup folder (made if need be).
        dir: PathBuf,
    },
    /// Put a backup made by `gallery backup` into an empty data folder.
    ///
    /// The database file GALLERY_DATABASE_URL names and the store GALLERY_STORAGE names must
    /// both be empty: nothing is written over.
    Restore {
        /// The backup folder.
        dir: PathBuf,
    },
    /// Check that every photo has its objects and every object a photo.
    ///
    /// Photos and registered models, on SQLite and files or PostgreSQL and S3. Exits
    /// non-zero with a list when anything is wrong.
    Check {
        /// Also read every original again and compare it with its SHA-256.
        #[arg(long)]
        hashes: bool,
    },
    /// Maintenance of accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// List the accounts (email, role, state, photos, bytes).
    Users {
        /// Only emails containing this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Give an existing account the admin role.
    Promote { email: String },
    /// Take the admin role from an account (never the last enabled admin's).
    Demote { email: String },
    /// Stop an account from signing in; its sessions and tokens end at once.
    Disable { email: String },
    /// Let a disabled account sign in again.
    Enable { email: String },
    /// Delete an account with all its folders, photos and stored objects.
    Delete {
        email: String,
        /// Required: deleting cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Queue every failed classification again.
    Retry,
    /// Remove stored objects that no photo refers to (older than GALLERY_SWEEP_AFTER_MINUTES).
    Sweep {
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Send an account a link to choose a new password (by mail, or to the log without
    /// GALLERY_SMTP_URL).
    Reset { email: String },
    /// Make a single-use invitation link (for GALLERY_SIGNUP=invite; also the way to the
    /// first account of such a gallery).
    Invite {
        /// Days the link stays valid.
        #[arg(long, default_value_t = 7)]
        days: i64,
        /// A note for the admins' list (who it is for).
        #[arg(long)]
        note: Option<String>,
    },
}

/// Sign-ups allowed per client address per hour, unless configured.
pub const DEFAULT_SIGNUP_PER_IP: u32 = 20;

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignupMode {
    /// Anyone.
    Open,
    /// Only with an invitation link made by an admin.
    Invite,
    /// Nobody: the accounts there are, are all there will be.
    Closed,
}

/// Who must sign in in two steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TwoFactorRule {
    Off,
    Admins,
    All,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "GALLERY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Database URL: `sqlite://PATH` or `postgres://…`.
    #[arg(
        long,
        env = "GALLERY_DATABASE_URL",
        default_value = "sqlite://data/gallery.db"
    )]
    pub database_url: String,

    /// Where images are kept: `fs:PATH`, or `s3://BUCKET/PREFIX` (configured by the standard
    /// AWS settings: AWS_REGION, AWS_ENDPOINT_URL, credentials).
    #[arg(long, env = "GALLERY_STORAGE", default_value = "fs:data/objects")]
    pub storage: String,

    /// S3 endpoint for the gallery's bucket, when it differs from AWS_ENDPOINT_URL.
    #[arg(long, env = "GALLERY_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// Path-style S3 addresses (true/false; default: on with a custom endpoint).
    #[arg(long, env = "GALLERY_S3_PATH_STYLE", value_parser = clap::builder::BoolishValueParser::new())]
    pub s3_path_style: Option<bool>,

    /// Classifier: `local` (in-process worker pool), `lambda:FUNCTION` (the AWS Lambda
    /// `classify-lambda`, invoked asynchronously; needs S3 storage) or `off`.
    #[arg(long, env = "GALLERY_CLASSIFIER", default_value = "local")]
    pub classifier: String,

    /// The secret the servers sign Lambda callbacks with (at least 16 characters; the same
    /// on every server). Required with `GALLERY_CLASSIFIER=lambda:…`.
    #[arg(long, env = "GALLERY_CALLBACK_SECRET", hide_env_values = true)]
    pub callback_secret: Option<String>,

    /// Where the Lambda reaches the servers (their load balancer); default: the public
    /// URL, else the address this server listens on.
    #[arg(long, env = "GALLERY_CALLBACK_URL")]
    pub callback_url: Option<String>,

    /// Lambda endpoint, when it differs from AWS_ENDPOINT_URL (a local emulator).
    #[arg(long, env = "GALLERY_LAMBDA_ENDPOINT")]
    pub lambda_endpoint: Option<String>,

    /// Most Lambda invocations in flight from one server at once.
    #[arg(long, env = "GALLERY_LAMBDA_CONCURRENCY", default_value_t = 64)]
    pub lambda_concurrency: usize,

    /// Model folder for the local classifier (with model.json); the shipped
    /// EfficientNet-Lite0 by default.
    #[arg(long, env = "GALLERY_MODEL_DIR")]
    pub model_dir: Option<PathBuf>,

    /// Voice intent model folder (with intent.onnx); the shipped one by default.
    #[arg(long, env = intent::MODEL_SETTING)]
    pub intent_model_dir: Option<PathBuf>,

    /// Speech model folder (Whisper-base as ONNX, with encoder.onnx); the shipped one by
    /// default.
    #[arg(long, env = speech::MODEL_SETTING)]
    pub speech_model_dir: Option<PathBuf>,

    /// Voice commands transcribed at once on this server.
    #[arg(long, env = "GALLERY_SPEECH_WORKERS", default_value_t = 1)]
    pub speech_workers: usize,

    /// ONNX Runtime threads of one transcription.
    #[arg(long, env = "GALLERY_SPEECH_THREADS", default_value_t = 1)]
    pub speech_threads: usize,

    /// Voice commands that may wait for a transcription; more are answered 503.
    #[arg(long, env = "GALLERY_SPEECH_QUEUE", default_value_t = 8)]
    pub speech_queue: usize,

    /// Largest recording of a voice command, in bytes.
    #[arg(long, env = "GALLERY_SPEECH_MAX_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub speech_max_bytes: usize,

    /// Longest recording of a voice command, in seconds (at most 30).
    #[arg(long, env = "GALLERY_SPEECH_MAX_SECONDS", default_value_t = 15.0)]
    pub speech_max_seconds: f32,

    /// Voice commands transcribed per account and minute.
    #[arg(long, env = "GALLERY_SPEECH_PER_MINUTE", default_value_t = 30)]
    pub speech_per_minute: u32,

    /// Path of the ONNX Runtime library, when it is not in the usual places.
    #[arg(long, env = onnx_runtime::LIBRARY_SETTING)]
    pub ort_library: Option<PathBuf>,

    /// The largest classifier an admin may register, in bytes (ONNX files stop at 2 GB).
    #[arg(long, env = "GALLERY_MAX_MODEL_BYTES", default_value_t = 1 << 30)]
    pub max_model_bytes: u64,

    /// How long a registered classifier may take over one photo (one core), in
    /// milliseconds; a slower one is refused.
    #[arg(long, env = "GALLERY_MODEL_MAX_MS", default_value_t = 5000)]
    pub model_max_ms: u64,

    /// Local classifier workers (default: one per core).
    #[arg(long, env = "GALLERY_CLASSIFIER_WORKERS")]
    pub classifier_workers: Option<usize>,

    /// How long a worker holds a job before another may take it over, in seconds.
    #[arg(long, env = "GALLERY_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: i64,

    /// First retry delay of a failed job, in milliseconds; it doubles with each attempt.
    #[arg(long, env = "GALLERY_RETRY_BASE_MS", default_value_t = 2000)]
    pub retry_base_ms: i64,

    /// How often idle workers look for jobs, in milliseconds.
    #[arg(long, env = "GALLERY_JOB_POLL_MS", default_value_t = 1000)]
    pub job_poll_ms: u64,

    /// The URL people reach the gallery at; an https URL makes cookies Secure.
    #[arg(long, env = "GALLERY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// OpenID Connect provider to sign in with (its issuer URL); the sign-in page shows its
    /// button only when this is set.
    #[arg(long, env = "GALLERY_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// The gallery's client id at the OpenID Connect provider.
    #[arg(long, env = "GALLERY_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The gallery's client secret at the OpenID Connect provider.
    #[arg(long, env = "GALLERY_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// The provider's name on the sign-in button ("Sign in with NAME").
    #[arg(long, env = "GALLERY_OIDC_NAME")]
    pub oidc_name: Option<String>,

    /// Largest accepted upload, per file, in bytes.
    #[arg(long, env = "GALLERY_MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_upload_bytes: usize,

    /// Largest accepted image, in pixels (guards against decompression bombs).
    #[arg(long, env = "GALLERY_MAX_IMAGE_PIXELS", default_value_t = 100_000_000)]
    pub max_image_pixels: u64,

    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "GALLERY_SESSION_HOURS", default_value_t = 24 * 30)]
    pub session_hours: i64,

    /// Sign-in attempts allowed per account per minute.
    #[arg(long, env = "GALLERY_LOGIN_PER_ACCOUNT", default_value_t = 5)]
    pub login_per_account: u32,

    /// Sign-in attempts allowed per client address per minute (IPv6: per /64); the same
    /// budget again for starting sign-ins with the OpenID Connect provider.
    #[arg(long, env = "GALLERY_LOGIN_PER_IP", default_value_t = 30)]
    pub login_per_ip: u32,

    /// Who may create an account: `open`, `invite` (invitation links made by an admin) or
    /// `closed`.
    #[arg(long, env = "GALLERY_SIGNUP", value_enum, default_value_t = SignupMode::Open)]
    pub signup: SignupMode,

    /// Whether an account must have opened the link sent to its address before it may sign
    /// in (an address the OpenID Connect provider verified counts).
    #[arg(long, env = "GALLERY_REQUIRE_VERIFIED_EMAIL", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub require_verified_email: bool,

    /// Who must use two-step sign-in (a passkey or TOTP code after the password): `off`,
    /// `admins` or `all`. Whoever must and has not set it up can only do that until they have.
    #[arg(long = "require-2fa", env = "GALLERY_REQUIRE_2FA", value_enum, default_value_t = TwoFactorRule::Off)]
    pub require_2fa: TwoFactorRule,

    /// The mail server: `smtp://HOST:PORT` (plain, a local relay), `smtp://HOST:PORT?tls=required`
    /// (STARTTLS) or `smtps://HOST:PORT` (implicit TLS), with `USER:PASSWORD@` when it
    /// needs them. Unset (or `off`): each message is written to the log instead.
    #[arg(long, env = "GALLERY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// "Forgot password?" requests allowed per client address, and per address asked
    /// about, per hour.
    #[arg(long, env = "GALLERY_RESET_PER_HOUR", default_value_t = 5)]
    pub reset_per_hour: u32,

    /// A PEM file of a CA to trust for the mail server's certificate besides the usual
    /// ones (a relay with a certificate of a private CA), with `smtps://` or `?tls=required`.
    #[arg(long, env = "GALLERY_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<std::path::PathBuf>,

    /// The sender of the gallery's mail.
    #[arg(
        long,
        env = "GALLERY_MAIL_FROM",
        default_value = "Gallery <gallery@localhost>"
    )]
    pub mail_from: String,

    /// Sign-ups allowed per client address per hour (IPv6: per /64).
    #[arg(long, env = "GALLERY_SIGNUP_PER_IP", default_value_t = DEFAULT_SIGNUP_PER_IP)]
    pub signup_per_ip: u32,

    /// Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is
    /// believed; without them the client is the connection's peer.
    #[arg(long, env = "GALLERY_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,

    /// Storage each user may fill, in bytes, unless an admin sets theirs (default: no limit).
    #[arg(long, env = "GALLERY_DEFAULT_QUOTA_BYTES")]
    pub default_quota_bytes: Option<u64>,

    /// Seconds a client has to send a request's headers.
    #[arg(long, env = "GALLERY_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// ZIP downloads (a folder, a selection, "export all my data") this server makes at
    /// once; more are answered 503 with Retry-After. Each person makes one at a time (429).
    #[arg(long, env = "GALLERY_MAX_EXPORTS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_exports: u32,

    /// Seconds a request may take to be answered (uploads excepted: their bodies have the
    /// idle timeout instead).
    #[arg(long, env = "GALLERY_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds a request body may stall before the request is dropped.
    #[arg(long, env = "GALLERY_BODY_IDLE_SECS", default_value_t = 30)]
    pub body_idle_secs: u64,

    /// Connections served at once; more wait to be accepted.
    #[arg(long, env = "GALLERY_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Connections one client address may hold open at once (proxies in
    /// GALLERY_TRUSTED_PROXIES excepted).
    #[arg(long, env = "GALLERY_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,

    /// Folder for large uploads while they are checked (default: the system's temporary
    /// folder).
    #[arg(long, env = "GALLERY_TMP_DIR")]
    pub tmp_dir: Option<PathBuf>,

    /// The bearer token `GET /metrics` needs; without it, only clients on this machine
    /// (loopback) may read the metrics.
    #[arg(long, env = "GALLERY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Days finished classification jobs are kept before housekeeping prunes them.
    #[arg(long, env = "GALLERY_JOB_RETENTION_DAYS", default_value_t = 30)]
    pub job_retention_days: i64,

    /// Minutes an object without a photo row (left by a failed delete or an interrupted
    /// upload) stays before housekeeping sweeps it away.
    #[arg(long, env = "GALLERY_SWEEP_AFTER_MINUTES", default_value_t = 60)]
    pub sweep_after_minutes: i64,

    /// Days a deleted photo or folder stays in its owner's Trash before housekeeping
    /// deletes it for good.
    #[arg(long, env = "GALLERY_TRASH_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub trash_days: u32,
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    pub fn classifier_mode(&self) -> anyhow::Result<ClassifierMode> {
        match self.classifier.as_str() {
            "local" => Ok(ClassifierMode::Local),
            "off" => Ok(ClassifierMode::Off),
            other => match other.strip_prefix("lambda:") {
                Some(function) if !function.trim().is_empty() => {
                    let secret = self.callback_secret.as_deref().unwrap_or_default();
                    anyhow::ensure!(
                        secret.len() >= 16,
                        "GALLERY_CLASSIFIER=lambda:… needs GALLERY_CALLBACK_SECRET (at least 16 characters, the same on every server)"
                    );
                    anyhow::ensure!(
                        self.storage.starts_with("s3://"),
                        "GALLERY_CLASSIFIER=lambda:… needs GALLERY_STORAGE=s3://…: the function reads the photos from S3"
                    );
                    Ok(ClassifierMode::Lambda(function.trim().to_owned()))
                }
                _ => anyhow::bail!(
                    "GALLERY_CLASSIFIER must be local, lambda:FUNCTION or off (got {other:?})"
                ),
            },
        }
    }

    /// The proxies of `GALLERY_TRUSTED_PROXIES`: addresses or CIDR ranges.
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "GALLERY_TRUSTED_PROXIES: {p:?} is not an address or a CIDR range"
                        )
                    })
            })
            .collect()
    }

    pub fn storage_kind(&self) -> anyhow::Result<StorageKind> {
        if let Some(path) = self.storage.strip_prefix("fs:").filter(|p| !p.is_empty()) {
            Ok(StorageKind::Fs(PathBuf::from(path)))
        } else if self.storage.starts_with("s3://") {
            Ok(StorageKind::S3(self.storage.clone()))
        } else {
            anyhow::bail!(
                "GALLERY_STORAGE must be fs:PATH or s3://BUCKET/PREFIX (got {:?})",
                self.storage
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassifierMode {
    Local,
    Lambda(String),
    Off,
}

pub enum StorageKind {
    Fs(PathBuf),
    S3(String),
}
