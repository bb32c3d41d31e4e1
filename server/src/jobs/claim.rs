//! Claiming and finishing jobs: a lease per attempt, reports that count only from the
//! attempt that holds the job, and why a job failed.

use super::*;

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
