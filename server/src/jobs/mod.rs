//! The durable classification queue. A job is inserted in the same transaction as the
//! change that needs it, so an acknowledged upload always has its job. Workers claim a
//! job with a lease; a job whose lease runs out (its worker died) is claimed again.

pub mod lambda;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, Transaction};
use tokio::sync::Notify;

use crate::activity;
use crate::db::{Backend, Db, new_id, now_ms, placeholders, rfc3339};
use crate::error::Result;
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};
use classifier::preprocess::Sizing;
use classifier::protocol::{Label, Status, Timings};

/// The queue as its users see it: the database, the wake-up bell of idle workers, and the
/// timings of claims and retries.
#[derive(Clone)]
pub struct Queue {
    pub db: Db,
    backend: Backend,
    wake: Arc<Notify>,
    poll: Duration,
    lease_ms: i64,
    retry_base_ms: i64,
    /// The classifier's renditions of the latest uploads, by key, so that this server's
    /// workers take them from memory rather than from storage.
    renditions: Arc<std::sync::Mutex<lru::LruCache<String, bytes::Bytes>>>,
}

/// Renditions kept in memory: a burst of uploads' worth (about 150 KB each).
const KEPT_RENDITIONS: usize = 64;

impl Queue {
    pub fn new(
        db: Db,
        backend: Backend,
        poll: Duration,
        lease_ms: i64,
        retry_base_ms: i64,
    ) -> Self {
        Self {
            db,
            backend,
            wake: Arc::new(Notify::new()),
            poll,
            lease_ms: lease_ms.max(1000),
            retry_base_ms,
            renditions: Arc::new(std::sync::Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(KEPT_RENDITIONS).expect("not zero"),
            ))),
        }
    }

    /// Keeps a rendition just stored for this server's workers.
    pub fn keep_rendition(&self, key: &str, bytes: bytes::Bytes) {
        if let Ok(mut kept) = self.renditions.lock() {
            kept.put(key.to_owned(), bytes);
        }
    }

    /// A rendition this server still holds, given up: a job reads it once.
    pub fn take_rendition(&self, key: &str) -> Option<bytes::Bytes> {
        self.renditions.lock().ok()?.pop(key)
    }

    /// Tells idle workers that a job is waiting.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub fn lease_ms(&self) -> i64 {
        self.lease_ms
    }

    /// The wait before the attempt after `attempts`: the base, doubling with each one made.
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        self.retry_base_ms
            .saturating_mul(1 << (attempts - 1).clamp(0, 16))
    }
}

pub const MAX_ATTEMPTS: i64 = 3;

/// Which file of a photo a job reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Original,
    Rendition,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Original => "original",
            Source::Rendition => "rendition",
        }
    }
}

/// Queues a classification of each image (in two statements), replacing unfinished ones.
/// `source` says which file the job reads: an upload's own first classification reads the
/// classifier's rendition made from its one decode; classifying again reads the original.
pub async fn enqueue_many(
    tx: &mut Transaction<'_, Any>,
    image_ids: &[String],
    now: i64,
    source: Source,
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
    // $1 attempts allowed, $2 now, $3 the source; then a job id and an image id per row.
    let rows: Vec<String> = (0..image_ids.len())
        .map(|n| {
            format!(
                "(${}, ${}, 'classify', 'queued', 0, $1, $2, $2, $2, $3)",
                4 + 2 * n,
                5 + 2 * n
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO jobs (id, image_id, kind, state, attempts, max_attempts, run_after, created_at, updated_at, source)
         VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(MAX_ATTEMPTS)
        .bind(now)
        .bind(source.as_str());
    for id in image_ids {
        query = query.bind(new_id()).bind(id);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A job as admins see it: with the full reason of its last failure.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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

/// The query of a page of [`recent`] jobs: `$1` is the state when `with_state`. A state is
/// a plain equality, so the page walks `jobs_recent (state, updated_at)` backwards and
/// reads no more rows than it shows.
pub fn recent_sql(with_state: bool, page: &Page) -> String {
    let (state, first_key) = if with_state {
        ("j.state = $1 AND", 2)
    } else {
        ("", 1)
    };
    format!(
        "SELECT j.id, j.image_id, i.owner_id, j.state, j.attempts, j.last_error, j.updated_at
         FROM jobs j JOIN images i ON i.id = j.image_id
         WHERE {state} {}
         ORDER BY {} LIMIT {}",
        page.condition(&RECENT_FIRST, first_key),
        paging::order_by(&RECENT_FIRST),
        page.fetch()
    )
}

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
    type Row = (String, String, String, String, i64, Option<String>, i64);
    let sql = recent_sql(state.is_some(), &page);
    let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
    if let Some(state) = state {
        query = query.bind(state);
    }
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
                updated_at: rfc3339(updated_at),
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

/// Takes the next due job (or one whose lease ran out) for a worker, in one statement.
/// On PostgreSQL the row is locked and rows locked by other servers are skipped, so no job
/// runs twice; SQLite has one writer at a time, so the statement alone is enough there.
fn claim_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1,
                 locked_by = $2, updated_at = $3
             WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_after <= $3) OR (state = 'running' AND lease_until < $3)
                 ORDER BY run_after, created_at LIMIT 1)
             RETURNING id, image_id, attempts, max_attempts, source"
        }
        Backend::Postgres => {
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1,
                 locked_by = $2, updated_at = $3
             WHERE id = (SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_after <= $3) OR (state = 'running' AND lease_until < $3)
                 ORDER BY run_after, created_at LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING id, image_id, attempts, max_attempts, source"
        }
    }
}

/// A job a worker holds: which photo, where its bytes are, and which worker holds which
/// attempt (a report from an earlier attempt, or another worker, never counts).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub image_id: String,
    pub object_key: String,
    /// The classifier's rendition and how it was sized, when the job reads it.
    pub rendition: Option<(String, Sizing)>,
    pub worker: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// The registered model its folder chose (none: the gallery's own).
    pub model: Option<crate::models::Registered>,
}

/// Where a job runs: the server's own workers or the classifier Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Local,
    Lambda,
}

impl Runner {
    pub fn as_str(self) -> &'static str {
        match self {
            Runner::Local => "local",
            Runner::Lambda => "lambda",
        }
    }
}

impl Claimed {
    pub fn runner(&self) -> Runner {
        if self.worker.starts_with(worker::WORKER_PREFIX) {
            Runner::Local
        } else {
            Runner::Lambda
        }
    }
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

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// Changes the row of a claimed job (`set`, whose placeholders start at `$4`, bound by
/// `bind`) if it is still the claim's: the same worker on the same attempt. Whether it was.
async fn update_held<'q>(
    tx: &mut Transaction<'_, Any>,
    job: &'q Claimed,
    set: &str,
    bind: impl FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
) -> Result<bool> {
    let query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET {set}
         WHERE id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3"
    )))
    .bind(&job.id)
    .bind(&job.worker)
    .bind(job.attempts);
    Ok(bind(query).execute(&mut **tx).await?.rows_affected() == 1)
}

impl Queue {
    /// Takes the next due job for `worker`, if there is one.
    pub async fn claim(&self, worker: &str) -> Result<Option<Claimed>> {
        let now = now_ms();
        let row: Option<(String, String, i64, i64, String)> =
            sqlx::query_as(claim_sql(self.backend))
                .bind(now + self.lease_ms)
                .bind(worker)
                .bind(now)
                .fetch_optional(&self.db)
                .await?;
        let Some((id, image_id, attempts, max_attempts, source)) = row else {
            return Ok(None);
        };
        let keys: Option<(String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT object_key, input_key, input_sizing FROM images WHERE id = $1")
                .bind(&image_id)
                .fetch_optional(&self.db)
                .await?;
        let reads_rendition = source == Source::Rendition.as_str();
        let model = crate::models::for_image(&self.db, &image_id).await?;
        Ok(keys.map(|(object_key, input_key, sizing)| Claimed {
            model,
            rendition: input_key
                .filter(|_| reads_rendition)
                .zip(sizing.and_then(|s| s.parse().ok())),
            id,
            image_id,
            object_key,
            worker: worker.to_owned(),
            attempts,
            max_attempts,
        }))
    }

    /// Waits for the next job for `worker`: claims one, or sleeps until a job is queued (or
    /// the poll interval passes, for jobs queued by other servers and leases that ran out).
    pub async fn next(&self, worker: &str) -> Claimed {
        loop {
            let wake = self.wake.notified();
            match self.claim(worker).await {
                Ok(Some(job)) => return job,
                Ok(None) => {
                    tokio::select! {
                        () = wake => {}
                        () = tokio::time::sleep(self.poll) => {}
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
    /// longer this claim's (the photo was deleted or queued again).
    pub async fn progress(&self, job: &Claimed, status: Status) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let lease_until = now + self.lease_ms;
        let held = update_held(&mut tx, job, "lease_until = $4, updated_at = $5", |q| {
            q.bind(lease_until).bind(now)
        })
        .await?;
        if held {
            set_status(&mut tx, &job.image_id, status, None).await?;
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Stores the labels and marks the job and the photo done, if the job is still this
    /// claim's; keeps where it ran and how long each step took.
    pub async fn complete(
        &self,
        job: &Claimed,
        labels: &[Label],
        model: &str,
        runner: Runner,
        timings: Option<&Timings>,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let set = "state = 'done', lease_until = NULL, last_error = NULL, updated_at = $4,
                   backend = $5, fetch_ms = $6, prepare_ms = $7, predict_ms = $8";
        let held = update_held(&mut tx, job, set, |q| {
            q.bind(now)
                .bind(runner.as_str())
                .bind(timings.map(|t| t.fetch))
                .bind(timings.map(|t| t.preprocess))
                .bind(timings.map(|t| t.predict))
        })
        .await?;
        if !held {
            return Ok(false);
        }
        activity::add(&mut *tx, activity::Kind::Classified, 1, now).await?;
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
        set_status(&mut tx, &job.image_id, Status::Done, None).await?;
        sqlx::query("UPDATE images SET model = $1 WHERE id = $2")
            .bind(model)
            .bind(&job.image_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let backend = runner.as_str();
        metrics::counter!("gallery_jobs_total", "outcome" => "done", "backend" => backend)
            .increment(1);
        if let Some(t) = timings {
            for (step, ms) in [
                ("fetch", t.fetch),
                ("prepare", t.preprocess),
                ("predict", t.predict),
            ] {
                metrics::histogram!("gallery_job_step_duration_seconds",
                    "step" => step, "backend" => backend)
                .record(ms / 1000.0);
            }
        }
        Ok(true)
    }
}

/// Writes a photo's status, and what its owner is told about it.
pub async fn set_status(
    tx: &mut Transaction<'_, Any>,
    image_id: &str,
    status: Status,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE images SET status = $1, status_detail = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(detail)
        .bind(image_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
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

impl Queue {
    /// Records a failed attempt: queued again after a backoff, or `error` once the attempts
    /// are spent (or at once when retrying cannot help). The photo shows the plain reason;
    /// the job keeps the detail.
    pub async fn fail(&self, job: &Claimed, failure: &Failure) -> Result<()> {
        let now = now_ms();
        let give_up = !failure.retryable || job.attempts >= job.max_attempts;
        let backoff = if give_up {
            0
        } else {
            self.backoff_ms(job.attempts)
        };
        tracing::warn!(job = %job.id, image = %job.image_id, attempt = job.attempts,
            give_up, detail = %failure.detail, "classification failed");
        let mut tx = self.db.begin().await?;
        let set =
            "state = $4, run_after = $5, lease_until = NULL, last_error = $6, updated_at = $7";
        let detail = clip(&failure.detail);
        let held = update_held(&mut tx, job, set, |q| {
            q.bind(if give_up { "error" } else { "queued" })
                .bind(now + backoff)
                .bind(detail)
                .bind(now)
        })
        .await?;
        let outcome = if give_up { "error" } else { "retry" };
        metrics::counter!("gallery_jobs_total", "outcome" => outcome, "backend" => job.runner().as_str())
            .increment(1);
        if held {
            if give_up {
                activity::add(&mut *tx, activity::Kind::Failed, 1, now).await?;
                let shown = clip(&failure.public);
                set_status(&mut tx, &job.image_id, Status::Error, Some(&shown)).await?;
            } else {
                let shown = format!(
                    "attempt {} of {} failed, retrying: {}",
                    job.attempts,
                    job.max_attempts,
                    clip(&failure.public)
                );
                set_status(&mut tx, &job.image_id, Status::Queued, Some(&shown)).await?;
            }
        }
        tx.commit().await?;
        if !give_up {
            self.wake();
        }
        Ok(())
    }
}

/// Jobs waiting or running, on every server.
pub async fn depth(db: &Db) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
            .fetch_one(db)
            .await?;
    Ok(n)
}

/// Which failed jobs to run again.
pub enum Retry<'a> {
    AllFailed,
    Ids(&'a [String]),
}

/// Queues failed jobs again from their first attempt (only those whose photo still shows
/// the failure: a photo queued again since has its own job). How many were queued.
pub async fn retry(queue: &Queue, which: Retry<'_>) -> Result<u64> {
    let ids: &[String] = match which {
        Retry::AllFailed => &[],
        Retry::Ids([]) => return Ok(0),
        Retry::Ids(ids) if ids.len() > paging::MAX_LIMIT => {
            return Err(crate::error::Error::bad_request(format!(
                "retry at most {} jobs at once",
                paging::MAX_LIMIT
            )));
        }
        Retry::Ids(ids) => ids,
    };
    let only = if ids.is_empty() {
        String::new()
    } else {
        format!("AND id IN ({})", placeholders(2, ids.len()))
    };
    let now = now_ms();
    let mut tx = queue.db.begin().await?;
    let sql = format!(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $1, lease_until = NULL,
             locked_by = NULL, last_error = NULL, updated_at = $1
         WHERE state = 'error' {only}
           AND image_id IN (SELECT id FROM images WHERE status = 'error')
         RETURNING image_id"
    );
    let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql)).bind(now);
    for id in ids {
        query = query.bind(id);
    }
    let photos: Vec<String> = query
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    for chunk in photos.chunks(500) {
        let sql = format!(
            "UPDATE images SET status = 'queued', status_detail = NULL WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    if !photos.is_empty() {
        queue.wake();
    }
    tracing::info!(jobs = photos.len(), "failed classifications queued again");
    Ok(photos.len() as u64)
}

/// Deletes finished jobs (done or failed) last changed before `before` (housekeeping).
pub async fn prune_finished(db: &Db, before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'error') AND updated_at < $1")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
