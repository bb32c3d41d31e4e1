//! Reading a multipart upload: `file` parts (one or more) and an optional `folder_id`.
//! Each file is size-checked as it streams in (a large one waits in a temporary file, not
//! in memory) and decoded on a blocking thread, a few at a time, so that large uploads
//! cannot take all the memory or all the cores.

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use tokio::sync::Semaphore;

use super::Image;
use super::ingest::{self, Policy, Prepared, Spool};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::jobs::Queue;
use crate::storage::Storage;

/// What uploads are held to: the checks of each file, how many are decoded at once (memory
/// and cores), and the storage each user may fill unless an admin set theirs.
pub struct Uploads {
    pub policy: Policy,
    pub decode_slots: Semaphore,
    pub default_quota: Option<u64>,
}

/// Takes in an upload form for `owner` (the page's and the API's alike): refused at once
/// when their storage is full (the body read past, so that the client sees the answer),
/// else read, checked and stored.
pub async fn accept(
    uploads: &Uploads,
    db: &Db,
    storage: &Storage,
    queue: &Queue,
    owner: &str,
    multipart: Multipart,
) -> Result<Vec<Image>> {
    let quota = ingest::quota(db, owner, uploads.default_quota).await?;
    if let Err(full) = ingest::check_room(db, owner, quota).await {
        discard(multipart).await;
        return Err(full);
    }
    let form = read(multipart, &uploads.policy, &uploads.decode_slots).await?;
    ingest::store(
        db,
        storage,
        queue,
        owner,
        form.folder_id.as_deref(),
        form.files,
        quota,
    )
    .await
}

struct UploadForm {
    folder_id: Option<String>,
    files: Vec<Prepared>,
}

impl From<MultipartError> for Error {
    fn from(err: MultipartError) -> Self {
        if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge("the upload is larger than the server accepts in one request".into())
        } else {
            Error::bad_request(format!("the upload could not be read: {}", err.body_text()))
        }
    }
}

/// The most a text field of the form may hold (a folder id is 32 characters).
const MAX_TEXT_FIELD_BYTES: usize = 4096;

/// A text field, read only as far as [`MAX_TEXT_FIELD_BYTES`].
async fn text_field(field: &mut Field<'_>, name: &str) -> Result<String> {
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if value.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(Error::bad_request(format!(
                "the field {name} is too long (at most {MAX_TEXT_FIELD_BYTES} bytes)"
            )));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value)
        .map_err(|_| Error::bad_request(format!("the field {name} is not valid text")))
}

/// Reads past a whole form without keeping any of it: a refused upload is answered after
/// its body, so that the client sees the answer rather than a reset connection.
async fn discard(mut multipart: Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

async fn read(
    mut multipart: Multipart,
    policy: &Policy,
    decode_slots: &Semaphore,
) -> Result<UploadForm> {
    let mut folder_id = None;
    let mut files = Vec::new();
    let mut refusal: Option<Error> = None;
    while let Some(mut field) = multipart.next_field().await? {
        match field.name() {
            Some("folder_id") => {
                let value = text_field(&mut field, "folder_id").await?;
                folder_id = Some(value.trim().to_owned()).filter(|v| !v.is_empty() && v != "null");
            }
            Some("file") if refusal.is_none() => {
                let filename = ingest::clean_filename(field.file_name());
                let mut data = Spool::new(policy.tmp_dir.clone());
                while let Some(chunk) = field.chunk().await? {
                    if data.len() + chunk.len() as u64 > policy.max_bytes as u64 {
                        refusal = Some(ingest::too_large(&filename, policy.max_bytes));
                        break;
                    }
                    data.write(&chunk)
                        .await
                        .map_err(|e| Error::Internal(e.into()))?;
                }
                if refusal.is_some() {
                    continue;
                }
                let _slot = decode_slots
                    .acquire()
                    .await
                    .map_err(|e| Error::Internal(e.into()))?;
                let data = data.finish().await.map_err(|e| Error::Internal(e.into()))?;
                let policy = policy.clone();
                match tokio::task::spawn_blocking(move || ingest::prepare(filename, data, &policy))
                    .await
                {
                    Ok(Ok(prepared)) => files.push(prepared),
                    Ok(Err(err)) => refusal = Some(err),
                    Err(join) => return Err(Error::Internal(join.into())),
                }
            }
            // Read past the rest of the body so the client gets the answer, not a reset.
            _ => while field.chunk().await?.is_some() {},
        }
    }
    if let Some(err) = refusal {
        return Err(err);
    }
    if files.is_empty() {
        return Err(Error::bad_request(
            "choose at least one photo to upload (multipart field \"file\")",
        ));
    }
    Ok(UploadForm { folder_id, files })
}
