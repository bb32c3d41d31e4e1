//! The embedded classifier: a pool of workers in the server process, each with its own
//! ONNX Runtime session (one intra-op thread each, one worker per core by default, so the
//! pool never oversubscribes the cores), over one model read once.

use std::sync::{Arc, Mutex};

use classifier::{Classifier, Model};

use super::{Claimed, Failure};
use crate::app::AppState;
use crate::images::Label;

pub const TOP_K: usize = 3;

/// What the workers run: the loaded model, or why there is none (every job then ends in
/// `error` with that reason, instead of the server failing to start again and again).
#[derive(Clone)]
pub enum Engine {
    Ready(Arc<Model>),
    Unavailable(String),
}

/// Loads the model and starts `workers` workers.
pub async fn start(
    state: Arc<AppState>,
    model_dir: Option<std::path::PathBuf>,
    workers: usize,
) -> Engine {
    let engine = tokio::task::spawn_blocking(move || {
        let dir = model_dir.map_or_else(classifier::runtime::default_model_dir, Ok)?;
        let model = Arc::new(Model::load(&dir)?);
        // Fail here, at start-up, if ONNX Runtime or the graph cannot be loaded.
        Classifier::new(model.clone(), 1)?;
        Ok::<_, classifier::Error>(model)
    })
    .await
    .map_err(|e| classifier::Error::Model(e.to_string()))
    .and_then(|r| r);
    let engine = match engine {
        Ok(model) => {
            tracing::info!(model = %model.description.name, workers, "classifier ready");
            Engine::Ready(model)
        }
        Err(err) => {
            tracing::error!(%err, "the classifier is not available; photos will show this reason as an error");
            Engine::Unavailable(format!("the classifier is not available: {err}"))
        }
    };
    for n in 0..workers.max(1) {
        tokio::spawn(run(state.clone(), engine.clone(), n));
    }
    engine
}

async fn run(state: Arc<AppState>, engine: Engine, n: usize) {
    let worker = format!("local-{}-{n}", crate::db::new_id());
    let classifier = match &engine {
        Engine::Ready(model) => {
            let shared = model.clone();
            match tokio::task::spawn_blocking(move || Classifier::new(shared, 1)).await {
                Ok(Ok(c)) => Ok(Loaded {
                    model: model.clone(),
                    session: Arc::new(Mutex::new(c)),
                }),
                Ok(Err(err)) => Err(format!("the classifier is not available: {err}")),
                Err(err) => Err(format!("the classifier is not available: {err}")),
            }
        }
        Engine::Unavailable(reason) => Err(reason.clone()),
    };
    let lease_ms = state.config.job_lease_secs * 1000;
    loop {
        let job = super::next(&state, &worker, lease_ms).await;
        if let Err(err) = run_job(&state, &job, &classifier).await {
            tracing::warn!(job = %job.id, %err, "job bookkeeping failed; the lease will bring it back");
        }
    }
}

/// A worker's own session, and the model it shares with the other workers.
struct Loaded {
    model: Arc<Model>,
    session: Arc<Mutex<Classifier>>,
}

async fn run_job(
    state: &AppState,
    job: &Claimed,
    classifier: &Result<Loaded, String>,
) -> crate::error::Result<()> {
    let db = &state.db;
    let lease_ms = state.config.job_lease_secs * 1000;
    let backoff_ms = super::backoff_ms(state.config.retry_base_ms, job.attempts);
    let bookkeeping = |e: crate::error::Error| {
        Failure::transient("classification was interrupted", e.to_string())
    };
    let outcome = async {
        if let Some(failure) = super::overdue(job) {
            return Err(failure);
        }
        let classifier = classifier
            .as_ref()
            .map_err(|reason| Failure::broken(super::CLASSIFIER_UNAVAILABLE, reason.clone()))?;
        let step = |status: &'static str| super::progress(db, job, status, lease_ms);
        if !step("fetching").await.map_err(bookkeeping)? {
            return Ok(None);
        }
        let bytes = state.storage.get(&job.object_key).await.map_err(|e| {
            Failure::transient(
                "the photo could not be fetched for classification",
                format!("the photo could not be fetched from storage: {e}"),
            )
        })?;
        if !step("preprocessing").await.map_err(bookkeeping)? {
            return Ok(None);
        }
        let model = classifier.model.clone();
        let input = blocking(move || Classifier::prepare(&model, &bytes)).await?;
        if !step("predicting").await.map_err(bookkeeping)? {
            return Ok(None);
        }
        let c = classifier.session.clone();
        let labels = blocking(move || {
            let mut c = c
                .lock()
                .map_err(|_| classifier::Error::Model("a worker panicked".into()))?;
            c.predict_top_k(input, TOP_K)
        })
        .await?;
        Ok(Some(labels))
    };
    match outcome.await {
        Ok(Some(predictions)) => {
            let labels: Vec<Label> = predictions
                .into_iter()
                .map(|p| Label {
                    label: p.label,
                    class_index: p.class_index,
                    score: p.score,
                })
                .collect();
            super::complete(db, job, &labels).await?;
        }
        Ok(None) => {
            tracing::debug!(job = %job.id, "job was taken back (photo deleted or queued again)")
        }
        Err(failure) => super::fail(db, job, &failure, backoff_ms).await?,
    }
    Ok(())
}

/// Runs CPU work off the async threads; a bad photo is permanent, anything else transient.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, classifier::Error> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(classifier::Error::Decode(reason))) => Err(Failure::unreadable(&reason)),
        Ok(Err(classifier::Error::Model(reason))) => {
            Err(Failure::transient(super::CLASSIFIER_UNAVAILABLE, reason))
        }
        Err(join) => Err(Failure::transient(
            super::CLASSIFIER_UNAVAILABLE,
            format!("the classifier stopped: {join}"),
        )),
    }
}
