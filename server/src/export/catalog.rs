//! What an export reads of the database: the owner's folders and photos that are not in
//! the Trash, with the labels of the photos. Every query names the owner.

use std::collections::HashMap;

use crate::db::{Db, placeholders};
use crate::error::{Error, Result};
use crate::folders::SUBTREE_OF_ANYONE;
use crate::images::Label;

/// A folder, as the tree of an export needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FolderRow {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
}

/// A photo with what an export writes of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRow {
    pub id: String,
    pub folder_id: Option<String>,
    pub filename: String,
    pub object_key: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub width: i64,
    pub height: i64,
    pub taken_at: Option<i64>,
    pub created_at: i64,
    pub camera: Option<String>,
    pub lens: Option<String>,
    pub model: Option<String>,
}

const PHOTO_COLUMNS: &str = "id, folder_id, filename, object_key, content_type, bytes, sha256,
    width, height, taken_at, created_at, camera, lens, model";

/// The owner's folders that are not in the Trash.
pub async fn folders(db: &Db, owner: &str) -> Result<Vec<FolderRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, parent_id FROM folders WHERE owner_id = $1 AND trashed_at IS NULL",
    )
    .bind(owner)
    .fetch_all(db)
    .await?)
}

/// The owner's photos that are not in the Trash.
pub async fn all_photos(db: &Db, owner: &str) -> Result<Vec<PhotoRow>> {
    let sql =
        format!("SELECT {PHOTO_COLUMNS} FROM images WHERE owner_id = $1 AND trashed_at IS NULL");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .fetch_all(db)
        .await?)
}

/// A folder (which the caller checked its user may see) and every folder below it, none
/// in the Trash.
pub async fn folders_below(db: &Db, folder: &str) -> Result<Vec<FolderRow>> {
    let sql = format!(
        "{SUBTREE_OF_ANYONE} SELECT id, name, parent_id FROM folders WHERE id IN (SELECT id FROM subtree)"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folder)
        .fetch_all(db)
        .await?)
}

/// The photos in a folder and every folder below it, whoever added them (a shared folder's
/// contributors too), none in the Trash.
pub async fn photos_below(db: &Db, folder: &str) -> Result<Vec<PhotoRow>> {
    let sql = format!(
        "{SUBTREE_OF_ANYONE} SELECT {PHOTO_COLUMNS} FROM images
         WHERE trashed_at IS NULL AND folder_id IN (SELECT id FROM subtree)"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folder)
        .fetch_all(db)
        .await?)
}

/// The photos of a selection (ids without repeats): all of them, or 404 when the user may
/// not see one or it is in the Trash.
pub async fn photos_selected(db: &Db, user: &str, ids: &[String]) -> Result<Vec<PhotoRow>> {
    let sql = format!(
        "WITH RECURSIVE {} SELECT {PHOTO_COLUMNS} FROM images i
         WHERE {} AND i.trashed_at IS NULL AND i.id IN ({})",
        crate::access::shared_tree(1),
        crate::access::VISIBLE,
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, PhotoRow>(sqlx::AssertSqlSafe(sql)).bind(user);
    for id in ids {
        query = query.bind(id);
    }
    let photos = query.fetch_all(db).await?;
    if photos.len() != ids.len() {
        return Err(Error::NotFound);
    }
    Ok(photos)
}

/// The labels of every photo of the owner not in the Trash, best first, by photo.
pub async fn labels(db: &Db, owner: &str) -> Result<HashMap<String, Vec<Label>>> {
    let rows: Vec<(String, String, i64, f64)> = sqlx::query_as(
        "SELECT l.image_id, l.label, l.class_index, l.score
         FROM image_labels l JOIN images i ON i.id = l.image_id
         WHERE i.owner_id = $1 AND i.trashed_at IS NULL
         ORDER BY l.image_id, l.rank",
    )
    .bind(owner)
    .fetch_all(db)
    .await?;
    let mut by_photo: HashMap<String, Vec<Label>> = HashMap::new();
    for (image, label, class_index, score) in rows {
        by_photo.entry(image).or_default().push(Label {
            label,
            class_index,
            score,
        });
    }
    Ok(by_photo)
}
