//! The classifier as an AWS Lambda function. The server invokes it asynchronously with
//! `{"job_id", "image_id", "bucket", "key", "callback_url", "token", "top_k"}`; it reads the
//! photo from S3, runs the same classifier as the embedded worker pool, and posts each step
//! and then the result (or the reason it failed) to `callback_url`.
//!
//! Locally it runs under `cargo lambda watch`. Settings: the standard AWS ones for S3,
//! `GALLERY_MODEL_DIR` for the model folder, `GALLERY_S3_PATH_STYLE=true` for
//! S3-compatible stores that want path-style addresses, and what it trusts an event with:
//! `GALLERY_STORAGE` (the gallery's `s3://BUCKET/PREFIX`: no other object is read),
//! `GALLERY_CALLBACK_ORIGINS` (the gallery's origins: no other URL is called) and
//! `GALLERY_MAX_UPLOAD_BYTES` (no larger object is read).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::RequestChecksumCalculation;
use classifier::protocol::{Callback, Invocation, Label, Refusal, Status, Timings, Trust};
use classifier::{Classifier, Model, runtime};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

struct Function {
    s3: aws_sdk_s3::Client,
    http: reqwest::Client,
    /// The model and one session, loaded once per cold start; or why they are not there,
    /// which every job then reports instead of failing silently.
    classifier: Result<(Arc<Model>, Arc<Mutex<Classifier>>), String>,
    /// What an event may name; without it every event is refused.
    trust: Result<Trust, String>,
}

/// Why a job failed, and whether the server should try it again.
struct Failure {
    reason: String,
    retryable: bool,
}

impl Failure {
    fn transient(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            retryable: true,
        }
    }
}

/// What the server said to a callback.
enum Heard {
    Go,
    /// The job is no longer this invocation's: stop working on it.
    Stop,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

impl Function {
    async fn load() -> Self {
        let conf = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        let path_style = std::env::var("GALLERY_S3_PATH_STYLE")
            .map_or(custom_endpoint, |v| v == "true" || v == "1");
        let s3 = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        let classifier = tokio::task::spawn_blocking(|| {
            let dir = runtime::default_model_dir()?;
            let model = Arc::new(Model::load(&dir)?);
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let session = Classifier::new(model.clone(), threads)?;
            Ok::<_, classifier::Error>((model, Arc::new(Mutex::new(session))))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| format!("the classifier is not available: {e}")));
        if let Err(reason) = &classifier {
            tracing::error!(%reason, "cold start without a classifier");
        }
        let setting = |name: &str| std::env::var(name).ok();
        let trust = Trust::from_settings(
            &setting("GALLERY_STORAGE").unwrap_or_default(),
            &setting("GALLERY_CALLBACK_ORIGINS").unwrap_or_default(),
            setting("GALLERY_MAX_UPLOAD_BYTES").as_deref(),
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
            classifier,
            trust,
        }
    }

    /// Posts one report, trying a few times when the server cannot be reached.
    async fn report(&self, url: &str, body: &Callback) -> Result<Heard, String> {
        let mut last = String::new();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * 3u64.pow(attempt - 1))).await;
            }
            match self.http.post(url).json(body).send().await {
                Ok(res) if res.status().is_success() => return Ok(Heard::Go),
                // 409: the job is on another attempt; 410: the photo was deleted or queued again.
                Ok(res)
                    if matches!(
                        res.status(),
                        reqwest::StatusCode::CONFLICT | reqwest::StatusCode::GONE
                    ) =>
                {
                    return Ok(Heard::Stop);
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

    async fn step(&self, job: &Invocation, status: Status) -> Result<Heard, Failure> {
        self.report(&job.callback_url, &Callback::step(job, status))
            .await
            .map_err(Failure::transient)
    }

    /// Reads the photo from S3, no more than the gallery's upload limit.
    async fn fetch(&self, job: &Invocation, max_bytes: u64) -> Result<Vec<u8>, Failure> {
        let fetch_failed =
            |e: String| Failure::transient(format!("the photo could not be fetched from S3: {e}"));
        let mut object = self
            .s3
            .get_object()
            .bucket(&job.bucket)
            .key(&job.key)
            .send()
            .await
            .map_err(|e| fetch_failed(classifier::sdk_error_reason(e)))?;
        let too_large = || Failure {
            reason: format!("the object is larger than the {max_bytes} bytes a photo may have"),
            retryable: false,
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
            .map_err(|e| fetch_failed(e.to_string()))?
        {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Fetches, prepares and classifies the photo, reporting each step.
    async fn work(&self, job: &Invocation, max_bytes: u64) -> Result<Option<Callback>, Failure> {
        let (model, session) = self.classifier.as_ref().map_err(|reason| Failure {
            reason: reason.clone(),
            retryable: false,
        })?;
        let mut timings = Timings::default();
        if let Heard::Stop = self.step(job, Status::Fetching).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let bytes = self.fetch(job, max_bytes).await?;
        timings.fetch = ms(started);

        if let Heard::Stop = self.step(job, Status::Preprocessing).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let shared = model.clone();
        let input = blocking(move || Classifier::prepare(&shared, &bytes)).await?;
        timings.preprocess = ms(started);

        if let Heard::Stop = self.step(job, Status::Predicting).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let (session, k) = (session.clone(), job.top_k.clamp(1, 10));
        let predictions = blocking(move || {
            let mut c = session
                .lock()
                .map_err(|_| classifier::Error::Model("an earlier event panicked".into()))?;
            c.predict_top_k(input, k)
        })
        .await?;
        timings.predict = ms(started);

        let mut done = Callback::step(job, Status::Done);
        done.labels = predictions
            .into_iter()
            .map(|p| Label {
                label: p.label,
                class_index: p.class_index,
                score: p.score,
            })
            .collect();
        done.model = Some(model.description.name.clone());
        done.timings_ms = Some(timings);
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
            Ok(Some(done)) => {
                self.report(&job.callback_url, &done)
                    .await
                    .map(|heard| match heard {
                        Heard::Go => "done",
                        Heard::Stop => "abandoned",
                    })
            }
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

/// Runs CPU work off the async threads: a photo that cannot be read will fail the same way
/// every time, anything else may pass on another try.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, classifier::Error> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(classifier::Error::Decode(reason))) => Err(Failure {
            reason: format!("this photo could not be read by the classifier: {reason}"),
            retryable: false,
        }),
        Ok(Err(classifier::Error::Model(reason))) => Err(Failure::transient(reason)),
        Err(join) => Err(Failure::transient(format!(
            "the classifier stopped: {join}"
        ))),
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,ort=warn".into()),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let function = Arc::new(Function::load().await);
    lambda_runtime::run(service_fn(move |event| {
        let function = function.clone();
        async move { function.handle(event).await }
    }))
    .await
}
