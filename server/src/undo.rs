//! Undo: each delete or move is remembered for [`KEPT_MS`] with what it changed, so that a
//! page's toast ("Moved 3 photos to Trash · Undo") or the voice command "undo that" can put
//! it back. Only the owner's own changes, and only while they are remembered.

use serde::{Deserialize, Serialize};

use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result};
use crate::trash::{self, Items};
use crate::{folders, images};

/// How long a change can be undone.
pub const KEPT_MS: i64 = 10 * 60 * 1000;

/// What a delete or a move changed, enough to put it back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Photos and folders moved to the Trash.
    Trashed {
        image_ids: Vec<String>,
        folder_ids: Vec<String>,
    },
    /// Photos moved between folders: each with the folder it was in.
    MovedImages { from: Vec<(String, Option<String>)> },
    /// A folder moved: the parent it had.
    MovedFolder { id: String, parent: Option<String> },
}

/// A remembered change and how it was said.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    said: String,
    change: Change,
}

/// What a page's toast shows of a remembered change.
#[derive(Debug, Clone)]
pub struct Remembered {
    pub id: String,
    pub said: String,
}

/// Remembers a change, said as `said` ("Moved 3 photos to Trash"). Its id, for Undo.
pub async fn remember(db: &Db, owner: &str, said: &str, change: Change) -> Result<String> {
    let id = new_id();
    let record = Record {
        said: said.to_owned(),
        change,
    };
    let json = serde_json::to_string(&record).map_err(|e| Error::Internal(e.into()))?;
    sqlx::query("INSERT INTO undo (id, owner_id, change, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(owner)
        .bind(json)
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(id)
}

async fn record(db: &Db, owner: &str, id: Option<&str>) -> Result<Option<(String, Record)>> {
    let since = now_ms() - KEPT_MS;
    let row: Option<(String, String)> =
        match id {
            Some(id) => sqlx::query_as(
                "SELECT id, change FROM undo WHERE id = $1 AND owner_id = $2 AND created_at >= $3",
            )
            .bind(id)
            .bind(owner)
            .bind(since)
            .fetch_optional(db)
            .await?,
            None => {
                sqlx::query_as(
                    "SELECT id, change FROM undo WHERE owner_id = $1 AND created_at >= $2
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                )
                .bind(owner)
                .bind(since)
                .fetch_optional(db)
                .await?
            }
        };
    Ok(match row {
        Some((id, json)) => serde_json::from_str(&json).ok().map(|r| (id, r)),
        None => None,
    })
}

/// A remembered change of the owner's, for a toast; `None` when unknown or too old.
pub async fn find(db: &Db, owner: &str, id: &str) -> Result<Option<Remembered>> {
    Ok(record(db, owner, Some(id))
        .await?
        .map(|(id, r)| Remembered { id, said: r.said }))
}

/// Puts back a remembered change (the latest one when `id` is `None`), once. What was
/// undone, as said when it was done. 404 when there is nothing to undo.
pub async fn undo(db: &Db, owner: &str, id: Option<&str>) -> Result<String> {
    let (id, record) = record(db, owner, id).await?.ok_or(Error::NotFound)?;
    // Forgotten first, so that two clicks undo once.
    let taken = sqlx::query("DELETE FROM undo WHERE id = $1 AND owner_id = $2")
        .bind(&id)
        .bind(owner)
        .execute(db)
        .await?
        .rows_affected();
    if taken == 0 {
        return Err(Error::NotFound);
    }
    match record.change {
        Change::Trashed {
            image_ids,
            folder_ids,
        } => {
            let items = Items {
                image_ids,
                folder_ids,
            };
            trash::restore(db, owner, &items).await?;
        }
        Change::MovedImages { from } => {
            let mut by_folder: Vec<(Option<String>, Vec<String>)> = Vec::new();
            for (image, folder) in from {
                match by_folder.iter_mut().find(|(f, _)| *f == folder) {
                    Some((_, ids)) => ids.push(image),
                    None => by_folder.push((folder, vec![image])),
                }
            }
            for (folder, ids) in by_folder {
                // A folder gone since: back to the top level rather than not at all.
                let live = match &folder {
                    Some(f) => folders::get(db, owner, f).await.is_ok(),
                    None => true,
                };
                let target = if live { folder.as_deref() } else { None };
                images::move_to(db, owner, &ids, target).await?;
            }
        }
        Change::MovedFolder { id, parent } => {
            folders::move_to(db, owner, &id, parent.as_deref()).await?;
        }
    }
    Ok(record.said)
}

/// Forgets changes too old to undo (housekeeping).
pub async fn forget_old(db: &Db) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM undo WHERE created_at < $1")
        .bind(now_ms() - KEPT_MS)
        .execute(db)
        .await?
        .rows_affected())
}

/// "3 photos", "1 photo".
pub fn photos(n: usize) -> String {
    if n == 1 {
        "1 photo".to_owned()
    } else {
        format!("{n} photos")
    }
}
