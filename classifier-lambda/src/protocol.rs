//! What the server and the classifier Lambda say to each other (`shared/DESIGN.md`): the
//! payload of an asynchronous invocation, and the callbacks the function posts back.

use serde::{Deserialize, Serialize};

/// The event the server sends with `InvocationType::Event`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invocation {
    pub job_id: String,
    pub image_id: String,
    pub bucket: String,
    pub key: String,
    pub callback_url: String,
    /// Proves the callbacks come from this invocation: an HMAC the server made of the job
    /// and its attempt. The function only echoes it.
    pub token: String,
    pub top_k: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fetching,
    Preprocessing,
    Predicting,
    Done,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetching => "fetching",
            Self::Preprocessing => "preprocessing",
            Self::Predicting => "predicting",
            Self::Done => "done",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub label: String,
    pub class_index: i64,
    pub score: f64,
}

/// How long each step took, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    #[serde(default)]
    pub fetch: f64,
    #[serde(default)]
    pub preprocess: f64,
    #[serde(default)]
    pub predict: f64,
}

/// One report to `callback_url`: a step (`fetching`, `preprocessing`, `predicting`), the
/// result (`done` with the labels), or `error` with the reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Callback {
    pub job_id: String,
    pub token: String,
    pub status: Status,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings_ms: Option<Timings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For `error`: whether trying again may help (false for a photo that cannot be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
}

impl Callback {
    pub fn step(job: &Invocation, status: Status) -> Self {
        Self {
            job_id: job.job_id.clone(),
            token: job.token.clone(),
            status,
            labels: Vec::new(),
            model: None,
            timings_ms: None,
            error: None,
            retryable: None,
        }
    }
}
