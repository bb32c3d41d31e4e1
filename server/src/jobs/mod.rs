//! The durable classification queue. A job is inserted in the same transaction as the
//! change that needs it, so an acknowledged upload always has its job. Workers claim a
//! job with a lease; a job whose lease runs out (its worker died) is claimed again.

pub mod lambda;
pub mod worker;

use std::time::Duration;

use sqlx::{Any, Transaction};

use crate::app::AppState;

use crate::db::{Backend, Db, new_id, now_ms, placeholders};
use crate::error::Result;
use crate::images::Label;
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};

pub const MAX_ATTEMPTS: i64 = 3;

/// Queues one classification of an image, replacing any unfinished one.
pub async fn enqueue(tx: &mut Transaction<'_, Any>, image_id: &str, now: i64) -> Result<()> {
    enqueue_many(tx, &[image_id.to_owned()], now).await
}

/// Queues a classification of each image (in two statements), replacing unfinished ones.
pub async fn enqueue_many(
    tx: &mut Transaction<'_, Any>,
    image_ids: &[String],
    now: i64,
) -> Result<()> {
    if image_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM jobs WHERE state IN ('queued', 'running') AND image_id IN ({})",
        placeholders(1, image_ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in image_ids {
        query = query.bind(id);
    }
    query.execute(&mut **tx).await?;
    // $1 attempts allowed, $2 now; then a job id and an image id per row.
    let rows: Vec<String> = (0..image_ids.len())
        .map(|n| {
            format!(
                "(${}, ${}, 'classify', 'queued', 0, $1, $2, $2, $2)",
                3 + 2 * n,
                4 + 2 * n
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO jobs (id, image_id, kind, state, attempts, max_attempts, run_after, created_at, updated_at)
         VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(MAX_ATTEMPTS)
        .bind(now);
    for id in image_ids {
        query = query.bind(new_id()).bind(id);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A job as admins see it: with the full reason of its last failure.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobView {
    pub id: String,
    pub image_id: String,
    pub owner_id: String,
    pub status: String,
    pub attempts: i64,
    pub reason: Option<String>,
    pub updated_at: String,
}

pub const STATES: [&str; 4] = ["queued", "running", "done", "error"];

const RECENT_FIRST: [SortColumn; 2] = [
    SortColumn::desc("j.updated_at", Kind::Int),
    SortColumn::asc("j.id", Kind::Text),
];

/// The most recently changed jobs (of one state, if given), a page at a time.
pub async fn recent(
    db: &Db,
    state: Option<&str>,
    page: &PageQuery,
) -> Result<(Vec<JobView>, Option<String>)> {
    if let Some(state) = state
        && !STATES.contains(&state)
    {
        return Err(crate::error::Error::bad_request(format!(
            "status must be one of {}",
            STATES.join(", ")
        )));
    }
    let page = Page::of(page, &RECENT_FIRST)?;
    let sql = format!(
        "SELECT j.id, j.image_id, i.owner_id, j.state, j.attempts, j.last_error, j.updated_at
         FROM jobs j JOIN images i ON i.id = j.image_id
         WHERE ($1 = '' OR j.state = $1) AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&RECENT_FIRST, 2),
        paging::order_by(&RECENT_FIRST),
        page.fetch()
    );
    type Row = (String, String, String, String, i64, Option<String>, i64);
    let query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(state.unwrap_or(""));
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| vec![Key::Int(r.6), Key::Text(r.0.clone())]);
    let jobs = rows
        .into_iter()
        .map(
            |(id, image_id, owner_id, status, attempts, reason, updated_at)| JobView {
                id,
                image_id,
                owner_id,
                status,
                attempts,
                reason,
                updated_at: crate::images::rfc3339(updated_at),
            },
        )
        .collect();
    Ok((jobs, next))
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
pub fn overdue(job: &Claimed) -> Option<Failure> {
    (job.attempts > job.max_attempts).then(|| {
        let reason = format!(
            "classification stopped unfinished {} times (no result within the lease); giving up",
            job.attempts - 1
        );
        Failure::broken(&reason, reason.clone())
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

/// Why an attempt at a job failed: a plain sentence for the photo's owner, and the detail
/// (storage keys, AWS errors, the function's name) that only admins and the log see.
#[derive(Debug, Clone)]
pub struct Failure {
    pub public: String,
    pub detail: String,
    /// Whether trying again may help.
    pub retryable: bool,
}

const MAX_REASON_CHARS: usize = 500;

fn clip(text: &str) -> String {
    text.chars().take(MAX_REASON_CHARS).collect()
}

impl Failure {
    /// The photo itself cannot be read: the owner may as well know why.
    pub fn unreadable(reason: &str) -> Self {
        let public = format!("this photo could not be read by the classifier: {reason}");
        Self {
            detail: public.clone(),
            public,
            retryable: false,
        }
    }

    /// Trouble on our side that may pass (storage, the runtime, the Lambda).
    pub fn transient(public: &str, detail: impl Into<String>) -> Self {
        Self {
            public: public.to_owned(),
            detail: detail.into(),
            retryable: true,
        }
    }

    /// Trouble on our side that will not pass by itself (no model).
    pub fn broken(public: &str, detail: impl Into<String>) -> Self {
        Self {
            public: public.to_owned(),
            detail: detail.into(),
            retryable: false,
        }
    }
}

pub const CLASSIFIER_UNAVAILABLE: &str =
    "the classifier is not available right now; an admin can see why and try again";

/// Records a failed attempt: queued again after a backoff, or `error` once the attempts
/// are spent (or at once when retrying cannot help). The photo shows the plain reason; the
/// job keeps the detail.
pub async fn fail(db: &Db, job: &Claimed, failure: &Failure, backoff_ms: i64) -> Result<()> {
    let now = now_ms();
    let give_up = !failure.retryable || job.attempts >= job.max_attempts;
    tracing::warn!(job = %job.id, image = %job.image_id, attempt = job.attempts,
        give_up, detail = %failure.detail, "classification failed");
    let mut tx = db.begin().await?;
    let held = sqlx::query(
        "UPDATE jobs SET state = $1, run_after = $2, lease_until = NULL, last_error = $3, updated_at = $4
         WHERE id = $5 AND state = 'running' AND locked_by = $6",
    )
    .bind(if give_up { "error" } else { "queued" })
    .bind(now + backoff_ms)
    .bind(clip(&failure.detail))
    .bind(now)
    .bind(&job.id)
    .bind(&job.holder)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if held {
        let (status, shown) = if give_up {
            ("error", clip(&failure.public))
        } else {
            (
                "queued",
                format!(
                    "attempt {} of {} failed, retrying: {}",
                    job.attempts,
                    job.max_attempts,
                    clip(&failure.public)
                ),
            )
        };
        sqlx::query("UPDATE images SET status = $1, status_detail = $2 WHERE id = $3")
            .bind(status)
            .bind(shown)
            .bind(&job.image_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
