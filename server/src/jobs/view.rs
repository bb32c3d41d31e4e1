//! The queue as admins see it: recent jobs by state, counts, depth, retrying failed jobs
//! and pruning finished ones.

use super::*;

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
