//! Speech recognised on this server (issue 18): a recorded command in, its words out, for
//! browsers without the Web Speech API and for people who keep their voice off other
//! services. The model loads on first use. Transcriptions run on blocking threads, at most
//! `workers` at once, with a few more waiting; past that the answer is 503 with
//! `Retry-After`, so that a burst of commands never starves page requests. Each account is
//! also held to a rate, so one person cannot keep the queue full for everyone.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use speech::{Heard, Recogniser};
use tokio::sync::{OnceCell, Semaphore};

use crate::auth::limits::{self, Rate, Subject};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};

/// The kinds of audio taken, as a refusal names them.
pub const TAKEN: &str = "audio/wav (PCM), audio/L16;rate=16000, audio/webm or audio/ogg (Opus)";

/// How long a client waits before trying again when every place is taken, in seconds.
const RETRY_AFTER_SECS: u64 = 2;

pub struct Transcriber {
    dir: Option<PathBuf>,
    threads: usize,
    model: OnceCell<std::result::Result<Arc<Recogniser>, String>>,
    /// Transcriptions running or waiting; a request that finds none free is refused.
    places: Semaphore,
    /// Transcriptions running.
    running: Semaphore,
    /// Largest recording, in bytes.
    pub max_bytes: usize,
    /// Longest recording, in seconds.
    pub max_seconds: f32,
    /// Transcriptions per account and minute.
    per_minute: u32,
}

impl Transcriber {
    pub fn new(config: &Config) -> Self {
        let workers = config.speech_workers.max(1);
        Self {
            dir: config.speech_model_dir.clone(),
            threads: config.speech_threads.max(1),
            model: OnceCell::new(),
            places: Semaphore::new(workers + config.speech_queue),
            running: Semaphore::new(workers),
            max_bytes: config.speech_max_bytes,
            max_seconds: config.speech_max_seconds.clamp(1.0, speech::MAX_SECONDS),
            per_minute: config.speech_per_minute,
        }
    }

    /// The model, loaded on first use (a second or so); why there is none otherwise.
    async fn model(&self) -> Result<Arc<Recogniser>> {
        let dir = self.dir.clone();
        let threads = self.threads;
        self.model
            .get_or_init(|| async move {
                let loaded = tokio::task::spawn_blocking(move || {
                    let dir = dir.map_or_else(speech::default_model_dir, Ok)?;
                    Recogniser::load(&dir, threads)
                })
                .await;
                match loaded {
                    Ok(Ok(model)) => {
                        tracing::info!("speech recognition ready");
                        Ok(Arc::new(model))
                    }
                    Ok(Err(err)) => {
                        tracing::error!(%err, "speech recognition is not available");
                        Err(format!("speech recognition is not available: {err}"))
                    }
                    Err(err) => Err(format!("speech recognition is not available: {err}")),
                }
            })
            .await
            .clone()
            .map_err(Error::Unavailable)
    }

    /// The words of one recording, sent as `content_type` by `owner`.
    pub async fn transcribe(
        &self,
        db: &Db,
        owner: &str,
        content_type: Option<&str>,
        audio: Bytes,
    ) -> Result<Heard> {
        let kind = speech::audio::Kind::of(content_type.unwrap_or("")).ok_or_else(|| {
            Error::Unsupported(format!(
                "a voice command must be sent as {TAKEN}, not {}",
                content_type.unwrap_or("without a Content-Type")
            ))
        })?;
        if audio.is_empty() {
            return Err(Error::bad_request("the recording is empty"));
        }
        if audio.len() > self.max_bytes {
            return Err(self.too_large());
        }
        limits::hit(
            db,
            Subject::Transcription(owner),
            Rate::per_minute(self.per_minute),
        )
        .await?;
        let _place = self.places.try_acquire().map_err(|_| Error::Busy {
            message: "speech recognition is busy; try again in a moment".into(),
            retry_after_secs: RETRY_AFTER_SECS,
        })?;
        let model = self.model().await?;
        let _running = self
            .running
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        let max_seconds = self.max_seconds;
        tokio::task::spawn_blocking(move || {
            let samples = speech::audio::decode(&audio, kind, max_seconds)?;
            model.recognise(&samples)
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|e| match e {
            speech::Error::Input(message) => Error::BadRequest(message),
            speech::Error::Unsupported(message) => Error::Unsupported(message),
            speech::Error::TooLong(message) => Error::TooLarge(message),
            speech::Error::Model(message) => Error::Internal(anyhow::anyhow!(message)),
        })
    }

    pub fn too_large(&self) -> Error {
        Error::TooLarge(format!(
            "a voice command may be at most {} KB and {} seconds long",
            self.max_bytes / 1024,
            self.max_seconds
        ))
    }
}
