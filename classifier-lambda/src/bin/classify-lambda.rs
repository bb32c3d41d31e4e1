//! The classifier as an AWS Lambda function. The server invokes it asynchronously with
//! `{"job_id", "image_id", "bucket", "key", "callback_url", "token", "top_k"}` (with
//! `"input"` and `"original_key"` when `key` is the classifier's rendition); it reads the
//! photo from S3, runs the same classify step as the embedded worker pool, and posts each
//! step and then the result (or the reason it failed) to `callback_url`. With `"model"` it
//! classifies with a model an admin registered, read from the bucket by its key and kept
//! across warm invocations (the last few, by the ONNX file's SHA-256).
//!
//! Locally it runs under `cargo lambda watch`. Its settings are below ([`Settings`]); the
//! standard AWS ones configure S3.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::RequestChecksumCalculation;
use bytes::Bytes;
use clap::Parser;
use classifier::preprocess::Sizing;
use classifier::protocol::{Callback, Invocation, ModelRef, Refusal, Status, Trust};
use classifier::step::{Engine, Job, Source, StepError};
use classifier::{Model, runtime};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

/// The function's settings, all from its environment.
#[derive(Debug, Parser)]
#[command(
    name = "classify-lambda",
    about = "The gallery's classifier as an AWS Lambda function"
)]
struct Settings {
    /// The gallery's storage, `s3://BUCKET/PREFIX`: no other object is read.
    #[arg(long, env = "GALLERY_STORAGE", default_value = "")]
    storage: String,
    /// The gallery's origins (`https://host`, comma-separated): no other URL is called.
    #[arg(long, env = "GALLERY_CALLBACK_ORIGINS", default_value = "")]
    callback_origins: String,
    /// The largest object read, in bytes (the gallery's upload limit).
    #[arg(long, env = "GALLERY_MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    max_upload_bytes: u64,
    /// The largest registered model read, in bytes (the gallery's model limit).
    #[arg(long, env = "GALLERY_MAX_MODEL_BYTES", default_value_t = 1 << 30)]
    max_model_bytes: u64,
    /// Path-style S3 addresses (on by default with a custom endpoint).
    #[arg(long, env = "GALLERY_S3_PATH_STYLE", value_parser = clap::builder::BoolishValueParser::new())]
    s3_path_style: Option<bool>,
    /// A custom S3 endpoint (an S3-compatible store), as the AWS SDK reads it.
    #[arg(long, env = "AWS_ENDPOINT_URL_S3")]
    s3_endpoint: Option<String>,
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint: Option<String>,
    /// Model folder (with model.json); the shipped EfficientNet-Lite0 by default.
    #[arg(long, env = runtime::MODEL_SETTING)]
    model_dir: Option<PathBuf>,
    /// Path of the ONNX Runtime library, when it is not beside the function.
    #[arg(long, env = onnx_runtime::LIBRARY_SETTING)]
    ort_library: Option<PathBuf>,
}

struct Function {
    s3: aws_sdk_s3::Client,
    http: reqwest::Client,
    /// The model and one session, loaded once per cold start; or why they are not there,
    /// which every job then reports instead of failing silently.
    engine: Result<Engine, String>,
    /// Registered models loaded by earlier invocations, the latest last.
    models: tokio::sync::Mutex<Vec<(String, Engine)>>,
    max_model_bytes: u64,
    threads: usize,
    /// What an event may name; without it every event is refused.
    trust: Result<Trust, String>,
}

/// Why a job failed, and whether the server should try it again.
struct Failure {
    reason: String,
    retryable: bool,
}

impl From<StepError> for Failure {
    fn from(err: StepError) -> Self {
        match err {
            StepError::Unreadable(reason) => Self {
                reason: format!("this photo could not be read by the classifier: {reason}"),
                retryable: false,
            },
            StepError::Fetch(reason)
            | StepError::Classifier(reason)
            | StepError::Report(reason) => Self {
                reason,
                retryable: true,
            },
        }
    }
}

/// One invocation's job: its photo in S3, its steps posted to the gallery.
struct Remote<'a> {
    function: &'a Function,
    job: &'a Invocation,
    max_bytes: u64,
}

impl Job for Remote<'_> {
    async fn report(&self, status: Status) -> Result<bool, StepError> {
        self.function
            .report(&self.job.callback_url, &Callback::step(self.job, status))
            .await
            .map_err(StepError::Report)
    }

    fn rendition(&self) -> Option<Sizing> {
        self.job.input
    }

    async fn fetch(&self, source: Source) -> Result<Bytes, StepError> {
        let key = match (source, &self.job.original_key) {
            (Source::Original, Some(original)) => original,
            _ => &self.job.key,
        };
        self.function
            .fetch(&self.job.bucket, key, self.max_bytes)
            .await
    }
}

impl Function {
    async fn load(settings: Settings) -> Self {
        let conf = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let custom_endpoint = settings.s3_endpoint.is_some() || settings.endpoint.is_some();
        let s3 = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(settings.s3_path_style.unwrap_or(custom_endpoint))
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        onnx_runtime::use_library(settings.ort_library.clone());
        let model_dir = settings.model_dir.clone();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let engine = tokio::task::spawn_blocking(move || {
            let dir = runtime::model_dir(model_dir)?;
            let engine = Engine::new(Arc::new(Model::load(&dir)?), threads)?;
            let library = onnx_runtime::find_library().unwrap_or_default();
            tracing::info!(model = %dir.display(), onnx_runtime = %library.display(), "cold start: the classifier is ready");
            Ok::<_, classifier::Error>(engine)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| format!("the classifier is not available: {e}")));
        if let Err(reason) = &engine {
            tracing::error!(%reason, "cold start without a classifier");
        }
        let trust = Trust::from_settings(
            &settings.storage,
            &settings.callback_origins,
            settings.max_upload_bytes,
        );
        if let Err(reason) = &trust {
            tracing::error!(%reason, "every event will be refused");
        }
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                // A redirect would take the report (and its token) somewhere unchecked.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain HTTP client builds"),
            engine,
            models: tokio::sync::Mutex::new(Vec::new()),
            max_model_bytes: settings.max_model_bytes,
            threads,
            trust,
        }
    }

    /// The engine of a registered model: kept from an earlier invocation, or read from the
    /// bucket (its description, labels and ONNX file) and checked against its hash.
    async fn registered(&self, bucket: &str, model: &ModelRef) -> Result<Engine, Failure> {
        let mut kept = self.models.lock().await;
        if let Some(at) = kept.iter().position(|(sha, _)| *sha == model.sha256) {
            let entry = kept.remove(at);
            let engine = entry.1.clone();
            kept.push(entry);
            return Ok(engine);
        }
        let failed = |reason: String| Failure {
            reason: format!("the model could not be loaded: {reason}"),
            retryable: false,
        };
        if model.bytes > self.max_model_bytes {
            return Err(failed(format!(
                "it has {} bytes, more than the {} this function reads",
                model.bytes, self.max_model_bytes
            )));
        }
        let read = |name: &str, max: u64| {
            let key = format!("{}{name}", model.key);
            async move {
                self.fetch(bucket, &key, max).await.map_err(|e| match e {
                    StepError::Fetch(reason) => Failure {
                        reason,
                        retryable: true,
                    },
                    StepError::Unreadable(reason)
                    | StepError::Classifier(reason)
                    | StepError::Report(reason) => failed(reason),
                })
            }
        };
        let description = read(ModelRef::DESCRIPTION, 1 << 20).await?;
        let labels = read(ModelRef::LABELS, 64 << 20).await?;
        let onnx = read(ModelRef::ONNX, self.max_model_bytes).await?;
        let mut description: classifier::model::Description =
            serde_json::from_slice(&description).map_err(|e| failed(e.to_string()))?;
        description.sha256 = Some(model.sha256.clone());
        let labels: Vec<classifier::model::Class> =
            serde_json::from_slice(&labels).map_err(|e| failed(e.to_string()))?;
        let threads = self.threads;
        let engine = tokio::task::spawn_blocking(move || {
            let model = Model::from_parts(description, labels, onnx.to_vec().into())?;
            Engine::new(Arc::new(model), threads)
        })
        .await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(e.to_string()))?;
        tracing::info!(model = %engine.model().description.name, key = %model.key, "registered model loaded");
        // A few models stay warm; memory is the function's, so not many.
        if kept.len() >= 3 {
            kept.remove(0);
        }
        kept.push((model.sha256.clone(), engine.clone()));
        Ok(engine)
    }

    /// Posts one report, trying a few times when the server cannot be reached. `Ok(false)`
    /// when the server says the job is no longer this invocation's.
    async fn report(&self, url: &str, body: &Callback) -> Result<bool, String> {
        let mut last = String::new();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * 3u64.pow(attempt - 1))).await;
            }
            match self.http.post(url).json(body).send().await {
                Ok(res) if res.status().is_success() => return Ok(true),
                // 409: the job is on another attempt; 410: the photo was deleted or queued again.
                Ok(res)
                    if matches!(
                        res.status(),
                        reqwest::StatusCode::CONFLICT | reqwest::StatusCode::GONE
                    ) =>
                {
                    return Ok(false);
                }
                Ok(res) if res.status().is_client_error() => {
                    let status = res.status();
                    let text = res.text().await.unwrap_or_default();
                    return Err(format!(
                        "the server refused the callback ({status}): {text}"
                    ));
                }
                Ok(res) => last = format!("the server answered {}", res.status()),
                Err(err) => last = format!("the server could not be reached: {err}"),
            }
        }
        Err(last)
    }

    /// Reads the photo from S3, no more than the gallery's upload limit.
    async fn fetch(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Bytes, StepError> {
        let failed =
            |e: String| StepError::Fetch(format!("the photo could not be fetched from S3: {e}"));
        let mut object = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failed(classifier::sdk_error_reason(e)))?;
        let too_large = || {
            StepError::Unreadable(format!(
                "the object is larger than the {max_bytes} bytes a photo may have"
            ))
        };
        if object
            .content_length()
            .is_some_and(|n| n < 0 || n as u64 > max_bytes)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = object
            .body
            .try_next()
            .await
            .map_err(|e| failed(e.to_string()))?
        {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(bytes))
    }

    /// Classifies the photo, reporting each step; the final report for the server.
    async fn work(&self, job: &Invocation, max_bytes: u64) -> Result<Option<Callback>, Failure> {
        let registered;
        let engine = match &job.model {
            Some(model) => {
                registered = self.registered(&job.bucket, model).await?;
                &registered
            }
            None => self.engine.as_ref().map_err(|reason| Failure {
                reason: reason.clone(),
                retryable: false,
            })?,
        };
        let remote = Remote {
            function: self,
            job,
            max_bytes,
        };
        let Some(classified) = engine.run(&remote, job.top_k).await? else {
            return Ok(None);
        };
        let mut done = Callback::step(job, Status::Done);
        done.labels = classified.labels;
        done.model = Some(classified.model);
        done.timings_ms = Some(classified.timings);
        Ok(Some(done))
    }

    async fn handle(&self, event: LambdaEvent<Invocation>) -> Result<Value, lambda_runtime::Error> {
        let job = event.payload;
        let refused = |reason: &str| {
            tracing::warn!(job = %job.job_id, %reason, "event refused");
            Ok(json!({"job_id": job.job_id, "status": "refused", "reason": reason}))
        };
        // A refused event succeeds as an invocation: retrying it cannot make it acceptable.
        let max_bytes = match self.trust.as_ref().map(|t| (t.check(&job), t.max_bytes)) {
            Err(reason) => return refused(reason),
            Ok((Err(Refusal::Callback(reason)), _)) => return refused(&reason),
            Ok((Err(Refusal::Object(reason)), _)) => {
                let mut report = Callback::step(&job, Status::Error);
                report.error = Some(reason.clone());
                report.retryable = Some(false);
                let _ = self.report(&job.callback_url, &report).await;
                return refused(&reason);
            }
            Ok((Ok(()), max_bytes)) => max_bytes,
        };
        let outcome = match self.work(&job, max_bytes).await {
            Ok(Some(done)) => self
                .report(&job.callback_url, &done)
                .await
                .map(|heard| if heard { "done" } else { "abandoned" }),
            Ok(None) => Ok("abandoned"),
            Err(failure) => {
                tracing::warn!(job = %job.job_id, reason = %failure.reason, "job failed");
                let mut report = Callback::step(&job, Status::Error);
                report.error = Some(failure.reason);
                report.retryable = Some(failure.retryable);
                // Reported: the server decides about retrying, so the event itself succeeded.
                self.report(&job.callback_url, &report)
                    .await
                    .map(|_| "error")
            }
        };
        match outcome {
            Ok(status) => Ok(json!({"job_id": job.job_id, "status": status})),
            // The server cannot be told; its lease on the job will bring it back.
            Err(reason) => Err(reason.into()),
        }
    }
}

fn main() -> Result<(), lambda_runtime::Error> {
    // SAFETY: no other thread runs yet (the runtime starts below).
    unsafe { onnx_runtime::disable_telemetry() };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,ort=warn".into()),
        )
        .with_writer(std::io::stderr)
        // CloudWatch shows escape codes as they are, and stamps each line itself.
        .with_ansi(false)
        .without_time()
        .init();
    let function = Arc::new(Function::load(Settings::parse()).await);
    lambda_runtime::run(service_fn(move |event| {
        let function = function.clone();
        async move { function.handle(event).await }
    }))
    .await
}
