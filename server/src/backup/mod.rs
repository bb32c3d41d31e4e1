//! Backup, restore and check, for operators. `gallery backup DIR` copies the embedded
//! default while its servers run: a consistent snapshot of the SQLite database, then the
//! objects that snapshot's rows name. Keys are random and an object is never written
//! twice, so an object already in DIR is the one wanted, and a second backup into the same
//! DIR copies only what is new (and removes what the new snapshot no longer names). A
//! photo deleted for good between the snapshot and the copy of its objects (a purge deletes
//! the row first, then the objects) is taken out of the snapshot's copy, so the backup
//! never has a row without its objects. [`restore`] puts a backup into an empty data
//! folder; [`check`] proves a store whole, on every deployment.
//!
//! The scaled deployment (PostgreSQL and S3) is backed up with their own tools: a
//! consistent copy of a database many servers write is PostgreSQL's job (`pg_dump`,
//! continuous archiving), and a bucket keeps its own versions; `gallery check` then
//! verifies what they restore.

pub mod check;
mod objects;
pub mod restore;
mod rows;
mod snapshot;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use futures_util::{StreamExt, stream};

pub use check::{Check, check};
pub use objects::Objects;
pub use restore::{Restored, restore};
pub use rows::Owner;
use snapshot::Counts;
pub use snapshot::sqlite_file;

use crate::config::Config;
use crate::storage::{FsStore, ObjectStore, StorageError};

/// The database's file in a backup folder.
pub const DATABASE: &str = "gallery.db";
/// The objects' folder in a backup folder (`objects/KEY`).
pub const OBJECTS: &str = "objects";
/// Objects copied at once.
const COPIES: usize = 64;

/// What `gallery backup` and `gallery restore` say when the metadata is in PostgreSQL.
pub const SCALED: &str = "the metadata of this gallery is in PostgreSQL, which many servers write at once: \
back it up with PostgreSQL's own tools (pg_dump, or continuous archiving for point-in-time recovery) \
and the objects with the bucket's versioning and replication; `gallery check` then verifies what they \
restore (README, \"Backup\")";

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub dir: PathBuf,
    /// The rows in the backup.
    pub counts: Counts,
    pub database_bytes: u64,
    pub copied: usize,
    pub copied_bytes: u64,
    /// Objects already in DIR from an earlier backup.
    pub kept: usize,
    /// Objects of an earlier backup that the new snapshot no longer names.
    pub removed: usize,
    /// Rows deleted between the snapshot and the copy of their objects, left out.
    pub deleted_meanwhile: Vec<Owner>,
    /// Rows whose objects are missing from the store while the row is still there (a
    /// damaged store: `gallery check` lists them), left out.
    pub missing: Vec<(Owner, String)>,
    pub seconds: f64,
}

impl fmt::Display for Backup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Backed up to {}:", self.dir.display())?;
        writeln!(
            f,
            "  database: {} ({})",
            self.counts,
            size(self.database_bytes)
        )?;
        writeln!(
            f,
            "  objects: {} copied ({}), {} already there, {} no longer needed removed",
            self.copied,
            size(self.copied_bytes),
            self.kept,
            self.removed
        )?;
        if !self.deleted_meanwhile.is_empty() {
            writeln!(
                f,
                "  left out: {} deleted for good while the backup ran ({})",
                self.deleted_meanwhile.len(),
                list(&self.deleted_meanwhile)
            )?;
        }
        for (owner, key) in &self.missing {
            writeln!(
                f,
                "  left out: {owner}, whose object {key} is missing from storage"
            )?;
        }
        write!(f, "  took {:.1} s", self.seconds)
    }
}

/// A size as people read it: "1.2 GB".
pub fn size(bytes: u64) -> String {
    let mut value = bytes as f64;
    for unit in ["bytes", "kB", "MB", "GB"] {
        if value < 1000.0 {
            return if unit == "bytes" {
                format!("{bytes} bytes")
            } else {
                format!("{value:.1} {unit}")
            };
        }
        value /= 1000.0;
    }
    format!("{value:.1} TB")
}

fn list(owners: &[Owner]) -> String {
    owners
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Backs up the gallery `config` names into `dir` (made if need be): see the module's
/// documentation. Refused for PostgreSQL ([`SCALED`]).
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<Backup> {
    let started = Instant::now();
    let Some(live) = snapshot::sqlite_file(&config.database_url)? else {
        anyhow::bail!("gallery backup is for the embedded default (SQLite); {SCALED}");
    };
    anyhow::ensure!(live.is_file(), "there is no database at {}", live.display());
    let objects = Objects::open(config).await?;
    std::fs::create_dir_all(dir.join(OBJECTS))
        .with_context(|| format!("cannot make the backup folder {}", dir.display()))?;
    let _alone = lock(dir)?;

    let partial = dir.join(format!("{DATABASE}.partial"));
    let _ = std::fs::remove_file(&partial);
    snapshot::copy_live(&live, &partial).await?;
    let mut copy = snapshot::open(&partial, false).await?;
    let owned = rows::read(&mut copy).await?;

    let kept_store = FsStore::open(dir.join(OBJECTS))?;
    let there: HashSet<String> = kept_store
        .list("")
        .await?
        .into_iter()
        .map(|o| o.key)
        .collect();
    let wanted: Vec<(usize, &str)> = owned
        .iter()
        .enumerate()
        .flat_map(|(i, o)| o.objects.iter().map(move |(key, _)| (i, key.as_str())))
        .collect();
    let kept = wanted.iter().filter(|(_, k)| there.contains(*k)).count();
    let objects_dir = dir.join(OBJECTS);
    let mut copies = stream::iter(wanted.iter().filter(|(_, k)| !there.contains(*k)))
        .map(|&(i, key)| {
            let (objects, objects_dir) = (&objects, &objects_dir);
            async move {
                let copied = match objects::local_path(objects_dir, key) {
                    Ok(to) => objects.copy_out(key, &to).await,
                    Err(err) => Err(err),
                };
                (i, key, copied)
            }
        })
        .buffer_unordered(COPIES);
    let (mut copied, mut copied_bytes) = (0, 0);
    let mut gone: Vec<(usize, &str)> = Vec::new();
    while let Some((i, key, result)) = copies.next().await {
        match result {
            Ok(bytes) => {
                copied += 1;
                copied_bytes += bytes;
            }
            Err(StorageError::NotFound(_)) => gone.push((i, key)),
            Err(err) => anyhow::bail!(
                "cannot copy an object ({err}); the last complete backup in {} is unchanged",
                dir.display()
            ),
        }
    }
    drop(copies);

    // Whose objects were gone: rows deleted since the snapshot, or a damaged store.
    let mut live_conn = snapshot::open(&live, true).await?;
    let (mut deleted_meanwhile, mut missing, mut dropped) = (Vec::new(), Vec::new(), Vec::new());
    for (i, key) in gone {
        let owner = owned[i].owner.clone();
        if dropped.contains(&owner) {
            continue;
        }
        if rows::exists(&mut live_conn, &owner).await? {
            missing.push((owner.clone(), key.to_owned()));
        } else {
            deleted_meanwhile.push(owner.clone());
        }
        dropped.push(owner);
    }
    snapshot::drop_rows(&mut copy, &dropped).await?;
    let counts = Counts::of(&mut copy).await?;
    snapshot::finish(copy, &partial, &dir.join(DATABASE)).await?;

    // Only now is the old snapshot replaced: the objects only it named can go.
    let named: HashSet<&str> = owned
        .iter()
        .filter(|o| !dropped.contains(&o.owner))
        .flat_map(|o| o.objects.iter().map(|(k, _)| k.as_str()))
        .collect();
    let mut removed = 0;
    for object in kept_store.list("").await? {
        if !named.contains(object.key.as_str()) {
            kept_store.delete(&object.key).await?;
            removed += 1;
        }
    }
    Ok(Backup {
        dir: dir.to_path_buf(),
        counts,
        database_bytes: std::fs::metadata(dir.join(DATABASE))?.len(),
        copied,
        copied_bytes,
        kept,
        removed,
        deleted_meanwhile,
        missing,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One backup into a folder at a time: the lock is held until the file is closed.
fn lock(dir: &Path) -> anyhow::Result<std::fs::File> {
    let file = std::fs::File::create(dir.join("backup.lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another backup into {} is under way; wait for it to end",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(err)) => Err(err.into()),
    }
}
