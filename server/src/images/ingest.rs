//! Storing checked uploads: the owner's quota, then objects in storage and rows in one
//! transaction, or nothing at all.

use super::decode::Prepared;
use super::{Image, Status};
use crate::db::{Db, lock_owner, new_id, now_ms};
use crate::error::{Error, Result};
use crate::jobs::{self, Queue};
use crate::spool::Original;
use crate::storage::{self, Storage};
use crate::{activity, usage};

/// How many bytes an owner may keep in all: their own quota, else the server's default;
/// `None` for no limit.
pub async fn quota(db: &Db, owner: &str, default: Option<u64>) -> Result<Option<u64>> {
    let own: Option<(Option<i64>,)> = sqlx::query_as("SELECT quota_bytes FROM users WHERE id = $1")
        .bind(owner)
        .fetch_optional(db)
        .await?;
    Ok(own.and_then(|(q,)| q).map(|q| q.max(0) as u64).or(default))
}

async fn used_bytes(db: impl sqlx::Executor<'_, Database = sqlx::Any>, owner: &str) -> Result<u64> {
    let used: Option<(i64,)> = sqlx::query_as("SELECT bytes_used FROM users WHERE id = $1")
        .bind(owner)
        .fetch_optional(db)
        .await?;
    Ok(used.map_or(0, |(u,)| u.max(0) as u64))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn over_quota(quota: u64, used: u64, adding: u64) -> Error {
    let left = quota.saturating_sub(used);
    Error::TooLarge(if adding == 0 {
        format!(
            "your storage is full: {} of your {} are used; delete some photos to make room",
            megabytes(used),
            megabytes(quota)
        )
    } else {
        format!(
            "this upload needs {} but only {} of your {} are left; delete some photos or upload fewer",
            megabytes(adding),
            megabytes(left),
            megabytes(quota)
        )
    })
}

/// Refuses an upload before its body is read when the owner has no room left at all.
pub async fn check_room(db: &Db, owner: &str, quota: Option<u64>) -> Result<()> {
    if let Some(quota) = quota {
        let used = used_bytes(db, owner).await?;
        if used >= quota {
            return Err(over_quota(quota, used, 0));
        }
    }
    Ok(())
}

/// Stores checked uploads: objects first, then every row and job in one transaction.
/// On any failure the objects already written are removed again. An upload that would
/// take the owner past their quota is refused (413) as a whole.
pub async fn store(
    db: &Db,
    storage: &Storage,
    queue: &Queue,
    owner: &str,
    folder: Option<&str>,
    prepared: Vec<Prepared>,
    quota: Option<u64>,
) -> Result<Vec<Image>> {
    if let Some(folder) = folder {
        crate::access::require_folder(db, owner, folder, crate::access::Role::Contributor).await?;
    }
    let adding: u64 = prepared.iter().map(|p| p.original.len()).sum();
    if let Some(quota) = quota {
        let used = used_bytes(db, owner).await?;
        if used + adding > quota {
            return Err(over_quota(quota, used, adding));
        }
    }
    let mut written: Vec<String> = Vec::with_capacity(prepared.len() * 2);
    let result = write_all(db, storage, owner, folder, &prepared, quota, &mut written).await;
    match result {
        Ok(stored) => {
            // This server's workers take the classifier's renditions from memory.
            for (p, (_, input_key)) in prepared.iter().zip(&stored) {
                if let (Some(key), Some(bytes)) = (input_key, &p.input) {
                    queue.keep_rendition(key, bytes.clone());
                }
            }
            queue.wake();
            let ids: Vec<String> = stored.into_iter().map(|(id, _)| id).collect();
            super::get_many(db, owner, &ids).await
        }
        Err(err) => {
            storage::delete_all(storage, written).await;
            Err(err)
        }
    }
}

/// Writes the objects, then the rows in one transaction: each photo's id and the key of its
/// classifier's rendition.
async fn write_all(
    db: &Db,
    storage: &Storage,
    owner: &str,
    folder: Option<&str>,
    prepared: &[Prepared],
    quota: Option<u64>,
    written: &mut Vec<String>,
) -> Result<Vec<(String, Option<String>)>> {
    // The original, the thumbnail, the viewer's and the classifier's renditions.
    let mut keys = Vec::with_capacity(prepared.len());
    for p in prepared {
        let key = storage::new_key(owner);
        match &p.original {
            Original::Memory(data) => storage.put(&key, data.clone(), p.content_type).await?,
            Original::File { path, len } => {
                storage.put_file(&key, path, *len, p.content_type).await?
            }
        }
        written.push(key.clone());
        let thumb = storage::new_key(owner);
        storage
            .put(&thumb, p.thumbnail.clone(), "image/jpeg")
            .await?;
        written.push(thumb.clone());
        let display = storage::new_key(owner);
        storage
            .put(&display, p.display.clone(), "image/jpeg")
            .await?;
        written.push(display.clone());
        let input = match &p.input {
            Some(bytes) => {
                let input = storage::new_key(owner);
                storage.put(&input, bytes.clone(), "image/png").await?;
                written.push(input.clone());
                Some(input)
            }
            None => None,
        };
        keys.push((key, thumb, display, input));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    // The owner's uploads take turns here, so two at once cannot both fit the last room.
    lock_owner(&mut tx, owner).await?;
    if let Some(quota) = quota {
        let adding: u64 = prepared.iter().map(|p| p.original.len()).sum();
        let used = used_bytes(&mut *tx, owner).await?;
        if used + adding > quota {
            return Err(over_quota(quota, used, adding));
        }
    }
    let mut ids = Vec::with_capacity(prepared.len());
    for (p, (object_key, thumb_key, display_key, input_key)) in prepared.iter().zip(&keys) {
        let id = new_id();
        sqlx::query(
            "INSERT INTO images (id, owner_id, folder_id, filename, content_type, bytes, width, height, sha256,
                taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height,
                display_key, display_width, display_height, input_key, input_sizing, camera, lens,
                name_words)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                $20, $21, $22, $23, $24)",
        )
        .bind(&id)
        .bind(owner)
        .bind(folder)
        .bind(&p.filename)
        .bind(p.content_type)
        .bind(p.original.len() as i64)
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(&p.sha256)
        .bind(p.taken_at)
        .bind(now)
        .bind(Status::Queued.as_str())
        .bind(object_key)
        .bind(thumb_key)
        .bind(i64::from(p.thumb_width))
        .bind(i64::from(p.thumb_height))
        .bind(display_key)
        .bind(i64::from(p.display_width))
        .bind(i64::from(p.display_height))
        .bind(input_key)
        .bind(input_key.as_ref().map(|_| p.sizing.to_string()))
        .bind(&p.camera)
        .bind(&p.lens)
        .bind(crate::search::name_words_of(&p.filename))
        .execute(&mut *tx)
        .await?;
        ids.push(id);
    }
    jobs::enqueue_many(&mut tx, &ids, now, jobs::Source::Rendition).await?;
    let bytes: u64 = prepared.iter().map(|p| p.original.len()).sum();
    usage::add(&mut tx, owner, ids.len() as i64, bytes as i64).await?;
    activity::add(&mut *tx, activity::Kind::Uploads, ids.len() as i64, now).await?;
    tx.commit().await?;
    metrics::counter!("gallery_uploads_total").increment(ids.len() as u64);
    metrics::counter!("gallery_upload_bytes_total").increment(bytes);
    Ok(ids
        .into_iter()
        .zip(keys.into_iter().map(|(_, _, _, input)| input))
        .collect())
}
