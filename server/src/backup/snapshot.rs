//! The SQLite side of a backup: the database file a URL names, a consistent copy of it made
//! while the servers write (`VACUUM INTO` reads one snapshot, as any reader in WAL mode
//! does, and blocks no writer), the rows taken out of that copy whose objects were gone
//! by the time they were copied, and the copy put in place whole or not at all.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sqlx::{AnyConnection, Connection};

use super::rows::Owner;
use crate::db::Backend;

/// The database file of a `sqlite:` URL; `None` for PostgreSQL.
pub fn sqlite_file(url: &str) -> anyhow::Result<Option<PathBuf>> {
    if Backend::of_url(url)? != Backend::Sqlite {
        return Ok(None);
    }
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or_default();
    anyhow::ensure!(
        !path.is_empty() && path != ":memory:",
        "the SQLite database needs a file path, e.g. sqlite://data/gallery.db"
    );
    Ok(Some(PathBuf::from(path)))
}

/// A connection to an existing SQLite file (never created here); `read_only` for the
/// servers' own database.
pub async fn open(path: &Path, read_only: bool) -> anyhow::Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    anyhow::ensure!(path.is_file(), "there is no database at {}", path.display());
    let mode = if read_only { "ro" } else { "rw" };
    let url = format!("sqlite://{}?mode={mode}", path.display());
    AnyConnection::connect(&url)
        .await
        .with_context(|| format!("cannot open the database at {}", path.display()))
}

/// Writes a consistent copy of the database at `live` to `to` (which must not exist).
pub async fn copy_live(live: &Path, to: &Path) -> anyhow::Result<()> {
    let mut conn = open(live, true).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(to.display().to_string())
        .execute(&mut conn)
        .await
        .with_context(|| format!("cannot copy the database at {}", live.display()))?;
    conn.close().await?;
    Ok(())
}

/// Takes rows out of a copy: photos (with their labels and jobs, and from their owner's
/// usage) and registered models (folders that named one go back to inheriting).
pub async fn drop_rows(conn: &mut AnyConnection, owners: &[Owner]) -> anyhow::Result<()> {
    let mut tx = conn.begin().await?;
    for owner in owners {
        match owner {
            Owner::Photo(id) => {
                let gone: Option<(String, i64)> =
                    sqlx::query_as("DELETE FROM images WHERE id = $1 RETURNING owner_id, bytes")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some((user, bytes)) = gone {
                    crate::usage::add(&mut tx, &user, -1, -bytes).await?;
                }
            }
            Owner::Model(id) => {
                sqlx::query("UPDATE folders SET model_id = NULL WHERE model_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM models WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Makes the copy one self-contained file (no write-ahead log beside it), closes it, syncs
/// it to disk and renames it to `to`, replacing an older one in one step.
pub async fn finish(mut conn: AnyConnection, partial: &Path, to: &Path) -> anyhow::Result<()> {
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    put_in_place(partial, to)
}

/// Syncs a written file, renames it to `to` and syncs the folder, so that after a crash
/// `to` is the old file or the new one, whole.
pub fn put_in_place(partial: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::File::open(partial)?.sync_all()?;
    std::fs::rename(partial, to)
        .with_context(|| format!("cannot put {} in place", to.display()))?;
    if let Some(folder) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// How many rows of each kind a database holds, for what the commands print.
#[derive(Debug, Default)]
pub struct Counts {
    pub users: i64,
    pub folders: i64,
    pub photos: i64,
    pub trashed: i64,
    pub models: i64,
}

impl Counts {
    pub async fn of(conn: &mut AnyConnection) -> sqlx::Result<Self> {
        let mut count = async |sql: &'static str| -> sqlx::Result<i64> {
            Ok(sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(&mut *conn)
                .await?
                .0)
        };
        Ok(Self {
            users: count("SELECT COUNT(*) FROM users").await?,
            folders: count("SELECT COUNT(*) FROM folders").await?,
            photos: count("SELECT COUNT(*) FROM images").await?,
            trashed: count("SELECT COUNT(*) FROM images WHERE trashed_at IS NOT NULL").await?,
            models: count("SELECT COUNT(*) FROM models").await?,
        })
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} photos ({} of them in the Trash), {} folders, {} accounts, {} registered models",
            self.photos, self.trashed, self.folders, self.users, self.models
        )
    }
}
