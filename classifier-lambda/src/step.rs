//! The classify step of one job — fetch the photo, prepare it, predict, each step told to
//! whoever waits — written once for the server's workers and the Lambda function. They
//! differ only in where the photo comes from and whom they tell ([`Job`]).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;

use crate::preprocess::Sizing;
use crate::protocol::{Label, Status, Timings};
use crate::{Classifier, Error, Model};

/// A model and one session of it: what a worker (or a function instance) classifies with.
#[derive(Clone)]
pub struct Engine {
    model: Arc<Model>,
    session: Arc<Mutex<Classifier>>,
}

/// Why a step failed, and so whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The photo's bytes could not be had; another try may get them.
    Fetch(String),
    /// The photo cannot be read: it will fail the same way every time.
    Unreadable(String),
    /// The model or ONNX Runtime failed; another try may pass.
    Classifier(String),
    /// A step could not be told; another try may.
    Report(String),
}

/// Which of a photo's files a step reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The photo as uploaded.
    Original,
    /// The classifier's rendition made at upload (a few kilobytes, already sized).
    Rendition,
}

/// What a job gives the step: its photo, and where its progress goes.
pub trait Job {
    /// Tells that the job is at `status`; `Ok(false)` when the job is no longer this one's
    /// to do (the photo was deleted or queued again), and the step stops.
    fn report(&self, status: Status) -> impl Future<Output = Result<bool, StepError>> + Send;
    /// The sizing of the classifier's rendition the job names, if it names one.
    fn rendition(&self) -> Option<Sizing>;
    /// The bytes of the photo's original or of its rendition.
    fn fetch(&self, source: Source) -> impl Future<Output = Result<Bytes, StepError>> + Send;
}

/// The outcome of a step that ran to its end.
#[derive(Debug, Clone)]
pub struct Classified {
    pub labels: Vec<Label>,
    pub model: String,
    pub timings: Timings,
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

impl Engine {
    /// A session of `model` with `threads` ONNX Runtime threads.
    pub fn new(model: Arc<Model>, threads: usize) -> Result<Self, Error> {
        let session = Classifier::new(model.clone(), threads)?;
        Ok(Self {
            model,
            session: Arc::new(Mutex::new(session)),
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Fetches, prepares and classifies the job's photo, telling each step; `None` when the
    /// job was taken away before the end.
    pub async fn run(&self, job: &impl Job, top_k: usize) -> Result<Option<Classified>, StepError> {
        let mut timings = Timings::default();
        if !job.report(Status::Fetching).await? {
            return Ok(None);
        }
        let started = Instant::now();
        // The rendition when it was sized as this model sizes photos; otherwise (a model
        // that wants more pixels, a job without one) the original.
        let source = match job.rendition() {
            Some(sizing) if sizing == Sizing::of(&self.model.description) => Source::Rendition,
            _ => Source::Original,
        };
        let bytes = job.fetch(source).await?;
        timings.fetch = ms(started);

        if !job.report(Status::Preprocessing).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let model = self.model.clone();
        let input = blocking(move || Classifier::prepare(&model, &bytes)).await?;
        timings.preprocess = ms(started);

        if !job.report(Status::Predicting).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let (session, k) = (self.session.clone(), top_k.clamp(1, 10));
        let labels = blocking(move || {
            let mut session = session
                .lock()
                .map_err(|_| Error::Model("an earlier job panicked".into()))?;
            session.predict_top_k(input, k)
        })
        .await?;
        timings.predict = ms(started);
        Ok(Some(Classified {
            labels,
            model: self.model.description.name.clone(),
            timings,
        }))
    }
}

/// Runs CPU work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, StepError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(Error::Decode(reason))) => Err(StepError::Unreadable(reason)),
        Ok(Err(Error::Model(reason))) => Err(StepError::Classifier(reason)),
        Err(join) => Err(StepError::Classifier(format!(
            "the classifier stopped: {join}"
        ))),
    }
}
