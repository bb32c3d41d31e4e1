//! `gallery restore DIR`: a backup made by `gallery backup` put into an empty data folder
//! (the database file and the store the settings name). It never writes over anything:
//! a database file already there, or any object in the store, and it refuses. The backup
//! is checked first (its database whole, every object its rows name present), then the
//! objects go in, then the database, last, so that a restore cut short leaves no database
//! naming objects that are not there.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use futures_util::{StreamExt, stream};

use super::objects::{self, Objects};
use super::snapshot::{self, Counts};
use super::{COPIES, DATABASE, OBJECTS, SCALED, rows, size};
use crate::config::Config;

/// What a restore put in place.
#[derive(Debug)]
pub struct Restored {
    pub from: PathBuf,
    pub database: PathBuf,
    pub counts: Counts,
    pub objects: usize,
    pub bytes: u64,
    pub seconds: f64,
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Restored {} into {}:",
            self.from.display(),
            self.database.display()
        )?;
        writeln!(f, "  database: {}", self.counts)?;
        writeln!(f, "  objects: {} ({})", self.objects, size(self.bytes))?;
        write!(f, "  took {:.1} s", self.seconds)
    }
}

/// Restores the backup in `dir` into the database file and store `config` names, which
/// must both be empty. Refused for PostgreSQL ([`SCALED`]).
pub async fn restore(config: &Config, dir: &Path) -> anyhow::Result<Restored> {
    let started = Instant::now();
    let Some(target) = snapshot::sqlite_file(&config.database_url)? else {
        anyhow::bail!("gallery restore is for the embedded default (SQLite); {SCALED}");
    };
    let source = dir.join(DATABASE);
    anyhow::ensure!(
        source.is_file(),
        "{} holds no {DATABASE}: it is not a folder `gallery backup` wrote",
        dir.display()
    );
    refuse_if_taken(&target)?;
    let store = Objects::open(config).await?;
    anyhow::ensure!(
        store.is_empty().await?,
        "the store at {} is not empty: restore only into an empty data folder (nothing is written over)",
        config.storage
    );

    let mut conn = snapshot::open(&source, true).await?;
    let (verdict,): (String,) = sqlx::query_as("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await?;
    anyhow::ensure!(
        verdict == "ok",
        "the database of the backup is damaged: {verdict}"
    );
    let owned = rows::read(&mut conn).await?;
    let counts = Counts::of(&mut conn).await?;
    drop(conn);

    let backed_up = dir.join(OBJECTS);
    let mut wanted = Vec::new();
    let mut absent = Vec::new();
    for owner in &owned {
        for (key, content_type) in &owner.objects {
            let found = objects::local_path(&backed_up, key)
                .ok()
                .and_then(|path| Some((std::fs::metadata(&path).ok()?.len(), path)));
            match found {
                Some((len, path)) => wanted.push((key.as_str(), path, len, content_type.as_str())),
                None => absent.push(format!("{} ({key})", owner.owner)),
            }
        }
    }
    anyhow::ensure!(
        absent.is_empty(),
        "the backup in {} is incomplete, nothing was restored: {} objects its database names are missing, e.g. {}",
        dir.display(),
        absent.len(),
        absent[..absent.len().min(5)].join(", ")
    );

    let store = &store;
    let mut puts = stream::iter(&wanted)
        .map(|(key, path, len, content_type)| async move {
            store.copy_in(key, path, *len, content_type).await
        })
        .buffer_unordered(COPIES);
    while let Some(put) = puts.next().await {
        put.with_context(|| {
            format!(
                "the restore stopped: the store at {} holds part of the objects and there is no database yet; empty it and run gallery restore again",
                config.storage
            )
        })?;
    }
    drop(puts);

    if let Some(folder) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot make the folder {}", folder.display()))?;
    }
    let mut partial = target.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::copy(&source, &partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    snapshot::put_in_place(&partial, &target)?;
    Ok(Restored {
        from: dir.to_path_buf(),
        database: target,
        counts,
        objects: wanted.len(),
        bytes: wanted.iter().map(|w| w.2).sum(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Refuses a database file that is there already (or its write-ahead log or journal).
fn refuse_if_taken(target: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = target.as_os_str().to_owned();
        path.push(suffix);
        let path = PathBuf::from(path);
        anyhow::ensure!(
            !path.exists(),
            "{} is there already: restore only into an empty data folder (nothing is written over; move it away first)",
            path.display()
        );
    }
    Ok(())
}
