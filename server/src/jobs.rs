//! The durable classification queue. A job is inserted in the same transaction as the
//! change that needs it, so an acknowledged upload always has its job.

use sqlx::{Any, Transaction};

use crate::db::{Db, new_id};
use crate::error::Result;

pub const MAX_ATTEMPTS: i64 = 3;

/// Queues one classification of an image, replacing any unfinished one.
pub async fn enqueue(tx: &mut Transaction<'_, Any>, image_id: &str, now: i64) -> Result<String> {
    sqlx::query("DELETE FROM jobs WHERE image_id = $1 AND state IN ('queued', 'running')")
        .bind(image_id)
        .execute(&mut **tx)
        .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO jobs (id, image_id, kind, state, attempts, max_attempts, run_after, created_at, updated_at)
         VALUES ($1, $2, 'classify', 'queued', 0, $3, $4, $4, $4)",
    )
    .bind(&id)
    .bind(image_id)
    .bind(MAX_ATTEMPTS)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// How many jobs are in each state, for the admin.
pub async fn counts_by_state(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(db)
            .await?,
    )
}
