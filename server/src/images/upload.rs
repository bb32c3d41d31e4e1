//! What uploads are held to: each file's checks, how many are decoded at once (memory and
//! cores), and the storage each user may fill. The form itself is read at the edge
//! (`api::multipart`); each file is decoded on a blocking thread, a few at a time, so that
//! large uploads cannot take all the memory or all the cores.

use tokio::sync::Semaphore;

use super::decode::{self, Policy, Prepared};
use super::ingest;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::spool::Received;

/// What uploads are held to: the checks of each file, how many are decoded at once (memory
/// and cores), and the storage each user may fill unless an admin set theirs.
pub struct Uploads {
    pub policy: Policy,
    pub decode_slots: Semaphore,
    pub default_quota: Option<u64>,
}

impl Uploads {
    /// The owner's quota, or a 413 at once when their storage is already full (before the
    /// upload's body is kept).
    pub async fn room(&self, db: &Db, owner: &str) -> Result<Option<u64>> {
        let quota = ingest::quota(db, owner, self.default_quota).await?;
        ingest::check_room(db, owner, quota).await?;
        Ok(quota)
    }

    /// Checks and decodes one received file on a blocking thread, when a decode slot is free.
    pub async fn prepare(&self, filename: String, data: Received) -> Result<Prepared> {
        let _slot = self
            .decode_slots
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        let policy = self.policy.clone();
        tokio::task::spawn_blocking(move || decode::prepare(filename, data, &policy))
            .await
            .map_err(|join| Error::Internal(join.into()))?
    }
}
