//! The embedded classifier: a pool of workers in the server process, each with its own
//! ONNX Runtime session (one intra-op thread each, one worker per core by default, so the
//! pool never oversubscribes the cores), over one model read once. Each job is the
//! classifier's one classify step ([`classifier::step`]), told to the queue.

use std::sync::Arc;

use bytes::Bytes;
use classifier::Model;
use classifier::preprocess::Sizing;
use classifier::step::{Engine, Job, Source, StepError};

use super::{Claimed, Failure, Queue, Runner};
use crate::models::{Registered, Registry};
use crate::storage::Storage;
use classifier::protocol::Status;

pub use crate::models::TOP_K;

/// The start of every local worker's name (the Lambda's is different).
pub const WORKER_PREFIX: &str = "local-";

/// Registered models' sessions a worker keeps (each a copy of the network's state).
const KEPT_ENGINES: usize = 2;

/// Starts `workers` workers over the gallery's own model (read once, by the registry) and
/// the registered ones their jobs name.
pub async fn start(queue: Queue, storage: Storage, registry: Arc<Registry>, workers: usize) {
    let checked = match registry.default.clone() {
        Ok(model) => tokio::task::spawn_blocking(move || {
            // Fail here, at start-up, if ONNX Runtime or the graph cannot be loaded.
            Engine::new(model.clone(), 1).map(|_| model)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string())),
        Err(reason) => Err(reason),
    };
    let loaded = match checked {
        Ok(model) => {
            tracing::info!(model = %model.description.name, workers, "classifier ready");
            Ok(model)
        }
        Err(err) => {
            tracing::error!(%err, "the classifier is not available; photos will show this reason as an error");
            Err(format!("the classifier is not available: {err}"))
        }
    };
    for n in 0..workers.max(1) {
        let worker = Worker {
            queue: queue.clone(),
            storage: storage.clone(),
            registry: registry.clone(),
            engines: lru::LruCache::new(
                std::num::NonZeroUsize::new(KEPT_ENGINES).expect("not zero"),
            ),
        };
        tokio::spawn(worker.run(loaded.clone(), n));
    }
}

struct Worker {
    queue: Queue,
    storage: Storage,
    registry: Arc<Registry>,
    /// Sessions of registered models, by the SHA-256 of their file.
    engines: lru::LruCache<String, Engine>,
}

impl Worker {
    async fn run(mut self, loaded: Result<Arc<Model>, String>, n: usize) {
        let worker = format!("{WORKER_PREFIX}{}-{n}", crate::db::new_id());
        let engine = match loaded {
            Ok(model) => match tokio::task::spawn_blocking(move || Engine::new(model, 1)).await {
                Ok(Ok(engine)) => Ok(engine),
                Ok(Err(err)) => Err(format!("the classifier is not available: {err}")),
                Err(err) => Err(format!("the classifier is not available: {err}")),
            },
            Err(reason) => Err(reason),
        };
        loop {
            let job = self.queue.next(&worker).await;
            let engine = match &job.model {
                None => engine.clone(),
                Some(model) => self.registered(model).await,
            };
            if let Err(err) = run_job(&self.queue, &self.storage, &job, &engine).await {
                tracing::warn!(job = %job.id, %err, "job bookkeeping failed; the lease will bring it back");
            }
        }
    }

    /// A session of a registered model: kept from an earlier job, or made now.
    async fn registered(&mut self, model: &Registered) -> Result<Engine, String> {
        if let Some(engine) = self.engines.get(&model.sha256) {
            return Ok(engine.clone());
        }
        let loaded = self.registry.load(model).await?;
        let engine = tokio::task::spawn_blocking(move || Engine::new(loaded, 1))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("the model {} cannot be loaded: {e}", model.name))?;
        self.engines.put(model.sha256.clone(), engine.clone());
        Ok(engine)
    }
}

/// A claimed job as the classify step sees it: the photo in storage, the steps in the queue.
struct Local<'a> {
    queue: &'a Queue,
    storage: &'a Storage,
    job: &'a Claimed,
}

impl Job for Local<'_> {
    async fn report(&self, status: Status) -> Result<bool, StepError> {
        self.queue
            .progress(self.job, status)
            .await
            .map_err(|e| StepError::Report(e.to_string()))
    }

    fn rendition(&self) -> Option<Sizing> {
        self.job.rendition.as_ref().map(|(_, sizing)| *sizing)
    }

    async fn fetch(&self, source: Source) -> Result<Bytes, StepError> {
        let key = match (source, &self.job.rendition) {
            (Source::Rendition, Some((key, _))) => {
                // Still in memory when this server took the upload.
                if let Some(bytes) = self.queue.take_rendition(key) {
                    return Ok(bytes);
                }
                key
            }
            _ => &self.job.object_key,
        };
        self.storage.get(key).await.map_err(|e| {
            StepError::Fetch(format!("the photo could not be fetched from storage: {e}"))
        })
    }
}

impl From<StepError> for Failure {
    fn from(err: StepError) -> Self {
        match err {
            StepError::Unreadable(reason) => Failure::unreadable(&reason),
            StepError::Fetch(detail) => {
                Failure::transient("the photo could not be fetched for classification", detail)
            }
            StepError::Classifier(detail) => {
                Failure::transient(super::CLASSIFIER_UNAVAILABLE, detail)
            }
            StepError::Report(detail) => {
                Failure::transient("classification was interrupted", detail)
            }
        }
    }
}

async fn run_job(
    queue: &Queue,
    storage: &Storage,
    job: &Claimed,
    engine: &Result<Engine, String>,
) -> crate::error::Result<()> {
    if let Some(failure) = super::overdue(job) {
        return queue.fail(job, &failure).await;
    }
    let engine = match engine {
        Ok(engine) => engine,
        Err(reason) => {
            let failure = Failure::broken(super::CLASSIFIER_UNAVAILABLE, reason.clone());
            return queue.fail(job, &failure).await;
        }
    };
    let local = Local {
        queue,
        storage,
        job,
    };
    match engine.run(&local, TOP_K).await {
        Ok(Some(classified)) => {
            let timings = Some(&classified.timings);
            queue
                .complete(
                    job,
                    &classified.labels,
                    &classified.model,
                    Runner::Local,
                    timings,
                )
                .await?;
        }
        Ok(None) => {
            tracing::debug!(job = %job.id, "job was taken back (photo deleted or queued again)")
        }
        Err(err) => queue.fail(job, &Failure::from(err)).await?,
    }
    Ok(())
}
