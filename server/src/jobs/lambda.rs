//! The classifier as an AWS Lambda (`GALLERY_CLASSIFIER=lambda:FUNCTION`). Each server runs
//! a dispatcher that claims jobs from the same durable queue as the embedded workers and
//! invokes the function asynchronously (`InvocationType::Event`). The function reports its
//! steps and its result to the callback endpoint of any server; a callback counts only with
//! the token of the job's current attempt, an HMAC the servers make with a shared secret.
//! A job whose callback never comes is claimed again when its lease runs out.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use classifier::protocol::{Callback, Invocation, Status};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use super::worker::TOP_K;
use super::{Claimed, Failure, Queue, Runner};
use crate::error::{Error, Result};
use crate::storage::Storage;
use classifier::protocol::Label;

/// The path of the callback endpoint, under the servers' base URL.
pub const CALLBACK_PATH: &str = "/api/v1/classifier/callback";
const WORKER: &str = "lambda";

/// The token of one attempt at a job: hex HMAC-SHA256 of `{job_id}:{attempt}`.
pub fn token(secret: &str, job_id: &str, attempt: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{job_id}:{attempt}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// How this server reaches the function, and how the function reaches the servers.
pub struct Settings {
    pub function: String,
    /// Lambda endpoint, when not AWS's own (an emulator).
    pub endpoint: Option<String>,
    /// Invocations in flight from this server at once.
    pub concurrency: usize,
    pub secret: String,
    /// Where the servers are reached; the callback is this + [`CALLBACK_PATH`].
    pub callback_base: String,
    pub model_dir: Option<PathBuf>,
}

/// What takes the function's callbacks on any server: the queue, the shared secret and
/// the classes a result may name.
pub struct Receiver {
    queue: Queue,
    secret: String,
    /// The model's class names; `None` when they cannot be read here (results are then
    /// checked only for their form).
    classes: Option<Vec<String>>,
}

/// Starts this server's dispatcher; returns what receives the callbacks.
pub async fn start(queue: Queue, storage: Storage, settings: Settings) -> Receiver {
    let lease = Duration::from_millis(queue.lease_ms() as u64);
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let conf = loader
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_timeout(lease)
                .build(),
        )
        .load()
        .await;
    let client = aws_sdk_lambda::Client::new(&conf);
    // The classes a result may name: the model's labels, read without ONNX Runtime.
    let dir = settings.model_dir.clone();
    let classes = match tokio::task::spawn_blocking(move || {
        classifier::Model::load(classifier::runtime::model_dir(dir)?)
    })
    .await
    {
        Ok(Ok(model)) => Some(model.labels.iter().map(|l| l.name.clone()).collect()),
        Ok(Err(err)) => {
            tracing::warn!(%err, "the model's labels cannot be read; callbacks are checked only for their form");
            None
        }
        Err(err) => {
            tracing::warn!(%err, "the model's labels cannot be read");
            None
        }
    };
    let callback_url = format!(
        "{}{CALLBACK_PATH}",
        settings.callback_base.trim_end_matches('/')
    );
    tracing::info!(function = %settings.function, %callback_url, "classifying with AWS Lambda");
    let dispatcher = Arc::new(Dispatcher {
        queue: queue.clone(),
        storage,
        client,
        function: settings.function,
        callback_url,
        secret: settings.secret.clone(),
    });
    tokio::spawn(dispatcher.run(settings.concurrency.max(1)));
    Receiver {
        queue,
        secret: settings.secret,
        classes,
    }
}

struct Dispatcher {
    queue: Queue,
    storage: Storage,
    client: aws_sdk_lambda::Client,
    function: String,
    callback_url: String,
    secret: String,
}

impl Dispatcher {
    async fn run(self: Arc<Self>, concurrency: usize) {
        let slots = Arc::new(Semaphore::new(concurrency));
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let job = self.queue.next(WORKER).await;
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(err) = this.invoke(&job).await {
                    tracing::warn!(job = %job.id, %err, "job bookkeeping failed; the lease will bring it back");
                }
                drop(slot);
            });
        }
    }

    /// Sends one attempt at a job to the function. Only a failure to hand it over is
    /// recorded here; what the function does is reported by its callbacks.
    async fn invoke(&self, job: &Claimed) -> Result<()> {
        if let Some(failure) = super::overdue(job) {
            return self.queue.fail(job, &failure).await;
        }
        let Some((bucket, original)) = self.storage.s3_location(&job.object_key) else {
            let detail = "the Lambda classifier needs the photos in S3 (GALLERY_STORAGE=s3://…)";
            let failure = Failure::broken(super::CLASSIFIER_UNAVAILABLE, detail);
            return self.queue.fail(job, &failure).await;
        };
        // The function reads the classifier's rendition (a few kilobytes) when the job names
        // one, and the original only when its model sizes photos otherwise.
        let rendition = job.rendition.as_ref().and_then(|(key, sizing)| {
            let (_, key) = self.storage.s3_location(key)?;
            Some((key, *sizing))
        });
        let (key, original_key, input) = match rendition {
            Some((key, sizing)) => (key, Some(original), Some(sizing)),
            None => (original, None, None),
        };
        let payload = Invocation {
            job_id: job.id.clone(),
            image_id: job.image_id.clone(),
            bucket,
            key,
            original_key,
            input,
            callback_url: self.callback_url.clone(),
            token: token(&self.secret, &job.id, job.attempts),
            top_k: TOP_K,
            // A registered model: the function reads it from the bucket by its key.
            model: job.model.as_ref().and_then(|m| {
                let (_, key) = self.storage.s3_location(&m.key)?;
                Some(classifier::protocol::ModelRef {
                    key,
                    sha256: m.sha256.clone(),
                    bytes: m.bytes.max(0) as u64,
                })
            }),
        };
        let payload = serde_json::to_vec(&payload).map_err(|e| Error::Internal(e.into()))?;
        let sent = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload))
            .send()
            .await;
        match sent {
            Ok(out) => {
                if let Some(err) = out.function_error() {
                    // Only an emulator that waits for the function answers this; the function
                    // has reported the failure itself, or the lease brings the job back.
                    tracing::warn!(job = %job.id, %err, "the classifier function failed");
                }
                Ok(())
            }
            // Handed over but not acknowledged in time (an emulator that waits for the
            // function does this): the function may still call back, and the lease decides
            // otherwise.
            Err(SdkError::TimeoutError(_)) => {
                tracing::warn!(job = %job.id, "no acknowledgement from the classifier function in time");
                Ok(())
            }
            Err(err) => {
                let detail = classifier::sdk_error_reason(err);
                let failure = Failure::transient(
                    "the classification service could not be reached",
                    format!(
                        "the classifier function {} could not be invoked: {detail}",
                        self.function
                    ),
                );
                self.queue.fail(job, &failure).await
            }
        }
    }
}

/// What became of a callback that counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Yes,
    /// A final report of an attempt already recorded: nothing changed.
    Already,
}

impl Receiver {
    /// A step, the result or a failure of one attempt. Forged tokens get 403 and an earlier
    /// attempt's token 409; a repeated final report of the current attempt changes nothing.
    pub async fn record(&self, report: &Callback) -> Result<Recorded> {
        let db = &self.queue.db;
        let row: Option<(String, String, i64, i64, Option<String>, String)> = sqlx::query_as(
            "SELECT j.image_id, j.state, j.attempts, j.max_attempts, j.locked_by, i.object_key
             FROM jobs j JOIN images i ON i.id = j.image_id WHERE j.id = $1",
        )
        .bind(&report.job_id)
        .fetch_optional(db)
        .await?;
        let Some((image_id, job_state, attempts, max_attempts, locked_by, object_key)) = row else {
            return Err(Error::Gone(
                "there is no such job: the photo was deleted or queued again".into(),
            ));
        };
        let matches = |attempt: i64| -> bool {
            let expected = token(&self.secret, &report.job_id, attempt);
            expected.as_bytes().ct_eq(report.token.as_bytes()).into()
        };
        if !matches(attempts) {
            if (1..attempts).any(matches) {
                return Err(Error::Conflict(
                    "this callback belongs to an earlier attempt at the job; it was ignored".into(),
                ));
            }
            return Err(Error::Forbidden(
                "the callback token does not match this job".into(),
            ));
        }
        if job_state != "running" || locked_by.as_deref() != Some(WORKER) {
            if report.status.is_final() {
                return Ok(Recorded::Already);
            }
            return Err(Error::Conflict("the job is no longer running".into()));
        }
        let job = Claimed {
            id: report.job_id.clone(),
            image_id,
            object_key,
            rendition: None,
            worker: WORKER.to_owned(),
            attempts,
            max_attempts,
            model: None,
        };
        match report.status {
            Status::Queued => {
                return Err(Error::bad_request(
                    "a callback reports a step, a result or a failure, not \"queued\"",
                ));
            }
            Status::Fetching | Status::Preprocessing | Status::Predicting => {
                if !self.queue.progress(&job, report.status).await? {
                    return Err(Error::Conflict("the job is no longer running".into()));
                }
            }
            Status::Done => {
                // A registered model's labels are its own: checked for their form only.
                let registered = crate::models::for_image(db, &job.image_id).await?;
                let classes = match registered {
                    Some(_) => None,
                    None => self.classes.as_deref(),
                };
                let labels = checked_labels(report, classes)?;
                let timings = report.timings_ms.as_ref();
                let model = report
                    .model
                    .as_deref()
                    .map(str::trim)
                    .filter(|m| !m.is_empty() && m.chars().count() <= 100)
                    .or(registered.as_ref().map(|m| m.name.as_str()))
                    .unwrap_or(classifier::runtime::DEFAULT_MODEL);
                self.queue
                    .complete(&job, &labels, model, Runner::Lambda, timings)
                    .await?;
                if let Some(t) = timings {
                    tracing::debug!(job = %job.id, model = ?report.model, fetch_ms = t.fetch,
                        preprocess_ms = t.preprocess, predict_ms = t.predict, "classified by Lambda");
                }
            }
            Status::Error => {
                let detail = report
                    .error
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .unwrap_or("the classifier function failed without saying why");
                // What the function says may name buckets, keys and AWS errors: the owner is
                // told only whether the photo itself is the problem.
                let failure = if report.retryable.unwrap_or(true) {
                    Failure::transient("classification failed on our side", detail)
                } else {
                    Failure::broken("this photo could not be read by the classifier", detail)
                };
                self.queue.fail(&job, &failure).await?;
            }
        }
        Ok(Recorded::Yes)
    }
}

/// The labels of a result, checked: a few, each a class of the model (by index and name)
/// with a probability.
fn checked_labels(report: &Callback, classes: Option<&[String]>) -> Result<Vec<Label>> {
    if report.labels.is_empty() || report.labels.len() > 10 {
        return Err(Error::bad_request("a result needs between 1 and 10 labels"));
    }
    if let Some(classes) = classes {
        for l in &report.labels {
            let known = usize::try_from(l.class_index)
                .ok()
                .and_then(|i| classes.get(i))
                .is_some_and(|name| *name == l.label.trim());
            if !known {
                return Err(Error::bad_request(format!(
                    "label {:?} with class index {} is not a class of the model",
                    l.label.chars().take(100).collect::<String>(),
                    l.class_index
                )));
            }
        }
    }
    report
        .labels
        .iter()
        .map(|l| {
            let name = l.label.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(Error::bad_request(
                    "a label needs a name of 1 to 200 characters",
                ));
            }
            if !(0.0..=1.0).contains(&l.score) || l.class_index < 0 {
                return Err(Error::bad_request(
                    "a label's score must be between 0 and 1 and its class index not negative",
                ));
            }
            Ok(Label {
                label: name.to_owned(),
                class_index: l.class_index,
                score: l.score,
            })
        })
        .collect()
}
