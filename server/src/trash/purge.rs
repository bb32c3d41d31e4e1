//! Deleting for good: the named items of a Trash, all of it, or (housekeeping, on every
//! server) whatever has been there longer than `GALLERY_TRASH_DAYS`.
//!
//! Photos go in batches, each its own transaction, so that emptying a Trash of thousands
//! does not hold the database's write lock from other users. In each batch the rows go
//! first (`DELETE … RETURNING` their objects' keys: two servers purging at once never both
//! get a row) and the objects after the commit, so no row ever points at a missing object;
//! an object left by a crash in between belongs to no row and is swept later
//! (`admin::housekeeping::sweep`).

use std::collections::HashMap;

use super::{DAY_MS, Items, path_of};
use crate::db::{Db, lock_owner, now_ms, placeholders};
use crate::error::{Error, Result};
use crate::storage::{self, PHOTO_OBJECTS, Storage};

/// Photos deleted per transaction.
pub const BATCH: usize = 200;

/// What to delete for good.
pub enum Which<'a> {
    Items(&'a Items),
    /// Everything in the owner's Trash.
    All,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Deletes for good what an owner names from their Trash (all of it, or none: 404 when an
/// item is not in it), or the whole Trash. How many photos are gone.
pub async fn purge(db: &Db, storage: &Storage, owner: &str, which: Which<'_>) -> Result<u64> {
    let owned = Bind::Text(owner.to_owned());
    match which {
        Which::All => {
            let cond = "owner_id = $1 AND trashed_at IS NOT NULL";
            let gone = photos(db, storage, cond, vec![owned]).await?;
            sqlx::query(HAND_BACK_ALL).bind(owner).execute(db).await?;
            sqlx::query("DELETE FROM folders WHERE owner_id = $1 AND trashed_at IS NOT NULL")
                .bind(owner)
                .execute(db)
                .await?;
            Ok(gone)
        }
        Which::Items(items) => {
            items.check()?;
            check_in_trash(db, owner, items).await?;
            let mut gone = 0;
            for chunk in items.image_ids.chunks(BATCH) {
                let cond = format!(
                    "owner_id = $1 AND trashed_at IS NOT NULL AND trashed_with IS NULL AND id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut binds = vec![Bind::Text(owner.to_owned())];
                binds.extend(chunk.iter().cloned().map(Bind::Text));
                gone += photos(db, storage, &cond, binds).await?;
            }
            for id in &items.folder_ids {
                gone += folder(db, storage, owner, id).await?;
            }
            Ok(gone)
        }
    }
}

/// Every item must be in the owner's Trash (as itself, not as part of a trashed folder).
async fn check_in_trash(db: &Db, owner: &str, items: &Items) -> Result<()> {
    for (table, ids) in [("images", &items.image_ids), ("folders", &items.folder_ids)] {
        if ids.is_empty() {
            continue;
        }
        let own = if table == "images" {
            "trashed_with IS NULL"
        } else {
            "trashed_with = id"
        };
        let sql = format!(
            "SELECT COUNT(DISTINCT id) FROM {table}
             WHERE owner_id = $1 AND trashed_at IS NOT NULL AND {own} AND id IN ({})",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(owner);
        for id in ids.iter() {
            query = query.bind(id);
        }
        let (found,) = query.fetch_one(db).await?;
        let distinct = ids.iter().collect::<std::collections::HashSet<_>>().len();
        if found as usize != distinct {
            return Err(Error::NotFound);
        }
    }
    Ok(())
}

/// A trashed folder for good: what went with it, then what was trashed by itself inside it
/// taken out (it keeps its path, to be restored there), then the folders.
async fn folder(db: &Db, storage: &Storage, owner: &str, id: &str) -> Result<u64> {
    let cond = "owner_id = $1 AND trashed_with = $2";
    let binds = vec![Bind::Text(owner.to_owned()), Bind::Text(id.to_owned())];
    let gone = photos(db, storage, cond, binds).await?;
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    // Whatever is directly in a folder that goes, and did not go with it.
    let inside: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, folder_id, 1 FROM images
           WHERE owner_id = $2 AND (trashed_with IS NULL OR trashed_with <> $1)
             AND folder_id IN (SELECT id FROM folders WHERE owner_id = $2 AND trashed_with = $1)
         UNION ALL SELECT id, parent_id, 0 FROM folders
           WHERE owner_id = $2 AND (trashed_with IS NULL OR trashed_with <> $1)
             AND parent_id IN (SELECT id FROM folders WHERE owner_id = $2 AND trashed_with = $1)",
    )
    .bind(id)
    .bind(owner)
    .fetch_all(&mut *tx)
    .await?;
    for (item, parent, is_image) in inside {
        let path = serde_json::to_string(&path_of(&mut tx, owner, &parent).await?)
            .map_err(|e| Error::Internal(e.into()))?;
        let sql = if is_image == 1 {
            "UPDATE images SET folder_id = NULL, trashed_from = $1, trashed_at = COALESCE(trashed_at, $4)
             WHERE id = $2 AND owner_id = $3"
        } else {
            "UPDATE folders SET parent_id = NULL, trashed_from = $1, trashed_at = COALESCE(trashed_at, $4),
                trashed_with = COALESCE(trashed_with, id) WHERE id = $2 AND owner_id = $3"
        };
        sqlx::query(sql)
            .bind(path)
            .bind(&item)
            .bind(owner)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE images SET folder_id = NULL WHERE owner_id <> $2
           AND folder_id IN (SELECT id FROM folders WHERE owner_id = $2 AND trashed_with = $1)",
    )
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM folders WHERE owner_id = $2 AND trashed_with = $1")
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(gone)
}

/// What housekeeping purges: everything trashed more than `days` ago, of every owner.
pub async fn purge_expired(db: &Db, storage: &Storage, days: u32) -> Result<u64> {
    let before = now_ms() - i64::from(days) * DAY_MS;
    let cond = "trashed_at IS NOT NULL AND trashed_at < $1";
    let gone = photos(db, storage, cond, vec![Bind::Int(before)]).await?;
    sqlx::query(
        "UPDATE images SET folder_id = NULL WHERE folder_id IN (SELECT f.id FROM folders f
           WHERE f.trashed_at IS NOT NULL AND f.trashed_at < $1 AND f.owner_id <> images.owner_id)",
    )
    .bind(before)
    .execute(db)
    .await?;
    sqlx::query("DELETE FROM folders WHERE trashed_at IS NOT NULL AND trashed_at < $1 AND trashed_with = id")
        .bind(before)
        .execute(db)
        .await?;
    Ok(gone)
}

type Purged = (String, String, String, Option<String>, Option<String>, i64);

/// Deletes the trashed photos `cond` names, [`BATCH`] at a time: rows (and their owners'
/// bytes), commit, then objects. How many.
async fn photos(db: &Db, storage: &Storage, cond: &str, binds: Vec<Bind>) -> Result<u64> {
    let sql = format!(
        "DELETE FROM images WHERE id IN (SELECT id FROM images WHERE {cond} LIMIT {BATCH})
         RETURNING owner_id, {PHOTO_OBJECTS}, bytes"
    );
    let mut gone = 0;
    loop {
        let mut tx = db.begin().await?;
        let mut query = sqlx::query_as::<_, Purged>(sqlx::AssertSqlSafe(sql.clone()));
        for bind in &binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.clone()),
                Bind::Int(n) => query.bind(*n),
            };
        }
        let rows = query.fetch_all(&mut *tx).await?;
        let mut bytes: HashMap<String, i64> = HashMap::new();
        for row in &rows {
            *bytes.entry(row.0.clone()).or_default() += row.5;
        }
        for (owner, bytes) in &bytes {
            crate::usage::add(&mut tx, owner, 0, -bytes).await?;
        }
        tx.commit().await?;
        let n = rows.len();
        gone += n as u64;
        let objects = rows
            .into_iter()
            .map(|(_, original, thumb, display, input, bytes)| {
                (original, thumb, display, input, bytes)
            });
        storage::delete_all(storage, storage::photo_objects(objects.collect())).await;
        if n < BATCH {
            return Ok(gone);
        }
    }
}

/// Photos others added to an owner's folders in the Trash stay theirs: back to their roots
/// before the folders go (the folders' deletion would take them along).
const HAND_BACK_ALL: &str = "UPDATE images SET folder_id = NULL WHERE owner_id <> $1
    AND folder_id IN (SELECT id FROM folders WHERE owner_id = $1 AND trashed_at IS NOT NULL)";
