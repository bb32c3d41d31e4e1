//! `gallery check`: that a gallery's store is whole, on every deployment (SQLite and files,
//! PostgreSQL and S3), while its servers run. Every photo row has each of its objects, and
//! its original the size the row says; every registered model has its three; every object
//! under `u/` and `models/` belongs to a row or is an orphan; and with `--hashes` every
//! original (and model file) is read again and matches the SHA-256 its row keeps.
//!
//! The servers go on meanwhile. An upload writes its objects before its row, a purge
//! deletes its row before its objects, so the rows are read, then the store listed, then
//! the rows read again: an object is missing only if its row was there both times, and an
//! orphan only if neither read named it and it is older than an upload takes
//! (`GALLERY_SWEEP_AFTER_MINUTES`, which the sweep waits too). Younger ones are shown,
//! not counted.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Instant;

use futures_util::{StreamExt, stream};

use super::rows::{self, Owned, Owner};
use super::{Objects, size};
use crate::db::{Db, now_ms, rfc3339};
use crate::storage::{Listed, StorageError};

/// What the check found.
#[derive(Debug, Default)]
pub struct Check {
    pub photos: usize,
    pub models: usize,
    /// Objects listed under `u/` and `models/`, and their bytes.
    pub objects: usize,
    pub object_bytes: u64,
    /// Whether the originals were hashed, how many and how many bytes.
    pub hashes: bool,
    pub hashed: usize,
    pub hashed_bytes: u64,
    /// A row without one of its objects: `(row, what, key)`.
    pub missing: Vec<(Owner, &'static str, String)>,
    /// An object of another size than its row says: `(row, key, row's, stored)`.
    pub wrong_size: Vec<(Owner, String, u64, u64)>,
    /// An object whose SHA-256 is not its row's: `(row, key, row's, stored)`.
    pub mismatched: Vec<(Owner, String, String, String)>,
    pub orphans: Vec<Listed>,
    /// Objects without a row, young enough to be an upload under way (not counted).
    pub recent: Vec<Listed>,
    /// Objects the store would not give: `(key, why)`.
    pub unreadable: Vec<(String, String)>,
    pub seconds: f64,
}

impl Check {
    /// How many things are wrong.
    pub fn problems(&self) -> usize {
        self.missing.len()
            + self.wrong_size.len()
            + self.mismatched.len()
            + self.orphans.len()
            + self.unreadable.len()
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (owner, what, key) in &self.missing {
            writeln!(f, "missing: {owner} has no {what} ({key})")?;
        }
        for (owner, key, row, stored) in &self.wrong_size {
            writeln!(
                f,
                "wrong size: {owner}: {key} is {stored} bytes, its row says {row}"
            )?;
        }
        for (owner, key, row, stored) in &self.mismatched {
            writeln!(
                f,
                "hash mismatch: {owner}: {key} has SHA-256 {stored}, its row says {row}"
            )?;
        }
        for orphan in &self.orphans {
            writeln!(
                f,
                "orphan: {} ({}, written {}) belongs to no row",
                orphan.key,
                size(orphan.bytes),
                rfc3339(orphan.modified_ms)
            )?;
        }
        for (key, why) in &self.unreadable {
            writeln!(f, "unreadable: {key}: {why}")?;
        }
        if !self.recent.is_empty() {
            writeln!(
                f,
                "{} objects without a row yet are younger than GALLERY_SWEEP_AFTER_MINUTES (uploads under way?), not counted",
                self.recent.len()
            )?;
        }
        let hashed = if self.hashes {
            format!(
                "; {} files hashed ({}, {:.0} MB/s)",
                self.hashed,
                size(self.hashed_bytes),
                self.hashed_bytes as f64 / 1e6 / self.seconds.max(1e-3)
            )
        } else {
            String::new()
        };
        let verdict = match self.problems() {
            0 => "all well".to_owned(),
            n => format!("{n} problems"),
        };
        write!(
            f,
            "{verdict}: {} photos, {} registered models, {} objects ({}){hashed}, in {:.1} s",
            self.photos,
            self.models,
            self.objects,
            size(self.object_bytes),
            self.seconds
        )
    }
}

/// Checks the gallery in `db` and `objects` (see the module's documentation); objects
/// without a row written within `grace_minutes` are not counted as orphans.
pub async fn check(
    db: &Db,
    objects: &Objects,
    hashes: bool,
    grace_minutes: i64,
) -> anyhow::Result<Check> {
    let started = Instant::now();
    let mut conn = db.acquire().await?;
    let before = rows::read(&mut conn).await?;
    let listed = objects.list().await?;
    let after = rows::read(&mut conn).await?;
    drop(conn);

    let still: HashSet<&Owner> = after.iter().map(|o| &o.owner).collect();
    let named: HashSet<&str> = before
        .iter()
        .chain(&after)
        .flat_map(|o| o.objects.iter().map(|(k, _)| k.as_str()))
        .collect();
    let stored: HashMap<&str, &Listed> = listed.iter().map(|o| (o.key.as_str(), o)).collect();
    let mut report = Check {
        photos: count(&after, |o| matches!(o, Owner::Photo(_))),
        models: count(&after, |o| matches!(o, Owner::Model(_))),
        objects: listed.len(),
        object_bytes: listed.iter().map(|o| o.bytes).sum(),
        hashes,
        ..Check::default()
    };
    // Rows there before and after the listing: each of their objects must be in it.
    let mut whole = Vec::new();
    for owned in before.iter().filter(|o| still.contains(&o.owner)) {
        let mut complete = true;
        for (i, (key, _)) in owned.objects.iter().enumerate() {
            match stored.get(key.as_str()) {
                None => {
                    complete = false;
                    report
                        .missing
                        .push((owned.owner.clone(), owned.role(i), key.clone()));
                }
                Some(object) if i == 0 && object.bytes != owned.bytes => {
                    complete = false;
                    report.wrong_size.push((
                        owned.owner.clone(),
                        key.clone(),
                        owned.bytes,
                        object.bytes,
                    ));
                }
                Some(_) => {}
            }
        }
        if complete {
            whole.push(owned);
        }
    }
    let cutoff = now_ms() - grace_minutes.max(0).saturating_mul(60_000);
    for object in &listed {
        if !named.contains(object.key.as_str()) {
            if object.modified_ms <= cutoff {
                report.orphans.push(object.clone());
            } else {
                report.recent.push(object.clone());
            }
        }
    }
    if hashes {
        hash_all(db, objects, &whole, &mut report).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn count(owned: &[Owned], kind: impl Fn(&Owner) -> bool) -> usize {
    owned.iter().filter(|o| kind(&o.owner)).count()
}

/// Reads every row's hashed object again, as many at once as there are cores, and
/// compares it with the row. An object gone meanwhile is missing only if its row is not.
async fn hash_all(
    db: &Db,
    objects: &Objects,
    whole: &[&Owned],
    report: &mut Check,
) -> anyhow::Result<()> {
    let at_once = std::thread::available_parallelism().map_or(4, |n| n.get());
    let mut hashed = stream::iter(whole)
        .map(|owned| async move { (*owned, objects.sha256(owned.hashed()).await) })
        .buffer_unordered(at_once);
    let mut gone = Vec::new();
    while let Some((owned, result)) = hashed.next().await {
        let key = owned.hashed().to_owned();
        match result {
            Ok((sha256, len)) => {
                report.hashed += 1;
                report.hashed_bytes += len;
                if !sha256.eq_ignore_ascii_case(&owned.sha256) {
                    report.mismatched.push((
                        owned.owner.clone(),
                        key,
                        owned.sha256.clone(),
                        sha256,
                    ));
                }
            }
            Err(StorageError::NotFound(_)) => gone.push(owned),
            Err(err) => report.unreadable.push((key, err.to_string())),
        }
    }
    drop(hashed);
    let mut conn = db.acquire().await?;
    for owned in gone {
        if rows::exists(&mut conn, &owned.owner).await? {
            report.missing.push((
                owned.owner.clone(),
                owned.role(0),
                owned.hashed().to_owned(),
            ));
        }
    }
    Ok(())
}
