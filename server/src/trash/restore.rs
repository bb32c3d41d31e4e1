//! Restoring from the Trash: photos go back to the folder they were in; a folder goes back
//! under its parent with everything that went with it. When that folder is gone (in the
//! Trash itself, or purged), it is made again along the same path from the top; when a
//! live folder has taken a restored folder's name meanwhile, the restored one is called
//! "NAME (restored)".

use sqlx::{Any, Transaction};

use super::{Items, path_of};
use crate::db::{Db, lock_owner, new_id, now_ms};
use crate::error::{Error, Result};

/// Puts back the named photos and folders: all of them, or none (404 when one is not in
/// the owner's Trash). How many photos came back.
pub async fn restore(db: &Db, owner: &str, items: &Items) -> Result<u64> {
    items.check()?;
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    let mut restored = 0;
    for id in &items.folder_ids {
        restored += folder(&mut tx, owner, id).await?;
    }
    for id in &items.image_ids {
        image(&mut tx, owner, id).await?;
        restored += 1;
    }
    crate::usage::add(&mut tx, owner, restored as i64, 0).await?;
    tx.commit().await?;
    Ok(restored)
}

type Tx<'a> = Transaction<'a, Any>;

/// A photo trashed by itself, back in its folder (made again if gone).
async fn image(tx: &mut Tx<'_>, owner: &str, id: &str) -> Result<()> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT folder_id, trashed_from FROM images
         WHERE id = $1 AND owner_id = $2 AND trashed_at IS NOT NULL AND trashed_with IS NULL",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?;
    let (folder_id, from) = row.ok_or(Error::NotFound)?;
    let folder = home(tx, owner, folder_id.as_deref(), from.as_deref()).await?;
    sqlx::query(
        "UPDATE images SET trashed_at = NULL, trashed_with = NULL, trashed_from = NULL, folder_id = $1
         WHERE id = $2 AND owner_id = $3",
    )
    .bind(folder)
    .bind(id)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A folder trashed by itself, back under its parent (made again if gone) with every
/// folder and photo that went with it. How many photos came back.
async fn folder(tx: &mut Tx<'_>, owner: &str, id: &str) -> Result<u64> {
    let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT name, parent_id, trashed_from FROM folders
         WHERE id = $1 AND owner_id = $2 AND trashed_with = $1",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?;
    let (name, parent_id, from) = row.ok_or(Error::NotFound)?;
    let parent = home(tx, owner, parent_id.as_deref(), from.as_deref()).await?;
    let name = free_name(tx, owner, parent.as_deref(), &name).await?;
    sqlx::query(
        "UPDATE folders SET trashed_at = NULL, trashed_with = NULL, trashed_from = NULL,
            parent_id = $1, name = $2 WHERE id = $3 AND owner_id = $4",
    )
    .bind(&parent)
    .bind(&name)
    .bind(id)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE folders SET trashed_at = NULL, trashed_with = NULL WHERE owner_id = $1 AND trashed_with = $2",
    )
    .bind(owner)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query(
        "UPDATE images SET trashed_at = NULL, trashed_with = NULL WHERE owner_id = $1 AND trashed_with = $2",
    )
    .bind(owner)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Where something restored goes: `folder` when it is live; else the same path made again
/// (the path of `folder` as it was, or `from` when it was purged); else the top level.
async fn home(
    tx: &mut Tx<'_>,
    owner: &str,
    folder: Option<&str>,
    from: Option<&str>,
) -> Result<Option<String>> {
    let path = match folder {
        Some(folder) => {
            let live: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT trashed_at FROM folders WHERE id = $1 AND owner_id = $2")
                    .bind(folder)
                    .bind(owner)
                    .fetch_optional(&mut **tx)
                    .await?;
            match live {
                Some((None,)) => return Ok(Some(folder.to_owned())),
                Some((Some(_),)) => path_of(tx, owner, folder).await?,
                None => parse_path(from),
            }
        }
        None => parse_path(from),
    };
    make_path(tx, owner, &path).await
}

/// A path as `trashed_from` keeps it (a JSON list of names).
fn parse_path(from: Option<&str>) -> Vec<String> {
    from.and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default()
}

/// The live folder at `path` from the top (names compared as folders compare them,
/// ignoring case), made where missing. `None` for the top level.
async fn make_path(tx: &mut Tx<'_>, owner: &str, path: &[String]) -> Result<Option<String>> {
    let mut parent: Option<String> = None;
    for name in path {
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM folders WHERE owner_id = $1 AND COALESCE(parent_id, '') = $2
               AND lower(name) = lower($3) AND trashed_at IS NULL",
        )
        .bind(owner)
        .bind(parent.as_deref().unwrap_or(""))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        parent = Some(match found {
            Some((id,)) => id,
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO folders (id, owner_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(owner)
                .bind(&parent)
                .bind(name)
                .bind(now_ms())
                .execute(&mut **tx)
                .await?;
                id
            }
        });
    }
    Ok(parent)
}

/// `name`, or "NAME (restored)", "NAME (restored 2)", … when a live folder has it there.
async fn free_name(
    tx: &mut Tx<'_>,
    owner: &str,
    parent: Option<&str>,
    name: &str,
) -> Result<String> {
    for n in 1..=100 {
        let candidate = match n {
            1 => name.to_owned(),
            2 => format!("{name} (restored)"),
            n => format!("{name} (restored {})", n - 1),
        };
        let taken: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM folders WHERE owner_id = $1 AND COALESCE(parent_id, '') = $2
               AND lower(name) = lower($3) AND trashed_at IS NULL",
        )
        .bind(owner)
        .bind(parent.unwrap_or(""))
        .bind(&candidate)
        .fetch_optional(&mut **tx)
        .await?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(Error::Conflict(format!(
        "a folder named {name} is already there; rename it first"
    )))
}
