//! What happened per minute, for the admin's charts: photos uploaded, classified and failed
//! (counted in the transaction that makes them so), and the deepest the queue was (sampled
//! by each server's heartbeat). A chart reads at most a week of minutes, never the photos.

use sqlx::{Any, Executor};

use crate::db::Db;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Uploads,
    Classified,
    Failed,
    /// The largest queue depth seen in the minute.
    Queue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Uploads => "uploads",
            Kind::Classified => "classified",
            Kind::Failed => "failed",
            Kind::Queue => "queue",
        }
    }
}

pub const MINUTE_MS: i64 = 60_000;

pub fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

/// Adds `n` events of `kind` to the minute of `now`.
pub async fn add<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: Kind,
    n: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO activity (minute, kind, n) VALUES ($1, $2, $3)
         ON CONFLICT (minute, kind) DO UPDATE SET n = activity.n + excluded.n",
    )
    .bind(minute_of(now))
    .bind(kind.as_str())
    .bind(n)
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps the largest `n` of `kind` seen in the minute of `now`.
pub async fn record_max(db: &Db, kind: Kind, n: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO activity (minute, kind, n) VALUES ($1, $2, $3)
         ON CONFLICT (minute, kind) DO UPDATE
         SET n = CASE WHEN excluded.n > activity.n THEN excluded.n ELSE activity.n END",
    )
    .bind(minute_of(now))
    .bind(kind.as_str())
    .bind(n)
    .execute(db)
    .await?;
    Ok(())
}

pub const PER_MINUTE: &str =
    "SELECT minute, n FROM activity WHERE kind = $1 AND minute >= $2 AND minute <= $3";

/// The counts of `kind` from minute `from` to minute `to` (inclusive), one per minute,
/// zero where nothing happened.
pub async fn per_minute(db: &Db, kind: Kind, from: i64, to: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(PER_MINUTE)
        .bind(kind.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(db)
        .await?;
    Ok(spread(rows, from, to))
}

pub const PER_HOUR: &str = "SELECT minute / 60, CAST(SUM(n) AS BIGINT) FROM activity
    WHERE kind = $1 AND minute >= $2 AND minute <= $3 GROUP BY minute / 60";

/// The counts of `kind` per hour, for the hours from the one holding minute `from` to the
/// one holding minute `to` (inclusive), added up by the database.
pub async fn per_hour(db: &Db, kind: Kind, from: i64, to: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(PER_HOUR)
        .bind(kind.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(db)
        .await?;
    Ok(spread(rows, from.div_euclid(60), to.div_euclid(60)))
}

/// One count per step from `first` to `last` (inclusive), zero where no row says otherwise.
fn spread(rows: Vec<(i64, i64)>, first: i64, last: i64) -> Vec<i64> {
    let mut out = vec![0; (last - first + 1).max(0) as usize];
    for (at, n) in rows {
        if let Some(slot) = usize::try_from(at - first)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot = n;
        }
    }
    out
}

/// Forgets minutes older than `keep_ms` (housekeeping).
pub async fn prune(db: &Db, now: i64, keep_ms: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM activity WHERE minute < $1")
        .bind(minute_of(now - keep_ms))
        .execute(db)
        .await?
        .rows_affected())
}
