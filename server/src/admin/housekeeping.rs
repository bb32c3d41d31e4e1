//! What every server does in the background: a heartbeat (it is seen on the dashboard,
//! and samples the queue's depth for the chart), and every few minutes the tidying up —
//! expired sessions and sign-ins, old rate-limit keys, unanswered voice questions, finished
//! jobs past their retention, old activity, the Trash past its days, and objects no
//! photo refers to. Each task's
//! last result is kept for the dashboard.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::dashboard::System;
use crate::activity::{self, Kind, MINUTE_MS};
use crate::config::Config;
use crate::db::{Db, now_ms, placeholders, rfc3339};
use crate::error::Result;
use crate::storage::{Listed, Storage};
use crate::{auth, jobs, voice};

const HEARTBEAT: Duration = Duration::from_secs(15);
const TIDY: Duration = Duration::from_secs(600);
/// Minutes of activity kept: a little over the week the charts show.
const ACTIVITY_KEPT_MS: i64 = 8 * 24 * 60 * MINUTE_MS;
/// Servers not heard from in a day are forgotten.
const SERVER_KEPT_MS: i64 = 24 * 60 * MINUTE_MS;

/// Sends the first heartbeat (so the server is on the dashboard before it serves), then
/// starts the heartbeat and the tidying of this server (the first pass at once).
pub async fn start(db: Db, storage: Storage, config: Arc<Config>, system: Arc<System>) {
    if let Err(err) = heartbeat(&db, &system).await {
        tracing::warn!(%err, "heartbeat failed");
    }
    let beat_db = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(err) = heartbeat(&beat_db, &system).await {
                tracing::warn!(%err, "heartbeat failed");
            }
            crate::telemetry::handle().run_upkeep();
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TIDY);
        loop {
            tick.tick().await;
            tidy(&db, &storage, &config).await;
        }
    });
}

/// Tells the others this server is alive, and notes the queue's depth for this minute.
pub async fn heartbeat(db: &Db, system: &System) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO servers (id, host, version, classifier, started_at, seen_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(&system.server_id)
    .bind(&system.host)
    .bind(system.version)
    .bind(&system.classifier)
    .bind(system.started_ms)
    .bind(now)
    .execute(db)
    .await?;
    let depth = jobs::depth(db).await?;
    metrics::gauge!("gallery_queue_depth").set(depth as f64);
    activity::record_max(db, Kind::Queue, depth, now).await
}

/// One pass of every tidying task; a task that fails is logged and tried next time.
pub async fn tidy(db: &Db, storage: &Storage, config: &Config) {
    let now = now_ms();
    let retention_ms = config
        .job_retention_days
        .max(1)
        .saturating_mul(24 * 60 * MINUTE_MS);
    let tasks: Vec<(&str, Result<String>)> = vec![
        (
            "sessions",
            auth::sessions::purge_expired(db)
                .await
                .map(|n| format!("{n} expired sessions removed")),
        ),
        (
            "sign-ins",
            auth::oidc::purge_expired(db)
                .await
                .map(|n| format!("{n} unfinished sign-ins removed")),
        ),
        (
            "account links",
            auth::tokens::purge_expired(db)
                .await
                .map(|n| format!("{n} expired account links removed")),
        ),
        (
            "rate limits",
            auth::limits::purge_stale(db)
                .await
                .map(|n| format!("{n} old sign-in counters removed")),
        ),
        (
            "voice",
            voice::purge_unanswered(db)
                .await
                .map(|n| format!("{n} unanswered voice questions removed")),
        ),
        (
            "jobs",
            jobs::prune_finished(db, now - retention_ms).await.map(|n| {
                format!(
                    "{n} finished jobs older than {} days pruned",
                    config.job_retention_days.max(1)
                )
            }),
        ),
        (
            "activity",
            prune_old(db, now)
                .await
                .map(|n| format!("{n} old rows removed")),
        ),
        (
            "trash",
            crate::trash::purge_expired(db, storage, config.trash_days)
                .await
                .map(|n| {
                    format!(
                        "{n} photos in the Trash longer than {} days deleted for good",
                        config.trash_days
                    )
                }),
        ),
        (
            "undo",
            crate::undo::forget_old(db)
                .await
                .map(|n| format!("{n} old undo records removed")),
        ),
        (
            "sweep",
            sweep(db, storage, config.sweep_after_minutes, false)
                .await
                .map(|s| s.summary()),
        ),
    ];
    for (task, result) in tasks {
        let text = match result {
            Ok(text) => text,
            Err(err) => {
                tracing::warn!(task, %err, "housekeeping task failed");
                format!("failed: {err}")
            }
        };
        if let Err(err) = note(db, task, now, &text).await {
            tracing::warn!(task, %err, "cannot record a housekeeping result");
        }
    }
}

async fn prune_old(db: &Db, now: i64) -> Result<u64> {
    let activity = activity::prune(db, now, ACTIVITY_KEPT_MS).await?;
    let servers = sqlx::query("DELETE FROM servers WHERE seen_at < $1")
        .bind(now - SERVER_KEPT_MS)
        .execute(db)
        .await?
        .rows_affected();
    Ok(activity + servers)
}

async fn note(db: &Db, task: &str, at: i64, result: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO housekeeping (task, ran_at, result) VALUES ($1, $2, $3)
         ON CONFLICT (task) DO UPDATE SET ran_at = excluded.ran_at, result = excluded.result",
    )
    .bind(task)
    .bind(at)
    .bind(result)
    .execute(db)
    .await?;
    Ok(())
}

/// The last run of each housekeeping task.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRun {
    pub task: String,
    pub ran_at: String,
    pub result: String,
}

pub async fn last_runs(db: &Db) -> Result<Vec<TaskRun>> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT task, ran_at, result FROM housekeeping ORDER BY task")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(task, at, result)| TaskRun {
            task,
            ran_at: rfc3339(at),
            result,
        })
        .collect())
}

/// What a sweep found (and, unless it was a dry run, removed).
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    pub checked: usize,
    /// Objects without a photo, old enough to go.
    pub orphans: Vec<Listed>,
    pub removed: usize,
    pub dry_run: bool,
}

impl Sweep {
    pub fn summary(&self) -> String {
        let bytes: u64 = self.orphans.iter().map(|o| o.bytes).sum();
        if self.dry_run {
            format!(
                "{} objects checked; {} without a photo would be removed ({bytes} bytes)",
                self.checked,
                self.orphans.len()
            )
        } else {
            format!(
                "{} objects checked; {} of {} without a photo removed ({bytes} bytes)",
                self.checked,
                self.removed,
                self.orphans.len()
            )
        }
    }
}

/// Finds the stored objects that no photo refers to and that were last written more than
/// `after_minutes` ago (younger ones may belong to an upload still under way), and removes
/// them unless `dry_run`.
pub async fn sweep(db: &Db, storage: &Storage, after_minutes: i64, dry_run: bool) -> Result<Sweep> {
    let cutoff = now_ms() - after_minutes.max(0).saturating_mul(MINUTE_MS);
    let listed = storage.list("u/").await?;
    let mut report = Sweep {
        checked: listed.len(),
        dry_run,
        ..Sweep::default()
    };
    // At the cutoff counts as old: with 0 minutes, an object written this very millisecond
    // (file times are coarse) is still swept.
    let old: Vec<Listed> = listed
        .into_iter()
        .filter(|o| o.modified_ms <= cutoff)
        .collect();
    for chunk in old.chunks(400) {
        let keys = placeholders(1, chunk.len());
        let sql = format!(
            "SELECT object_key FROM images WHERE object_key IN ({keys})
             UNION ALL SELECT thumb_key FROM images WHERE thumb_key IN ({keys})
             UNION ALL SELECT display_key FROM images WHERE display_key IN ({keys})
             UNION ALL SELECT input_key FROM images WHERE input_key IN ({keys})"
        );
        let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for object in chunk {
            query = query.bind(&object.key);
        }
        let known: HashSet<String> = query
            .fetch_all(db)
            .await?
            .into_iter()
            .map(|(k,)| k)
            .collect();
        report
            .orphans
            .extend(chunk.iter().filter(|o| !known.contains(&o.key)).cloned());
    }
    if !dry_run {
        for orphan in &report.orphans {
            match storage.delete(&orphan.key).await {
                Ok(()) => report.removed += 1,
                Err(err) => tracing::warn!(key = %orphan.key, %err, "cannot sweep an object"),
            }
        }
        if report.removed > 0 {
            tracing::info!(
                removed = report.removed,
                "objects without a photo swept away"
            );
        }
    }
    Ok(report)
}
