//! The dashboard's figures. Each comes from an index range or from rows kept small on
//! purpose (accounts, minutes of activity, recent jobs): no figure sums or scans the photos,
//! so the page costs the same with a hundred photos as with millions.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use crate::activity::{self, Kind, MINUTE_MS};
use crate::db::{Backend, Db, now_ms, rfc3339};
use crate::error::Result;
use crate::jobs::{self, JobView};
use crate::paging::PageQuery;
use crate::stats::percentile;

/// What a server knows of itself, made once at start-up.
#[derive(Debug, Clone)]
pub struct System {
    pub server_id: String,
    pub host: String,
    pub version: &'static str,
    pub started: Instant,
    pub started_ms: i64,
    pub database: Backend,
    /// The database URL without its password.
    pub database_url: String,
    /// `files in PATH` or `S3 bucket s3://…`.
    pub storage: String,
    /// `local`, `lambda:NAME` or `off`.
    pub classifier: String,
    /// The model's name from its `model.json`, or why it cannot be read.
    pub model: String,
    pub runtime: &'static str,
}

impl System {
    pub fn of(config: &crate::config::Config, storage: String) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown host".into());
        let model = if config.classifier == "off" {
            "none (the classifier is off)".to_owned()
        } else {
            classifier::runtime::model_dir(config.model_dir.clone())
                .map_err(|e| e.to_string())
                .and_then(|dir| {
                    let text = std::fs::read(dir.join("model.json")).map_err(|e| e.to_string())?;
                    let value: serde_json::Value =
                        serde_json::from_slice(&text).map_err(|e| e.to_string())?;
                    Ok(value["name"].as_str().unwrap_or("unnamed").to_owned())
                })
                .unwrap_or_else(|e| format!("unavailable: {e}"))
        };
        Self {
            server_id: crate::db::new_id(),
            host: format!("{host} (pid {})", std::process::id()),
            version: env!("CARGO_PKG_VERSION"),
            started: Instant::now(),
            started_ms: now_ms(),
            database: Backend::of_url(&config.database_url).unwrap_or(Backend::Sqlite),
            database_url: crate::db::redact(&config.database_url),
            storage,
            classifier: config.classifier.clone(),
            model,
            runtime: onnx_runtime::LIBRARY,
        }
    }
}

/// Figures on the whole gallery, from the accounts' own counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub users: i64,
    pub admins: i64,
    pub disabled: i64,
    pub images: i64,
    pub bytes: i64,
    /// People folders are shared with (pending ones too), and links for anyone.
    pub shares: i64,
    pub links: i64,
}

/// The dashboard's queries, named, so that `scripts/bench-admin.sh` can show their plans.
pub const TOTALS: &str = "SELECT COUNT(*),
        CAST(COALESCE(SUM(CASE WHEN role = 'admin' THEN 1 ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN disabled_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(image_count), 0) AS BIGINT),
        CAST(COALESCE(SUM(bytes_used), 0) AS BIGINT)
    FROM users";
pub const SHARING: &str =
    "SELECT (SELECT COUNT(*) FROM folder_shares), (SELECT COUNT(*) FROM links)";
pub const JOBS_IN_STATE: &str = "SELECT COUNT(*) FROM jobs WHERE state = $1";
pub const DONE_SINCE: &str = "SELECT COUNT(*) FROM jobs WHERE state = 'done' AND updated_at >= $1";
pub const OLDEST_WAITING: &str = "SELECT MIN(created_at) FROM jobs WHERE state = 'queued'";
pub const STEP_TIMES: &str = "SELECT backend, fetch_ms, prepare_ms, predict_ms FROM jobs
    WHERE state = 'done' AND updated_at >= $1 ORDER BY updated_at DESC LIMIT $2";
pub const SERVERS: &str = "SELECT id, host, version, classifier, started_at, seen_at FROM servers
    WHERE seen_at >= $1 ORDER BY started_at, id";

pub async fn totals(db: &Db) -> Result<Totals> {
    let (users, admins, disabled, images, bytes): (i64, i64, i64, i64, i64) =
        sqlx::query_as(TOTALS).fetch_one(db).await?;
    let (shares, links): (i64, i64) = sqlx::query_as(SHARING).fetch_one(db).await?;
    Ok(Totals {
        users,
        admins,
        disabled,
        images,
        bytes,
        shares,
        links,
    })
}

/// p50 and p95 of one step on one backend, over the jobs finished in the last hour.
#[derive(Debug, Clone, Serialize)]
pub struct StepTime {
    pub backend: String,
    pub step: &'static str,
    pub jobs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// The queue as the dashboard shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueFigures {
    pub by_state: BTreeMap<String, i64>,
    pub classified_last_minute: i64,
    pub classified_last_hour: i64,
    pub failed_last_hour: i64,
    /// When the job waiting longest was queued, and how long ago (seconds).
    pub oldest_waiting: Option<(String, i64)>,
    pub step_times: Vec<StepTime>,
    pub recent_errors: Vec<JobView>,
}

/// Jobs whose timings the percentiles are taken over, at most.
const TIMED_JOBS: i64 = 5000;

pub async fn queue(db: &Db) -> Result<QueueFigures> {
    let now = now_ms();
    // Waiting, running and failed jobs are few and found by the index; finished ones are
    // as many as the photos, so they are not counted here (the charts show their rate).
    let mut by_state = BTreeMap::new();
    for state in ["queued", "running", "error"] {
        let (n,): (i64,) = sqlx::query_as(JOBS_IN_STATE)
            .bind(state)
            .fetch_one(db)
            .await?;
        by_state.insert(state.to_owned(), n);
    }
    let (last_minute,): (i64,) = sqlx::query_as(DONE_SINCE)
        .bind(now - MINUTE_MS)
        .fetch_one(db)
        .await?;
    let minute = activity::minute_of(now);
    let hour = |kind| activity::per_minute(db, kind, minute - 59, minute);
    let classified_last_hour = hour(Kind::Classified).await?.iter().sum();
    let failed_last_hour = hour(Kind::Failed).await?.iter().sum();
    let (oldest,): (Option<i64>,) = sqlx::query_as(OLDEST_WAITING).fetch_one(db).await?;
    let timed: Vec<Timed> = sqlx::query_as(STEP_TIMES)
        .bind(now - 60 * MINUTE_MS)
        .bind(TIMED_JOBS)
        .fetch_all(db)
        .await?;
    let ten = PageQuery {
        limit: Some("10".into()),
        after: None,
    };
    let (recent_errors, _) = jobs::recent(db, Some("error"), &ten).await?;
    Ok(QueueFigures {
        by_state,
        classified_last_minute: last_minute,
        classified_last_hour,
        failed_last_hour,
        oldest_waiting: oldest.map(|at| (rfc3339(at), ((now - at) / 1000).max(0))),
        step_times: step_times(&timed),
        recent_errors,
    })
}

type Timed = (Option<String>, Option<f64>, Option<f64>, Option<f64>);

fn step_times(rows: &[Timed]) -> Vec<StepTime> {
    let mut by_backend: BTreeMap<&str, [Vec<f64>; 3]> = BTreeMap::new();
    for (backend, fetch, prepare, predict) in rows {
        let Some(backend) = backend.as_deref() else {
            continue;
        };
        let steps = by_backend.entry(backend).or_default();
        for (slot, value) in steps.iter_mut().zip([fetch, prepare, predict]) {
            if let Some(v) = value.filter(|v| v.is_finite()) {
                slot.push(v);
            }
        }
    }
    let mut out = Vec::new();
    for (backend, steps) in by_backend {
        for (name, mut values) in ["fetch", "prepare", "predict"].into_iter().zip(steps) {
            if values.is_empty() {
                continue;
            }
            values.sort_by(f64::total_cmp);
            out.push(StepTime {
                backend: backend.to_owned(),
                step: name,
                jobs: values.len(),
                p50_ms: percentile(&values, 0.50),
                p95_ms: percentile(&values, 0.95),
            });
        }
    }
    out
}

/// A server seen in the last minutes.
#[derive(Debug, Clone, Serialize)]
pub struct ServerSeen {
    pub id: String,
    pub host: String,
    pub version: String,
    pub classifier: String,
    pub started_at: String,
    pub seen_secs_ago: i64,
}

/// Servers whose heartbeat came in the last `minutes`.
pub async fn servers(db: &Db, minutes: i64) -> Result<Vec<ServerSeen>> {
    let now = now_ms();
    let rows: Vec<(String, String, String, String, i64, i64)> = sqlx::query_as(SERVERS)
        .bind(now - minutes * MINUTE_MS)
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, host, version, classifier, started, seen)| ServerSeen {
                id,
                host,
                version,
                classifier,
                started_at: rfc3339(started),
                seen_secs_ago: ((now - seen) / 1000).max(0),
            },
        )
        .collect())
}

/// The database's size on disk, in bytes, where the database can tell.
pub async fn database_bytes(db: &Db, backend: Backend) -> Result<Option<i64>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
        }
        Backend::Postgres => "SELECT CAST(pg_database_size(current_database()) AS BIGINT)",
    };
    let row: Option<(i64,)> = sqlx::query_as(sql).fetch_optional(db).await?;
    Ok(row.map(|(n,)| n))
}

/// One chart's series: a label per point (the minute or hour it counts) and its values.
#[derive(Debug, Clone)]
pub struct Series {
    pub labels: Vec<String>,
    pub values: Vec<i64>,
}

/// Uploads and classifications per minute over the last hour, per hour over the last
/// week, and the queue's depth per minute over the last hour.
pub struct Activity {
    pub uploads_hour: Series,
    pub classified_hour: Series,
    pub uploads_week: Series,
    pub classified_week: Series,
    pub queue_hour: Series,
}

pub async fn activity(db: &Db) -> Result<Activity> {
    let now = now_ms();
    let minute = activity::minute_of(now);
    let hour_labels: Vec<String> = (minute - 59..=minute)
        .map(|m| clock(m * MINUTE_MS))
        .collect();
    // The week ends with the current hour: 168 whole hours.
    let this_hour = minute - minute.rem_euclid(60);
    let week_from = this_hour - 167 * 60;
    let week_labels: Vec<String> = (0..168)
        .map(|h| day_hour((week_from + h * 60) * MINUTE_MS))
        .collect();
    let minutes = |kind| activity::per_minute(db, kind, minute - 59, minute);
    let week = |kind| activity::per_hour(db, kind, week_from, this_hour + 59);
    Ok(Activity {
        uploads_hour: Series {
            labels: hour_labels.clone(),
            values: minutes(Kind::Uploads).await?,
        },
        classified_hour: Series {
            labels: hour_labels.clone(),
            values: minutes(Kind::Classified).await?,
        },
        queue_hour: Series {
            labels: hour_labels,
            values: minutes(Kind::Queue).await?,
        },
        uploads_week: Series {
            labels: week_labels.clone(),
            values: week(Kind::Uploads).await?,
        },
        classified_week: Series {
            labels: week_labels,
            values: week(Kind::Classified).await?,
        },
    })
}

/// `14:05` (UTC).
fn clock(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// `Mon 27 14:00` (UTC).
fn day_hour(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let day = &t.weekday().to_string()[..3];
    format!("{day} {:02} {:02}:00", t.day(), t.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.95), 95.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn step_times_are_kept_apart_by_backend() {
        let rows: Vec<Timed> = vec![
            (Some("local".into()), Some(1.0), Some(10.0), Some(20.0)),
            (Some("local".into()), Some(3.0), Some(30.0), Some(40.0)),
            (Some("lambda".into()), Some(100.0), None, Some(5.0)),
            (None, Some(1.0), Some(1.0), Some(1.0)),
        ];
        let times = step_times(&rows);
        let find = |b: &str, s: &str| times.iter().find(|t| t.backend == b && t.step == s);
        assert_eq!(find("local", "fetch").unwrap().p95_ms, 3.0);
        assert_eq!(find("local", "predict").unwrap().p50_ms, 20.0);
        assert_eq!(find("lambda", "fetch").unwrap().jobs, 1);
        assert!(find("lambda", "prepare").is_none());
    }
}
