//! The durable classification queue. A job is inserted in the same transaction as the
//! change that needs it, so an acknowledged upload always has its job. Workers claim a
//! job with a lease; a job whose lease runs out (its worker died) is claimed again.

pub mod lambda;
pub mod worker;

use std::time::Duration;

use sqlx::{Any, Transaction};

use crate::app::AppState;

use crate::db::{Backend, Db, new_id, now_ms};
use crate::error::Result;
use crate::images::Label;

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

const CLAIM_SQL: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1,
         locked_by = $2 || ':' || CAST(attempts + 1 AS TEXT), updated_at = $3
     WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_after <= $3) OR (state = 'running' AND lease_until < $3)
                 ORDER BY run_after, created_at LIMIT 1)
     RETURNING id, image_id, attempts, max_attempts, locked_by";

const CLAIM_SQL_POSTGRES: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1,
         locked_by = $2 || ':' || CAST(attempts + 1 AS TEXT), updated_at = $3
     WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_after <= $3) OR (state = 'running' AND lease_until < $3)
                 ORDER BY run_after, created_at LIMIT 1
                 FOR UPDATE SKIP LOCKED)
     RETURNING id, image_id, attempts, max_attempts, locked_by";

/// A job a worker holds: which photo, where its bytes are, which attempt this is, and who
/// holds it (`{worker}:{attempt}`, so a report from an earlier attempt never counts).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub image_id: String,
    pub object_key: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub holder: String,
}

/// The wait before the next attempt: `base`, doubling with each attempt made.
pub fn backoff_ms(base: i64, attempts: i64) -> i64 {
    base.saturating_mul(1 << (attempts - 1).clamp(0, 16))
}

/// Why a job claimed past its last attempt gives up: every attempt before it ended with
/// its lease running out (a worker that died, a function that never called back).
pub fn overdue(job: &Claimed) -> Option<String> {
    (job.attempts > job.max_attempts).then(|| {
        format!(
            "classification stopped unfinished {} times (no result within the lease); giving up",
            job.attempts - 1
        )
    })
}

/// Takes the next due job (or one whose lease ran out) and leases it to `worker`, in one
/// statement. SQLite has one writer at a time, so that is enough there; on PostgreSQL the
/// row is locked and rows locked by other servers are skipped, so no job runs twice.
pub async fn claim(
    db: &Db,
    backend: Backend,
    worker: &str,
    lease_ms: i64,
) -> Result<Option<Claimed>> {
    let now = now_ms();
    let sql = match backend {
        Backend::Sqlite => CLAIM_SQL,
        Backend::Postgres => CLAIM_SQL_POSTGRES,
    };
    let row: Option<(String, String, i64, i64, String)> = sqlx::query_as(sql)
        .bind(now + lease_ms)
        .bind(worker)
        .bind(now)
        .fetch_optional(db)
        .await?;
    let Some((id, image_id, attempts, max_attempts, holder)) = row else {
        return Ok(None);
    };
    let key: Option<(String,)> = sqlx::query_as("SELECT object_key FROM images WHERE id = $1")
        .bind(&image_id)
        .fetch_optional(db)
        .await?;
    Ok(key.map(|(object_key,)| Claimed {
        id,
        image_id,
        object_key,
        attempts,
        max_attempts,
        holder,
    }))
}

/// Waits for the next job for `worker`: claims one, or sleeps until a job is queued (or the
/// poll interval passes, for jobs queued by other servers and leases that ran out).
pub async fn next(state: &AppState, worker: &str, lease_ms: i64) -> Claimed {
    loop {
        let wake = state.jobs_wake.notified();
        match claim(&state.db, state.backend, worker, lease_ms).await {
            Ok(Some(job)) => return job,
            Ok(None) => {
                tokio::select! {
                    () = wake => {}
                    () = tokio::time::sleep(Duration::from_millis(state.config.job_poll_ms)) => {}
                }
            }
            Err(err) => {
                tracing::warn!(%err, "cannot claim jobs; trying again shortly");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Shows a step of the work on the photo and renews the lease. False when the job is no
/// longer this worker's (the photo was deleted or queued again).
pub async fn progress(db: &Db, job: &Claimed, status: &str, lease_ms: i64) -> Result<bool> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let held = sqlx::query("UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND state = 'running' AND locked_by = $4")
        .bind(now + lease_ms)
        .bind(now)
        .bind(&job.id)
        .bind(&job.holder)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if held {
        sqlx::query("UPDATE images SET status = $1, status_detail = NULL WHERE id = $2")
            .bind(status)
            .bind(&job.image_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(held)
}

/// Stores the labels and marks the job and the photo done, if the job is still this worker's.
pub async fn complete(db: &Db, job: &Claimed, labels: &[Label]) -> Result<bool> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let held = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_until = NULL, last_error = NULL, updated_at = $1
         WHERE id = $2 AND state = 'running' AND locked_by = $3",
    )
    .bind(now)
    .bind(&job.id)
    .bind(&job.holder)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !held {
        return Ok(false);
    }
    sqlx::query("DELETE FROM image_labels WHERE image_id = $1")
        .bind(&job.image_id)
        .execute(&mut *tx)
        .await?;
    for (rank, label) in labels.iter().enumerate() {
        sqlx::query("INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ($1, $2, $3, $4, $5)")
            .bind(&job.image_id)
            .bind(rank as i64)
            .bind(&label.label)
            .bind(label.class_index)
            .bind(label.score)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE images SET status = 'done', status_detail = NULL WHERE id = $1")
        .bind(&job.image_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Records a failed attempt: queued again after a backoff, or `error` with the reason
/// once the attempts are spent (or at once when retrying cannot help).
pub async fn fail(
    db: &Db,
    job: &Claimed,
    reason: &str,
    retryable: bool,
    backoff_ms: i64,
) -> Result<()> {
    let now = now_ms();
    let give_up = !retryable || job.attempts >= job.max_attempts;
    let mut tx = db.begin().await?;
    let held = sqlx::query(
        "UPDATE jobs SET state = $1, run_after = $2, lease_until = NULL, last_error = $3, updated_at = $4
         WHERE id = $5 AND state = 'running' AND locked_by = $6",
    )
    .bind(if give_up { "error" } else { "queued" })
    .bind(now + backoff_ms)
    .bind(reason)
    .bind(now)
    .bind(&job.id)
    .bind(&job.holder)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if held {
        let (status, detail) = if give_up {
            ("error", reason.to_owned())
        } else {
            (
                "queued",
                format!(
                    "attempt {} of {} failed, retrying: {reason}",
                    job.attempts, job.max_attempts
                ),
            )
        };
        sqlx::query("UPDATE images SET status = $1, status_detail = $2 WHERE id = $3")
            .bind(status)
            .bind(detail)
            .bind(&job.image_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
