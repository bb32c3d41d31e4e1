//! The classifier as an AWS Lambda function. The server invokes it asynchronously with
//! `{"job_id", "image_id", "bucket", "key", "callback_url", "token", "top_k"}`; it reads the
//! photo from S3, runs the same classifier as the embedded worker pool, and posts each step
//! and then the result (or the reason it failed) to `callback_url`.
//!
//! Locally it runs under `cargo lambda watch` (see `scripts/lambda.sh`). Settings: the
//! standard AWS ones for S3, `GALLERY_MODEL_DIR` for the model folder and
//! `GALLERY_S3_PATH_STYLE=true` for S3-compatible stores that want path-style addresses.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::RequestChecksumCalculation;
use classifier::protocol::{Callback, Invocation, Label, Status, Timings};
use classifier::{Classifier, Model, runtime};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

struct Function {
    s3: aws_sdk_s3::Client,
    http: reqwest::Client,
    /// The model and one session, loaded once per cold start; or why they are not there,
    /// which every job then reports instead of failing silently.
    classifier: Result<(Arc<Model>, Arc<Mutex<Classifier>>), String>,
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
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("a plain HTTP client builds"),
            classifier,
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

    /// Fetches, prepares and classifies the photo, reporting each step.
    async fn work(&self, job: &Invocation) -> Result<Option<Callback>, Failure> {
        let (model, session) = self.classifier.as_ref().map_err(|reason| Failure {
            reason: reason.clone(),
            retryable: false,
        })?;
        let mut timings = Timings::default();
        if let Heard::Stop = self.step(job, Status::Fetching).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let object = self
            .s3
            .get_object()
            .bucket(&job.bucket)
            .key(&job.key)
            .send()
            .await
            .map_err(|e| {
                Failure::transient(format!(
                    "the photo could not be fetched from S3: {}",
                    classifier::sdk_error_reason(e)
                ))
            })?;
        let bytes = object.body.collect().await.map_err(|e| {
            Failure::transient(format!("the photo could not be fetched from S3: {e}"))
        })?;
        timings.fetch = ms(started);

        if let Heard::Stop = self.step(job, Status::Preprocessing).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let shared = model.clone();
        let input = blocking(move || Classifier::prepare(&shared, &bytes.into_bytes())).await?;
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
        let outcome = match self.work(&job).await {
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
