//! Changing photos: moving them, deleting them (to the Trash, or out of one's folder when
//! someone else added them), classifying them again. Only who added a photo changes it;
//! the owner of the folder it is in may take it out.

use super::*;

/// The ids of a selection that are not `owner`'s own (live) photos.
async fn not_own(db: &Db, owner: &str, ids: &[String]) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT id FROM images WHERE owner_id = $1 AND trashed_at IS NULL AND id IN ({})",
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql)).bind(owner);
    for id in ids {
        query = query.bind(id);
    }
    let own: std::collections::HashSet<String> = query
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    Ok(ids
        .iter()
        .filter(|id| !own.contains(*id))
        .cloned()
        .collect())
}

/// Refuses a selection unless every photo is `owner`'s own: 403 for one they may only see
/// (shared with them), 404 for one they may not see.
async fn require_own(db: &Db, owner: &str, ids: &[String]) -> Result<()> {
    for id in not_own(db, owner, ids).await? {
        match crate::access::photo(db, owner, &id).await? {
            Some(photo) if !photo.trashed => photo.require_mine()?,
            _ => return Err(Error::NotFound),
        }
    }
    Ok(())
}

/// Moves one's own images into a folder one may add to (one's own, or shared with one as
/// a contributor), or one's root, in one statement. All or nothing: an id that is not the
/// owner's moves none.
pub async fn move_to(db: &Db, owner: &str, ids: &[String], folder: Option<&str>) -> Result<()> {
    let ids = selection(ids)?;
    require_own(db, owner, &ids).await?;
    if let Some(folder) = folder {
        crate::access::require_folder(db, owner, folder, crate::access::Role::Contributor).await?;
    }
    let mut tx = db.begin().await?;
    let set = "folder_id = $1";
    update_selected(&mut tx, set, folder, owner, &ids).await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the owner's images of a selection in one statement (`set`, with `$1` bound to
/// `value`): all of them, or none and 404.
async fn update_selected(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    set: &str,
    value: Option<&str>,
    owner: &str,
    ids: &[String],
) -> Result<()> {
    let sql = format!(
        "UPDATE images SET {set} WHERE owner_id = $2 AND trashed_at IS NULL AND id IN ({})",
        placeholders(3, ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .bind(owner);
    for id in ids {
        query = query.bind(id);
    }
    if query.execute(&mut **tx).await?.rows_affected() != ids.len() as u64 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// What a delete did: photos moved to one's Trash, and photos others added to one's
/// folders, taken out of them (back to their owners' roots).
#[derive(Debug, Clone, Default)]
pub struct Deleted {
    pub trashed: u64,
    pub handed_back: u64,
    /// The photos that went to the Trash (what Undo brings back).
    pub trashed_ids: Vec<String>,
}

/// Deletes a selection: one's own photos go to one's Trash (see the `trash` module), and
/// photos others added to one's folders go back to their owners' roots (theirs, not lost).
/// All of the selection or none: 404 for a photo one may not see or in the Trash already,
/// 403 for one only shared with one. Trashed photos keep counting towards the quota until
/// they are purged.
pub async fn delete(db: &Db, owner: &str, ids: &[String]) -> Result<Deleted> {
    let ids = selection(ids)?;
    let mut others = Vec::new();
    for id in not_own(db, owner, &ids).await? {
        let photo = crate::access::photo(db, owner, &id)
            .await?
            .filter(|p| !p.trashed && p.visible())
            .ok_or(Error::NotFound)?;
        if photo.folder_role != Some(crate::access::Role::Owner) {
            return Err(Error::Forbidden(
                "only the person who added this photo, or the folder's owner, can remove it".into(),
            ));
        }
        others.push((id, photo.folder_id));
    }
    let mine: Vec<String> = ids
        .iter()
        .filter(|id| !others.iter().any(|(o, _)| o == *id))
        .cloned()
        .collect();
    let mut tx = db.begin().await?;
    crate::db::lock_owner(&mut tx, owner).await?;
    let mut trashed = 0;
    if !mine.is_empty() {
        let sql = format!(
            "UPDATE images SET trashed_at = $1, trashed_with = NULL
             WHERE owner_id = $2 AND trashed_at IS NULL AND id IN ({})",
            placeholders(3, mine.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now_ms())
            .bind(owner);
        for id in &mine {
            query = query.bind(id);
        }
        trashed = query.execute(&mut *tx).await?.rows_affected();
        if trashed != mine.len() as u64 {
            return Err(Error::NotFound);
        }
        crate::usage::add(&mut tx, owner, -(trashed as i64), 0).await?;
    }
    for (id, folder) in &others {
        // Still in the folder checked above (else it moved meanwhile: 404, nothing done).
        let moved = sqlx::query(
            "UPDATE images SET folder_id = NULL WHERE id = $1 AND folder_id = $2 AND trashed_at IS NULL",
        )
        .bind(id)
        .bind(folder)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Err(Error::NotFound);
        }
    }
    tx.commit().await?;
    Ok(Deleted {
        trashed,
        handed_back: others.len() as u64,
        trashed_ids: mine,
    })
}

/// Queues photos for classification again: all of the selection, or none (404).
pub async fn reclassify(db: &Db, queue: &Queue, owner: &str, ids: &[String]) -> Result<()> {
    let ids = selection(ids)?;
    require_own(db, owner, &ids).await?;
    let mut tx = db.begin().await?;
    let set = "status = $1, status_detail = NULL";
    update_selected(&mut tx, set, Some(Status::Queued.as_str()), owner, &ids).await?;
    jobs::enqueue_many(&mut tx, &ids, now_ms(), jobs::Source::Original).await?;
    tx.commit().await?;
    queue.wake();
    Ok(())
}
