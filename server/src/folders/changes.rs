//! Making, renaming and moving folders, with the checks each change needs (names, the
//! number of folders, depth, no folder inside itself).

use crate::db::{Db, lock_owner, new_id, now_ms};
use crate::error::{Error, Result, ResultExt};

use super::nesting::{depth, exists, height, is_within, too_deep};
use super::{Folder, MAX_DEPTH, MAX_FOLDERS, clean_name, get, owned};

fn duplicate(name: &str) -> impl FnOnce() -> String + '_ {
    move || {
        format!("a folder named \u{201c}{name}\u{201d} already exists here; choose another name")
    }
}

pub async fn create(db: &Db, owner: &str, name: &str, parent: Option<&str>) -> Result<Folder> {
    let name = clean_name(name)?;
    if let Some(parent) = parent {
        owned(db, owner, parent).await?;
    }
    let id = new_id();
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM folders WHERE owner_id = $1 AND trashed_at IS NULL")
            .bind(owner)
            .fetch_one(&mut *tx)
            .await?;
    if count >= MAX_FOLDERS {
        return Err(Error::Conflict(format!(
            "you have {MAX_FOLDERS} folders, as many as one account may have; delete some first"
        )));
    }
    if let Some(parent) = parent {
        exists(&mut tx, owner, parent).await?;
        if depth(&mut tx, owner, parent).await? + 1 > MAX_DEPTH {
            return Err(too_deep());
        }
    }
    sqlx::query("INSERT INTO folders (id, owner_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(owner)
        .bind(parent)
        .bind(&name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .on_unique_violation(duplicate(&name))?;
    tx.commit().await?;
    get(db, owner, &id).await
}

pub async fn rename(db: &Db, owner: &str, id: &str, name: &str) -> Result<Folder> {
    let name = clean_name(name)?;
    owned(db, owner, id).await?;
    sqlx::query("UPDATE folders SET name = $1 WHERE id = $2 AND owner_id = $3")
        .bind(&name)
        .bind(id)
        .bind(owner)
        .execute(db)
        .await
        .on_unique_violation(duplicate(&name))?;
    get(db, owner, id).await
}

/// Moves a folder under another (or to the root), never into itself or its own sub-folders,
/// and never deeper than [`MAX_DEPTH`]. The checks run in the move's transaction, after
/// the owner's other folder changes have committed (they take turns), so two moves at
/// once cannot make a loop between them.
pub async fn move_to(db: &Db, owner: &str, id: &str, new_parent: Option<&str>) -> Result<Folder> {
    let folder = owned(db, owner, id).await?;
    if let Some(target) = new_parent {
        owned(db, owner, target).await?;
    }
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    exists(&mut tx, owner, id).await?;
    if let Some(target) = new_parent {
        exists(&mut tx, owner, target).await?;
        if is_within(&mut tx, owner, target, id).await? {
            return Err(Error::bad_request(
                "a folder cannot be moved into itself or one of its sub-folders",
            ));
        }
        if depth(&mut tx, owner, target).await? + height(&mut tx, owner, id).await? > MAX_DEPTH {
            return Err(too_deep());
        }
    }
    sqlx::query("UPDATE folders SET parent_id = $1 WHERE id = $2 AND owner_id = $3")
        .bind(new_parent)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .on_unique_violation(duplicate(&folder.name))?;
    tx.commit().await?;
    get(db, owner, id).await
}
