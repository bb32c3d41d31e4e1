//! The Trash: a deleted photo or folder keeps its row (and its objects) for
//! `GALLERY_TRASH_DAYS`, out of every listing, search, timeline and count but still
//! counted towards its owner's quota, until it is restored ([`restore`]) or purged for
//! good ([`purge`]). Everything trashed together with a folder carries that folder's id
//! (`trashed_with`), so that it comes back with it.

pub mod purge;
pub mod restore;

use serde::Serialize;

use crate::db::{Db, rfc3339};
use crate::error::{Error, Result};
use crate::folders::{self, Folder};
use crate::images::{self, Image};
use crate::paging::PageQuery;

pub use purge::{purge, purge_expired};
pub use restore::restore;

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A photo in the Trash, as the API lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrashedImage {
    #[serde(flatten)]
    pub image: Image,
    /// When it was deleted (RFC 3339).
    pub trashed_at: String,
    /// When it will be gone for good unless restored (RFC 3339).
    pub purge_at: String,
}

/// A folder in the Trash (with what was in it when it was deleted).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrashedFolder {
    #[serde(flatten)]
    pub folder: Folder,
    pub trashed_at: String,
    pub purge_at: String,
}

/// One page of an owner's Trash: the photos deleted one by one (newest first), and on the
/// first page the folders deleted with what was in them.
#[derive(Debug, Default)]
pub struct Listing {
    pub images: Vec<TrashedImage>,
    pub folders: Vec<TrashedFolder>,
    pub next: Option<String>,
}

/// Which items of the Trash a restore or a purge is about.
#[derive(Debug, Default, Clone)]
pub struct Items {
    pub image_ids: Vec<String>,
    pub folder_ids: Vec<String>,
}

impl Items {
    pub fn is_empty(&self) -> bool {
        self.image_ids.is_empty() && self.folder_ids.is_empty()
    }

    /// Refuses a selection that names nothing, or too much at once.
    pub fn check(&self) -> Result<()> {
        if self.is_empty() {
            return Err(Error::bad_request(
                "name at least one photo or folder (image_ids, folder_ids)",
            ));
        }
        if self.image_ids.len() + self.folder_ids.len() > images::MAX_SELECTION {
            return Err(Error::bad_request(format!(
                "at most {} photos and folders at once",
                images::MAX_SELECTION
            )));
        }
        Ok(())
    }
}

/// When an item trashed at `trashed_at` is purged.
pub fn purge_at(trashed_at: i64, days: u32) -> i64 {
    trashed_at.saturating_add(i64::from(days) * DAY_MS)
}

/// One page of an owner's Trash.
pub async fn list(db: &Db, owner: &str, page: &PageQuery, days: u32) -> Result<Listing> {
    let (rows, next) = images::trashed(db, owner, page).await?;
    let images = rows
        .into_iter()
        .map(|(image, at)| TrashedImage {
            image,
            trashed_at: rfc3339(at),
            purge_at: rfc3339(purge_at(at, days)),
        })
        .collect();
    let folders = if page.after.is_none() {
        trashed_folders(db, owner)
            .await?
            .into_iter()
            .map(|(folder, at)| TrashedFolder {
                folder,
                trashed_at: rfc3339(at),
                purge_at: rfc3339(purge_at(at, days)),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Listing {
        images,
        folders,
        next,
    })
}

/// The most folders the Trash lists (the ones deleted last).
const MAX_LISTED_FOLDERS: i64 = 1000;

/// The folders deleted themselves (not those that went with a parent), newest first, with
/// how many photos went with each.
async fn trashed_folders(db: &Db, owner: &str) -> Result<Vec<(Folder, i64)>> {
    type Row = (String, String, Option<String>, i64, Option<String>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT f.id, f.name, f.parent_id,
            (SELECT COUNT(*) FROM images i WHERE i.trashed_with = f.id) AS image_count,
            f.model_id, f.trashed_at
         FROM folders f WHERE f.owner_id = $1 AND f.trashed_with = f.id
         ORDER BY f.trashed_at DESC, f.id LIMIT $2",
    )
    .bind(owner)
    .bind(MAX_LISTED_FOLDERS)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, parent_id, image_count, model_id, at)| {
            (
                Folder {
                    id,
                    name,
                    parent_id,
                    image_count,
                    model_id,
                },
                at,
            )
        })
        .collect())
}

/// How many photos and bytes an owner keeps in the Trash (they count towards the quota).
pub async fn size(db: &Db, owner: &str) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM images
         WHERE owner_id = $1 AND trashed_at IS NOT NULL",
    )
    .bind(owner)
    .fetch_one(db)
    .await?)
}

/// The names of the folders from the top down to `id` (itself included), trashed or not.
pub(crate) async fn path_of(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    owner: &str,
    id: &str,
) -> Result<Vec<String>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "WITH RECURSIVE up(id, name, parent_id, depth) AS (
            SELECT id, name, parent_id, 0 FROM folders WHERE id = $1 AND owner_id = $2
            UNION ALL
            SELECT f.id, f.name, f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.id = up.parent_id
            WHERE up.depth < $3
        ) SELECT name, depth FROM up ORDER BY depth DESC",
    )
    .bind(id)
    .bind(owner)
    .bind(folders::MAX_DEPTH)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(name, _)| name).collect())
}
