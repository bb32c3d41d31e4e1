//! Deleting a folder (to the Trash) with everything below it, and telling beforehand what
//! that would take with it.

use crate::db::{Db, lock_owner, now_ms};
use crate::error::{Error, Result};

use super::owned;

/// A folder and everything below it; `UNION` visits each folder once, loop or not.
pub const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT id FROM folders WHERE id = $1 AND owner_id = $2
        UNION
        SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id WHERE f.owner_id = $2
    )";

/// A folder (`$1`, whoever owns it) and everything below it that is not in the Trash.
pub const SUBTREE_OF_ANYONE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT id FROM folders WHERE id = $1 AND trashed_at IS NULL
        UNION
        SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id WHERE f.trashed_at IS NULL
    )";

#[derive(Debug, Clone, Copy, Default)]
pub struct Contents {
    pub folders: i64,
    pub images: i64,
}

/// What deleting a folder would take with it: its sub-folders and their images.
pub async fn contents(db: &Db, owner: &str, id: &str) -> Result<Contents> {
    owned(db, owner, id).await?;
    let (folders, images): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBTREE} SELECT (SELECT COUNT(*) FROM folders WHERE id IN (SELECT id FROM subtree) AND trashed_at IS NULL) - 1,
                (SELECT COUNT(*) FROM images WHERE owner_id = $2 AND trashed_at IS NULL
                   AND folder_id IN (SELECT id FROM subtree))"
    )))
    .bind(id)
    .bind(owner)
    .fetch_one(db)
    .await?;
    Ok(Contents { folders, images })
}

/// Deletes a folder: moves it, everything below it and their photos to the Trash
/// (see the `trash` module), together (they carry its id in `trashed_with`). Photos others
/// added to it (a shared folder's contributors) go back to their own roots. How many photos
/// went with it.
pub async fn delete(db: &Db, owner: &str, id: &str) -> Result<u64> {
    owned(db, owner, id).await?;
    // Writing first: on SQLite a transaction that reads and then writes fails at once
    // (SQLITE_BUSY_SNAPSHOT) when another connection wrote in between.
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    let now = now_ms();
    // What others added to it stays theirs: back to their own root, never in this Trash.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUBTREE} UPDATE images SET folder_id = NULL
         WHERE owner_id <> $2 AND folder_id IN (SELECT id FROM subtree)"
    )))
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUBTREE} UPDATE images SET trashed_at = $3, trashed_with = $1
         WHERE owner_id = $2 AND trashed_at IS NULL AND folder_id IN (SELECT id FROM subtree)"
    )))
    .bind(id)
    .bind(owner)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUBTREE} UPDATE folders SET trashed_at = $3, trashed_with = $1
         WHERE owner_id = $2 AND trashed_at IS NULL AND id IN (SELECT id FROM subtree)"
    )))
    .bind(id)
    .bind(owner)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // The folder itself must have been one of them: live, and the owner's (else nothing
    // changed: the transaction is dropped).
    let (went,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM folders WHERE id = $1 AND owner_id = $2 AND trashed_with = $1 AND trashed_at = $3",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if went == 0 {
        return Err(Error::NotFound);
    }
    crate::usage::add(&mut tx, owner, -(moved as i64), 0).await?;
    tx.commit().await?;
    Ok(moved)
}
