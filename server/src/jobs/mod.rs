//! The durable classification queue. A job is inserted in the same transaction as the
//! change that needs it, so an acknowledged upload always has its job. Workers claim a
//! job with a lease; a job whose lease runs out (its worker died) is claimed again.

pub mod claim;
pub mod lambda;
pub mod reclassify;
pub mod view;
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

pub use claim::{CLASSIFIER_UNAVAILABLE, Claimed, Failure, Runner, overdue, set_status};
pub use reclassify::reclassify_folder;
pub use view::{
    JobView, Retry, STATES, counts_by_state, depth, prune_finished, recent, recent_sql, retry,
};
