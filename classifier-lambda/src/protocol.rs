//! What the server and the classifier Lambda say to each other (`shared/DESIGN.md`): the
//! payload of an asynchronous invocation, the callbacks the function posts back, and the
//! words both use: a photo's classification status and its labels.

use serde::{Deserialize, Serialize};

/// The event the server sends with `InvocationType::Event`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invocation {
    pub job_id: String,
    pub image_id: String,
    pub bucket: String,
    /// The object to read: the classifier's rendition when `input` says how it was sized,
    /// else the original.
    pub key: String,
    /// With a rendition in `key`: the original, for a model that sizes photos otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_key: Option<String>,
    /// How the rendition in `key` was sized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<crate::preprocess::Sizing>,
    pub callback_url: String,
    /// Proves the callbacks come from this invocation: an HMAC the server made of the job
    /// and its attempt. The function only echoes it.
    pub token: String,
    pub top_k: usize,
    /// A registered model to classify with instead of the function's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
}

/// A registered model in the bucket: the folder (`…/models/ID/`) with its description
/// ([`ModelRef::DESCRIPTION`], a `model.json`), labels and ONNX file, stored as the
/// gallery stores photos (keys without dots, as the gallery's file store wants them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub key: String,
    /// Of the ONNX file: the function checks what it read, and caches by it.
    pub sha256: String,
    pub bytes: u64,
}

impl ModelRef {
    pub const DESCRIPTION: &str = "description";
    pub const LABELS: &str = "labels";
    pub const ONNX: &str = "onnx";
}

/// Where a photo's classification stands: the `status` of an image, and of a callback
/// (which never says `queued`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    Queued,
    Fetching,
    Preprocessing,
    Predicting,
    Done,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Fetching => "fetching",
            Self::Preprocessing => "preprocessing",
            Self::Predicting => "predicting",
            Self::Done => "done",
            Self::Error => "error",
        }
    }

    /// Done or failed: nothing more will happen without a new request.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Error)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Queued,
            Self::Fetching,
            Self::Preprocessing,
            Self::Predicting,
            Self::Done,
            Self::Error,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
        .ok_or_else(|| format!("{s:?} is not a status"))
    }
}

/// One of a photo's top classes, with the model's confidence in it (0 to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    pub label: String,
    pub class_index: i64,
    pub score: f64,
}

/// How long each step took, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// What the function accepts from an event: objects of the gallery's bucket under its
/// users' keys, callbacks only to the gallery's own servers. An event is only as
/// trustworthy as whoever could invoke the function, so it is checked before anything is
/// fetched or posted.
#[derive(Debug, Clone)]
pub struct Trust {
    pub bucket: String,
    /// Keys must start with this (`{prefix}/u/`, or `u/` without a prefix).
    pub key_prefix: String,
    /// Registered models' folders start with this (`{prefix}/models/`).
    pub model_prefix: String,
    /// Origins (`https://host[:port]`) callbacks may go to.
    pub origins: Vec<String>,
    /// The largest object the function reads (the gallery's upload limit).
    pub max_bytes: u64,
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The callback is not one of the gallery's servers: nothing may be sent there.
    Callback(String),
    /// The object is not one of the gallery's photos: the server is told so.
    Object(String),
}

/// The origin of a URL, `scheme://host[:port]`, as browsers compare them.
pub fn origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.username().is_empty() {
        return None;
    }
    Some(parsed.origin().ascii_serialization()).filter(|o| o != "null")
}

impl Trust {
    /// From `GALLERY_STORAGE` (`s3://BUCKET/PREFIX`, the server's own setting),
    /// `GALLERY_CALLBACK_ORIGINS` (comma-separated) and `GALLERY_MAX_UPLOAD_BYTES`.
    pub fn from_settings(storage: &str, origins: &str, max_bytes: u64) -> Result<Self, String> {
        let rest = storage.strip_prefix("s3://").ok_or_else(|| {
            format!("GALLERY_STORAGE must be s3://BUCKET/PREFIX (got {storage:?})")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("GALLERY_STORAGE names no bucket".into());
        }
        let prefix = prefix.trim_matches('/');
        let under = |folder: &str| {
            if prefix.is_empty() {
                format!("{folder}/")
            } else {
                format!("{prefix}/{folder}/")
            }
        };
        let (key_prefix, model_prefix) = (under("u"), under("models"));
        let origins = origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                origin(o).ok_or_else(|| {
                    format!("GALLERY_CALLBACK_ORIGINS: {o:?} is not an http(s) origin")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            return Err(
                "GALLERY_CALLBACK_ORIGINS is empty: name the gallery's origin (https://…)".into(),
            );
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key_prefix,
            model_prefix,
            origins,
            max_bytes,
        })
    }

    pub fn check(&self, job: &Invocation) -> Result<(), Refusal> {
        let callback_ok = origin(&job.callback_url).is_some_and(|o| self.origins.contains(&o));
        if !callback_ok {
            return Err(Refusal::Callback(format!(
                "the callback URL {:?} is not at one of the gallery's origins",
                job.callback_url.chars().take(200).collect::<String>()
            )));
        }
        let plain = |key: &str| {
            !key.split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
                && key.len() <= 1024
        };
        let key_ok = |key: &str| key.starts_with(&self.key_prefix) && plain(key);
        let model_ok = |model: &ModelRef| {
            model.key.starts_with(&self.model_prefix)
                && model.key.ends_with('/')
                && plain(model.key.trim_end_matches('/'))
                && model.sha256.len() == 64
                && model.sha256.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let keys_ok = key_ok(&job.key)
            && job.original_key.as_deref().is_none_or(key_ok)
            && job.model.as_ref().is_none_or(model_ok);
        if job.bucket != self.bucket || !keys_ok {
            return Err(Refusal::Object(
                "the event names an object outside the gallery's photos".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bucket: &str, key: &str, callback: &str) -> Invocation {
        Invocation {
            job_id: "j".into(),
            image_id: "i".into(),
            bucket: bucket.into(),
            key: key.into(),
            original_key: None,
            input: None,
            callback_url: callback.into(),
            token: "t".into(),
            top_k: 3,
            model: None,
        }
    }

    fn trust() -> Trust {
        Trust::from_settings(
            "s3://photos/prod",
            "https://gallery.example.org, http://127.0.0.1:8080",
            50 << 20,
        )
        .unwrap()
    }

    #[test]
    fn only_the_gallerys_photos_and_servers_are_accepted() {
        let t = trust();
        let cb = "https://gallery.example.org/api/v1/classifier/callback";
        assert_eq!(t.check(&event("photos", "prod/u/a/b", cb)), Ok(()));
        assert!(
            t.check(&event("photos", "prod/u/a/b", "http://127.0.0.1:8080/x"))
                .is_ok()
        );
        for (bucket, key) in [
            ("other", "prod/u/a/b"),
            ("photos", "prod/secrets.txt"),
            ("photos", "prod/u/../../etc"),
            ("photos", "staging/u/a/b"),
            ("photos", "prod/u//b"),
        ] {
            assert!(
                matches!(t.check(&event(bucket, key, cb)), Err(Refusal::Object(_))),
                "{bucket}/{key}"
            );
        }
        // The original named beside a rendition is held to the same rules.
        let mut with_original = event("photos", "prod/u/a/b", cb);
        with_original.original_key = Some("prod/u/a/c".into());
        assert_eq!(t.check(&with_original), Ok(()));
        with_original.original_key = Some("prod/secrets.txt".into());
        assert!(matches!(t.check(&with_original), Err(Refusal::Object(_))));
        // So is a registered model: a folder under the gallery's models, named by its hash.
        let mut with_model = event("photos", "prod/u/a/b", cb);
        let sha256 = "ab".repeat(32);
        for (key, ok) in [
            ("prod/models/m1/", true),
            ("prod/models/m1", false),
            ("prod/u/a/", false),
            ("prod/models/../u/", false),
            ("other/models/m1/", false),
        ] {
            with_model.model = Some(ModelRef {
                key: key.into(),
                sha256: sha256.clone(),
                bytes: 10,
            });
            assert_eq!(t.check(&with_model).is_ok(), ok, "{key}");
        }
        for callback in [
            "https://evil.example.com/api/v1/classifier/callback",
            "https://gallery.example.org.evil.com/x",
            "http://gallery.example.org/x",
            "https://user@gallery.example.org/x",
            "file:///etc/passwd",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(
                matches!(
                    t.check(&event("photos", "prod/u/a/b", callback)),
                    Err(Refusal::Callback(_))
                ),
                "{callback}"
            );
        }
    }

    #[test]
    fn settings_are_checked() {
        assert!(Trust::from_settings("fs:data", "https://a.example", 1000).is_err());
        assert!(Trust::from_settings("s3://b", "", 1000).is_err());
        assert!(Trust::from_settings("s3://b", "not a url", 1000).is_err());
        assert_eq!(
            Trust::from_settings("s3://b", "https://a.example", 1000)
                .unwrap()
                .key_prefix,
            "u/"
        );
    }
}
