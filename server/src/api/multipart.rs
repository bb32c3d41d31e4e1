//! The one reader of multipart forms, for the API and the pages alike: files stream into a
//! [`Spool`] under a size limit, text fields are capped, unknown fields are read past, and
//! a form refused early is read to its end first, so that the client reads the answer
//! rather than a broken pipe.

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::{HeaderMap, StatusCode, header};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::images::upload::Uploads;
use crate::images::{self, Image};
use crate::jobs::Queue;
use crate::models::Submission;
use crate::spool::{Received, Spool};
use crate::storage::Storage;

/// The most a text field of a form may hold, unless the form says otherwise.
const MAX_TEXT_BYTES: usize = 4096;

/// One field of a form, as the caller asked for it.
pub enum Part {
    /// A file field, whole, hashed as it came.
    File { filename: String, data: Received },
    /// A file field past the size limit: read past, nothing kept.
    TooLarge { filename: String },
    /// A text field.
    Text { name: String, value: String },
}

/// Reads the fields of one form in order: `files` name the file fields, `texts` the text
/// fields (with their limit); everything else is read past.
pub struct Reader<'a> {
    multipart: Multipart,
    files: &'a [&'a str],
    texts: &'a [(&'a str, usize)],
    max_file_bytes: u64,
    tmp_dir: Option<std::path::PathBuf>,
}

impl From<MultipartError> for Error {
    fn from(err: MultipartError) -> Self {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge("the upload is larger than the server accepts in one request".into())
        } else {
            Error::bad_request(format!("the upload could not be read: {}", err.body_text()))
        }
    }
}

impl<'a> Reader<'a> {
    pub fn new(
        multipart: Multipart,
        files: &'a [&'a str],
        texts: &'a [(&'a str, usize)],
        max_file_bytes: u64,
        tmp_dir: Option<std::path::PathBuf>,
    ) -> Self {
        Self {
            multipart,
            files,
            texts,
            max_file_bytes,
            tmp_dir,
        }
    }

    /// The next field asked for, or `None` at the end of the form.
    pub async fn next(&mut self) -> Result<Option<Part>> {
        while let Some(mut field) = self.multipart.next_field().await? {
            let name = field.name().unwrap_or_default().to_owned();
            if self.files.contains(&name.as_str()) {
                let (limit, tmp_dir) = (self.max_file_bytes, self.tmp_dir.clone());
                return file(field, limit, tmp_dir).await.map(Some);
            }
            if let Some((_, limit)) = self.texts.iter().find(|(n, _)| *n == name) {
                let value = text(&mut field, &name, *limit).await?;
                return Ok(Some(Part::Text { name, value }));
            }
            while field.chunk().await?.is_some() {}
        }
        Ok(None)
    }

    /// Reads past the rest of the form, then answers `err`: a refused form is answered
    /// after its body, so that the client sees the answer rather than a reset connection.
    pub async fn refuse(mut self, err: Error) -> Error {
        discard(&mut self.multipart).await;
        err
    }
}

/// A file field, spooled up to `limit` bytes; past it, read to its end and refused.
async fn file(
    mut field: Field<'_>,
    limit: u64,
    tmp_dir: Option<std::path::PathBuf>,
) -> Result<Part> {
    let filename = images::decode::clean_filename(field.file_name());
    let mut data = Spool::new(tmp_dir);
    while let Some(chunk) = field.chunk().await? {
        if data.len() + chunk.len() as u64 > limit {
            while field.chunk().await?.is_some() {}
            return Ok(Part::TooLarge { filename });
        }
        data.write(&chunk)
            .await
            .map_err(|e| Error::Internal(e.into()))?;
    }
    let data = data.finish().await.map_err(|e| Error::Internal(e.into()))?;
    Ok(Part::File { filename, data })
}

/// A text field, read only as far as `limit` bytes.
async fn text(field: &mut Field<'_>, name: &str, limit: usize) -> Result<String> {
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if value.len() + chunk.len() > limit {
            return Err(Error::bad_request(format!(
                "the field {name} is too long (at most {limit} bytes)"
            )));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value)
        .map_err(|_| Error::bad_request(format!("the field {name} is not text")))
}

/// Reads past a whole form without keeping any of it.
async fn discard(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// Takes in an upload form for `owner` (`file` parts and an optional `folder_id`): refused
/// at once when their storage is full (the body read past), else each file checked and
/// decoded as it arrives, then all stored.
pub async fn upload_photos(
    uploads: &Uploads,
    db: &Db,
    storage: &Storage,
    queue: &Queue,
    owner: &str,
    multipart: Multipart,
) -> Result<Vec<Image>> {
    let policy = &uploads.policy;
    let mut form = Reader::new(
        multipart,
        &["file"],
        &[("folder_id", MAX_TEXT_BYTES)],
        policy.max_bytes as u64,
        policy.tmp_dir.clone(),
    );
    let quota = match uploads.room(db, owner).await {
        Ok(quota) => quota,
        Err(full) => return Err(form.refuse(full).await),
    };
    let (mut folder_id, mut files) = (None, Vec::new());
    while let Some(part) = form.next().await? {
        match part {
            Part::Text { value, .. } => {
                folder_id = Some(value.trim().to_owned()).filter(|v| !v.is_empty() && v != "null");
            }
            Part::File { filename, data } => match uploads.prepare(filename, data).await {
                Ok(prepared) => files.push(prepared),
                Err(err) => return Err(form.refuse(err).await),
            },
            Part::TooLarge { filename } => {
                let err = images::decode::too_large(&filename, policy.max_bytes);
                return Err(form.refuse(err).await);
            }
        }
    }
    if files.is_empty() {
        return Err(Error::bad_request(
            "choose at least one photo to upload (multipart field \"file\")",
        ));
    }
    images::ingest::store(
        db,
        storage,
        queue,
        owner,
        folder_id.as_deref(),
        files,
        quota,
    )
    .await
}

/// The most a model's description or label list may hold.
const MAX_MODEL_TEXT_BYTES: usize = 16 << 20;

/// Reads a classifier's registration form (`file`, `description`, `labels`). A request that
/// says it is larger than any registration may be is a 413 at once (a client that waits
/// for `100 Continue` then sends nothing).
pub async fn model_submission(
    headers: &HeaderMap,
    multipart: Multipart,
    max_bytes: u64,
    tmp_dir: Option<std::path::PathBuf>,
) -> Result<Submission> {
    let too_large = || {
        Error::TooLarge(format!(
            "the model is larger than the {max_bytes} bytes a model may have"
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_bytes.saturating_add(1 << 20)) {
        return Err(too_large());
    }
    let texts = [
        ("description", MAX_MODEL_TEXT_BYTES),
        ("labels", MAX_MODEL_TEXT_BYTES),
    ];
    let mut form = Reader::new(multipart, &["file"], &texts, max_bytes, tmp_dir);
    let (mut file, mut description, mut labels) = (None, None, None);
    while let Some(part) = form.next().await? {
        match part {
            Part::File { data, .. } => file = Some(data),
            Part::TooLarge { .. } => return Err(form.refuse(too_large()).await),
            Part::Text { name, value } if name == "description" => description = Some(value),
            Part::Text { value, .. } => labels = Some(value),
        }
    }
    let missing = |what: &str| Error::bad_request(format!("the form has no {what}"));
    let file = file
        .filter(|f| !f.original.is_empty())
        .ok_or_else(|| missing("file (the ONNX model)"))?;
    Ok(Submission {
        sha256: file.sha256,
        file: file.original,
        description: description
            .filter(|d| !d.trim().is_empty())
            .ok_or_else(|| missing("description"))?,
        labels: labels
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| missing("labels"))?,
    })
}
