//! Classifying again: every photo of a folder and its sub-folders queued, from the original,
//! with the classifier each folder uses now.

use super::{Queue, Source, enqueue_many};
use crate::db::{Db, now_ms};
use crate::error::Result;

/// Queues every photo of a folder and its sub-folders for classification again (from the
/// original, with the classifier each folder uses now). How many were queued.
pub async fn reclassify_folder(
    db: &Db,
    queue: &Queue,
    owner: &str,
    folder_id: &str,
) -> Result<u64> {
    crate::folders::owned(db, owner, folder_id).await?;
    let ids: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} SELECT id FROM images WHERE owner_id = $2 AND trashed_at IS NULL AND folder_id IN (SELECT id FROM subtree)",
        crate::folders::SUBTREE
    )))
    .bind(folder_id)
    .bind(owner)
    .fetch_all(db)
    .await?;
    let ids: Vec<String> = ids.into_iter().map(|(id,)| id).collect();
    for chunk in ids.chunks(500) {
        let mut tx = db.begin().await?;
        let sql = format!(
            "UPDATE images SET status = 'queued', status_detail = NULL WHERE owner_id = $1 AND id IN ({})",
            crate::db::placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
        enqueue_many(&mut tx, chunk, now_ms(), Source::Original).await?;
        tx.commit().await?;
    }
    if !ids.is_empty() {
        queue.wake();
    }
    Ok(ids.len() as u64)
}
