//! The database: one `AnyPool` for SQLite and PostgreSQL, and one set of migrations whose
//! SQL both understand. Queries use `$1` placeholders (sqlx maps them for SQLite) and only
//! the types the Any driver carries: text ids, integer epoch-millisecond times, floats.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

pub type Db = sqlx::AnyPool;

/// The migrations, applied in order by [`connect`] (and by `gallery migrate`). A server
/// also starts on a database that a newer release has migrated further: during a rolling
/// deployment the new release migrates first, and the servers still running the old one
/// (or restarted with it) keep working, as long as each migration only adds (tables,
/// columns with defaults, indexes) and a later release drops what is no longer read.
fn migrations() -> Migrator {
    let mut migrator = sqlx::migrate!("../migrations");
    migrator.set_ignore_missing(true);
    migrator
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!(
                "GALLERY_DATABASE_URL must start with sqlite:// or postgres:// (got {url:?})"
            )
        }
    }
}

/// Connects (creating a SQLite file and its folder if needed) and applies migrations.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)?;
    let url = match backend {
        Backend::Sqlite => prepare_sqlite_url(url)?,
        Backend::Postgres => url.to_owned(),
    };
    let pool = AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // Read pages straight from the OS cache instead of copying them into
                    // each connection's small page cache (searches read thousands of rows).
                    sqlx::query("PRAGMA mmap_size = 268435456")
                        .execute(&mut *conn)
                        .await?;
                }
                if backend == Backend::Postgres {
                    // Our queries are short and indexed. JIT compilation costs more than the
                    // queries themselves (about 100 ms of a search), and on SSD-backed
                    // storage an index probe is not four times a sequential read.
                    sqlx::query("SET jit = off").execute(&mut *conn).await?;
                    sqlx::query("SET random_page_cost = 1.1")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
    if backend == Backend::Sqlite {
        // WAL lets readers go on while one writer commits; it persists in the file.
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await?;
    }
    migrations()
        .run(&pool)
        .await
        .context("cannot apply database migrations")?;
    Ok(pool)
}

/// The migrations applied to the database, in order: `(version, description)`.
pub async fn applied_migrations(db: &Db) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(db)
    .await?)
}

/// A database URL fit for logs and error messages: without its password.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!("the SQLite database needs a file path, e.g. sqlite://data/gallery.db");
    }
    if let Some(parent) = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    Ok(if rest.contains('?') {
        format!("sqlite://{rest}")
    } else {
        format!("sqlite://{rest}?mode=rwc")
    })
}

/// Milliseconds since the Unix epoch: how every time is stored.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Makes the changes of one user's transactions take turns (their folder tree, their
/// storage use): the first statement writes the owner's row, which on PostgreSQL locks it
/// until the transaction ends and on SQLite takes the database's one write lock. Reads
/// after it see whatever the owner's previous transactions committed.
pub async fn lock_owner(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    owner: &str,
) -> crate::error::Result<()> {
    let done = sqlx::query("UPDATE users SET quota_bytes = quota_bytes WHERE id = $1")
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(crate::error::Error::NotFound);
    }
    Ok(())
}

/// `$first, $first+1, …`: `n` placeholders for a list of values (`IN (…)`).
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored time as people and the API read it (RFC 3339, UTC).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::redact("postgres://gallery:s3cr%40t@db.internal:5432/gallery?sslmode=require"),
            "postgres://gallery:***@db.internal:5432/gallery?sslmode=require"
        );
        assert_eq!(
            super::redact("postgres://db/gallery"),
            "postgres://db/gallery"
        );
        assert_eq!(
            super::redact("sqlite://data/gallery.db"),
            "sqlite://data/gallery.db"
        );
    }
}
