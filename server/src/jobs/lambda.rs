//! The classifier as an AWS Lambda (`GALLERY_CLASSIFIER=lambda:FUNCTION`). Each server runs
//! a dispatcher that claims jobs from the same durable queue as the embedded workers and
//! invokes the function asynchronously (`InvocationType::Event`). The function reports its
//! steps and its result to the callback endpoint of any server; a callback counts only with
//! the token of the job's current attempt, an HMAC the servers make with a shared secret.
//! A job whose callback never comes is claimed again when its lease runs out.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use axum::Json;
use axum::extract::State;
use classifier::protocol::{Callback, Invocation, Status};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use super::worker::TOP_K;
use super::{Claimed, Failure};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::error::{Error, Result};
use crate::images::Label;

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

fn holder(attempt: i64) -> String {
    format!("{WORKER}:{attempt}")
}

/// Starts this server's dispatcher for `function`; the function calls back at
/// `callback_base` + [`CALLBACK_PATH`].
pub async fn start(state: Arc<AppState>, function: String, callback_base: &str) {
    let lease = Duration::from_secs(state.config.job_lease_secs.max(1) as u64);
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(endpoint) = &state.config.lambda_endpoint {
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
    let dir = state.config.model_dir.clone();
    match tokio::task::spawn_blocking(move || {
        let dir = dir.map_or_else(classifier::runtime::default_model_dir, Ok)?;
        classifier::Model::load(&dir)
    })
    .await
    {
        Ok(Ok(model)) => {
            let _ = state
                .classes
                .set(model.labels.iter().map(|l| l.name.clone()).collect());
        }
        Ok(Err(err)) => {
            tracing::warn!(%err, "the model's labels cannot be read; callbacks are checked only for their form")
        }
        Err(err) => tracing::warn!(%err, "the model's labels cannot be read"),
    }
    let callback_url = format!("{}{CALLBACK_PATH}", callback_base.trim_end_matches('/'));
    tracing::info!(%function, %callback_url, "classifying with AWS Lambda");
    tokio::spawn(dispatch(
        state,
        client,
        Arc::new(function),
        Arc::new(callback_url),
    ));
}

async fn dispatch(
    state: Arc<AppState>,
    client: aws_sdk_lambda::Client,
    function: Arc<String>,
    callback_url: Arc<String>,
) {
    let lease_ms = state.config.job_lease_secs * 1000;
    let slots = Arc::new(Semaphore::new(state.config.lambda_concurrency.max(1)));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let job = super::next(&state, WORKER, lease_ms).await;
        let (state, client) = (state.clone(), client.clone());
        let (function, callback_url) = (function.clone(), callback_url.clone());
        tokio::spawn(async move {
            if let Err(err) = invoke(&state, &client, &function, &callback_url, &job).await {
                tracing::warn!(job = %job.id, %err, "job bookkeeping failed; the lease will bring it back");
            }
            drop(slot);
        });
    }
}

/// Sends one attempt at a job to the function. Only a failure to hand it over is recorded
/// here; what the function does is reported by its callbacks.
async fn invoke(
    state: &AppState,
    client: &aws_sdk_lambda::Client,
    function: &str,
    callback_url: &str,
    job: &Claimed,
) -> Result<()> {
    if let Some(failure) = super::overdue(job) {
        return super::fail(&state.db, job, &failure, 0).await;
    }
    let Some((bucket, key)) = state.storage.s3_location(&job.object_key) else {
        let detail = "the Lambda classifier needs the photos in S3 (GALLERY_STORAGE=s3://…)";
        let failure = Failure::broken(super::CLASSIFIER_UNAVAILABLE, detail);
        return super::fail(&state.db, job, &failure, 0).await;
    };
    let secret = state.config.callback_secret.as_deref().unwrap_or_default();
    let payload = Invocation {
        job_id: job.id.clone(),
        image_id: job.image_id.clone(),
        bucket,
        key,
        callback_url: callback_url.to_owned(),
        token: token(secret, &job.id, job.attempts),
        top_k: TOP_K,
    };
    let payload = serde_json::to_vec(&payload).map_err(|e| Error::Internal(e.into()))?;
    let sent = client
        .invoke()
        .function_name(function)
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
        // Handed over but not acknowledged in time (an emulator that waits for the function
        // does this): the function may still call back, and the lease decides otherwise.
        Err(SdkError::TimeoutError(_)) => {
            tracing::warn!(job = %job.id, "no acknowledgement from the classifier function in time");
            Ok(())
        }
        Err(err) => {
            let detail = classifier::sdk_error_reason(err);
            let failure = Failure::transient(
                "the classification service could not be reached",
                format!("the classifier function {function} could not be invoked: {detail}"),
            );
            let backoff = super::backoff_ms(state.config.retry_base_ms, job.attempts);
            super::fail(&state.db, job, &failure, backoff).await
        }
    }
}

/// `POST /api/v1/classifier/callback`: a step, the result or a failure of one attempt.
/// Forged tokens get 403 and an earlier attempt's token 409; a repeated final report of
/// the current attempt is answered `{"recorded": false}` and changes nothing.
pub async fn callback(
    State(state): State<Arc<AppState>>,
    ApiJson(report): ApiJson<Callback>,
) -> Result<Json<Value>> {
    let Some(secret) = state.config.callback_secret.as_deref() else {
        return Err(Error::NotFound);
    };
    let row: Option<(String, String, i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT j.image_id, j.state, j.attempts, j.max_attempts, j.locked_by, i.object_key
         FROM jobs j JOIN images i ON i.id = j.image_id WHERE j.id = $1",
    )
    .bind(&report.job_id)
    .fetch_optional(&state.db)
    .await?;
    let Some((image_id, job_state, attempts, max_attempts, locked_by, object_key)) = row else {
        return Err(Error::Gone(
            "there is no such job: the photo was deleted or queued again".into(),
        ));
    };
    let matches = |attempt: i64| -> bool {
        let expected = token(secret, &report.job_id, attempt);
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
    let final_report = matches!(report.status, Status::Done | Status::Error);
    if job_state != "running" || locked_by.as_deref() != Some(holder(attempts).as_str()) {
        if final_report {
            return Ok(Json(
                json!({"recorded": false, "reason": "this attempt is already recorded"}),
            ));
        }
        return Err(Error::Conflict("the job is no longer running".into()));
    }
    let job = Claimed {
        id: report.job_id.clone(),
        image_id,
        object_key,
        attempts,
        max_attempts,
        holder: holder(attempts),
    };
    let lease_ms = state.config.job_lease_secs * 1000;
    match report.status {
        Status::Fetching | Status::Preprocessing | Status::Predicting => {
            if !super::progress(&state.db, &job, report.status.as_str(), lease_ms).await? {
                return Err(Error::Conflict("the job is no longer running".into()));
            }
        }
        Status::Done => {
            let labels = checked_labels(&report, state.classes.get().map(Vec::as_slice))?;
            super::complete(&state.db, &job, &labels).await?;
            if let Some(t) = &report.timings_ms {
                tracing::info!(job = %job.id, model = ?report.model, fetch_ms = t.fetch,
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
            let backoff = super::backoff_ms(state.config.retry_base_ms, attempts);
            super::fail(&state.db, &job, &failure, backoff).await?;
            state.wake_workers();
        }
    }
    Ok(Json(json!({"recorded": true})))
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
