//! Photos: their rows, listing, moving and deleting. Every query names the owner.

pub mod ingest;
pub mod upload;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::db::{Db, now_ms};
use crate::error::{Error, Result};
use crate::folders;
use crate::jobs;
use crate::storage::Storage;

#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub label: String,
    pub class_index: i64,
    pub score: f64,
}

/// An image as the API and the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub id: String,
    pub filename: String,
    pub folder_id: Option<String>,
    pub content_type: String,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
    pub sha256: String,
    pub taken_at: Option<String>,
    pub created_at: String,
    pub status: String,
    pub status_detail: Option<String>,
    pub labels: Vec<Label>,
    #[serde(skip)]
    pub thumb_width: i64,
    #[serde(skip)]
    pub thumb_height: i64,
}

impl Image {
    pub fn is_pending(&self) -> bool {
        !matches!(self.status.as_str(), "done" | "error")
    }
}

#[derive(sqlx::FromRow)]
struct ImageRow {
    id: String,
    filename: String,
    folder_id: Option<String>,
    content_type: String,
    bytes: i64,
    width: i64,
    height: i64,
    sha256: String,
    taken_at: Option<i64>,
    created_at: i64,
    status: String,
    status_detail: Option<String>,
    thumb_width: i64,
    thumb_height: i64,
}

pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl From<ImageRow> for Image {
    fn from(r: ImageRow) -> Self {
        Image {
            id: r.id,
            filename: r.filename,
            folder_id: r.folder_id,
            content_type: r.content_type,
            bytes: r.bytes,
            width: r.width,
            height: r.height,
            sha256: r.sha256,
            taken_at: r.taken_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            status: r.status,
            status_detail: r.status_detail,
            labels: Vec::new(),
            thumb_width: r.thumb_width,
            thumb_height: r.thumb_height,
        }
    }
}

const COLUMNS: &str =
    "i.id, i.filename, i.folder_id, i.content_type, i.bytes, i.width, i.height, i.sha256,
     i.taken_at, i.created_at, i.status, i.status_detail, i.thumb_width, i.thumb_height";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Date,
    Name,
    Tag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Asc,
    #[default]
    Desc,
}

impl SortKey {
    fn order_by(self, order: Order) -> &'static str {
        use {Order::*, SortKey::*};
        match (self, order) {
            (Date, Asc) => "COALESCE(i.taken_at, i.created_at) ASC, i.created_at ASC, i.id",
            (Date, Desc) => "COALESCE(i.taken_at, i.created_at) DESC, i.created_at DESC, i.id",
            (Name, Asc) => "lower(i.filename) ASC, i.id",
            (Name, Desc) => "lower(i.filename) DESC, i.id",
            (Tag, Asc) => "COALESCE(top.score, -1) ASC, i.created_at DESC, i.id",
            (Tag, Desc) => "COALESCE(top.score, -1) DESC, i.created_at DESC, i.id",
        }
    }
}

/// The images directly in a folder (the root when `None`), sorted.
pub async fn list(
    db: &Db,
    owner: &str,
    folder: Option<&str>,
    sort: SortKey,
    order: Order,
) -> Result<Vec<Image>> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM images i
         LEFT JOIN image_labels top ON top.image_id = i.id AND top.rank = 0
         WHERE i.owner_id = $1 AND COALESCE(i.folder_id, '') = $2
         ORDER BY {}",
        sort.order_by(order)
    );
    let rows: Vec<ImageRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(folder.unwrap_or(""))
        .fetch_all(db)
        .await?;
    let mut images: Vec<Image> = rows.into_iter().map(Image::from).collect();
    attach_labels(db, owner, folder, &mut images).await?;
    Ok(images)
}

/// Longest search accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// The words of a search, lower-case, each with its plural `s` dropped (so "Dogs" finds
/// "dog"), as LIKE patterns.
fn query_patterns(q: &str) -> Result<Vec<String>> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::bad_request(format!(
            "the search is too long: at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_matches(['\'', '-']).to_lowercase())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| {
            if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                w[..w.len() - 1].to_owned()
            } else {
                w
            }
        })
        .collect();
    if words.is_empty() {
        return Err(Error::bad_request(
            "type what to search for: a thing in the photos, a file or folder name",
        ));
    }
    Ok(words
        .into_iter()
        .map(|w| {
            format!(
                "%{}%",
                w.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        })
        .collect())
}

/// Photos whose labels, file name or folder name match every word of `q`, in a folder and
/// everything below it (or the whole gallery).
pub async fn search(
    db: &Db,
    owner: &str,
    folder: Option<&str>,
    q: &str,
    sort: SortKey,
    order: Order,
) -> Result<Vec<Image>> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let patterns = query_patterns(q)?;
    let conditions: Vec<String> = (0..patterns.len())
        .map(|n| {
            let p = n + 3;
            format!(
                "(lower(i.filename) LIKE ${p} ESCAPE '\\' OR lower(COALESCE(fo.name, '')) LIKE ${p} ESCAPE '\\'
                  OR EXISTS (SELECT 1 FROM image_labels l WHERE l.image_id = i.id AND lower(l.label) LIKE ${p} ESCAPE '\\'))"
            )
        })
        .collect();
    let sql = format!(
        "WITH RECURSIVE subtree(id) AS (
            SELECT id FROM folders WHERE id = $2 AND owner_id = $1
            UNION ALL SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id)
         SELECT {COLUMNS} FROM images i
         LEFT JOIN image_labels top ON top.image_id = i.id AND top.rank = 0
         LEFT JOIN folders fo ON fo.id = i.folder_id
         WHERE i.owner_id = $1 AND ($2 = '' OR i.folder_id IN (SELECT id FROM subtree)) AND {}
         ORDER BY {} LIMIT 1000",
        conditions.join(" AND "),
        sort.order_by(order)
    );
    let mut query = sqlx::query_as::<_, ImageRow>(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(folder.unwrap_or(""));
    for p in &patterns {
        query = query.bind(p);
    }
    let mut images: Vec<Image> = query
        .fetch_all(db)
        .await?
        .into_iter()
        .map(Image::from)
        .collect();
    for image in images.iter_mut().filter(|i| i.status == "done") {
        image.labels = labels_of(db, &image.id).await?;
    }
    Ok(images)
}

async fn attach_labels(
    db: &Db,
    owner: &str,
    folder: Option<&str>,
    images: &mut [Image],
) -> Result<()> {
    if images.iter().all(|i| i.status != "done") {
        return Ok(());
    }
    let rows: Vec<(String, String, i64, f64)> = sqlx::query_as(
        "SELECT l.image_id, l.label, l.class_index, l.score FROM image_labels l JOIN images i ON i.id = l.image_id
         WHERE i.owner_id = $1 AND COALESCE(i.folder_id, '') = $2 ORDER BY l.image_id, l.rank",
    )
    .bind(owner)
    .bind(folder.unwrap_or(""))
    .fetch_all(db)
    .await?;
    let mut by_image: std::collections::HashMap<String, Vec<Label>> =
        std::collections::HashMap::new();
    for (image_id, label, class_index, score) in rows {
        by_image.entry(image_id).or_default().push(Label {
            label,
            class_index,
            score,
        });
    }
    for image in images {
        image.labels = by_image.remove(&image.id).unwrap_or_default();
    }
    Ok(())
}

/// One image's labels, best first (the caller has checked the owner).
async fn labels_of(db: &Db, image_id: &str) -> Result<Vec<Label>> {
    let rows: Vec<(String, i64, f64)> = sqlx::query_as(
        "SELECT label, class_index, score FROM image_labels WHERE image_id = $1 ORDER BY rank",
    )
    .bind(image_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(label, class_index, score)| Label {
            label,
            class_index,
            score,
        })
        .collect())
}

pub async fn get(db: &Db, owner: &str, id: &str) -> Result<Image> {
    let sql = format!("SELECT {COLUMNS} FROM images i WHERE i.owner_id = $1 AND i.id = $2");
    let row: ImageRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut image = Image::from(row);
    image.labels = labels_of(db, id).await?;
    Ok(image)
}

#[derive(Debug, Clone, Copy)]
pub enum Variant {
    Original,
    Thumbnail,
}

/// The storage key and content type of an owner's image.
pub async fn object(db: &Db, owner: &str, id: &str, variant: Variant) -> Result<(String, String)> {
    let (object_key, thumb_key, content_type): (String, String, String) = sqlx::query_as(
        "SELECT object_key, thumb_key, content_type FROM images WHERE owner_id = $1 AND id = $2",
    )
    .bind(owner)
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(match variant {
        Variant::Original => (object_key, content_type),
        Variant::Thumbnail => (thumb_key, "image/jpeg".to_owned()),
    })
}

/// Moves images into a folder (or the root). All or nothing: an unknown id moves none.
pub async fn move_to(db: &Db, owner: &str, ids: &[String], folder: Option<&str>) -> Result<()> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let mut tx = db.begin().await?;
    for id in ids {
        let done = sqlx::query("UPDATE images SET folder_id = $1 WHERE id = $2 AND owner_id = $3")
            .bind(folder)
            .bind(id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes images: the rows in one transaction (all or nothing), then their objects.
pub async fn delete(db: &Db, storage: &Storage, owner: &str, ids: &[String]) -> Result<()> {
    let mut tx = db.begin().await?;
    let mut keys = Vec::with_capacity(ids.len());
    for id in ids {
        let row: Option<(String, String)> = sqlx::query_as(
            "DELETE FROM images WHERE id = $1 AND owner_id = $2 RETURNING object_key, thumb_key",
        )
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        keys.push(row.ok_or(Error::NotFound)?);
    }
    tx.commit().await?;
    delete_objects(storage, flatten(keys)).await;
    Ok(())
}

/// Removes objects whose rows are gone. A failure here leaves an unreferenced object,
/// never a row without its object, so it is logged rather than reported.
pub async fn delete_objects(storage: &Storage, keys: impl IntoIterator<Item = String>) {
    for key in keys {
        if let Err(err) = storage.delete(&key).await {
            tracing::warn!(%key, %err, "could not delete an object whose image was deleted");
        }
    }
}

pub fn flatten(pairs: Vec<(String, String)>) -> impl Iterator<Item = String> {
    pairs
        .into_iter()
        .flat_map(|(original, thumb)| [original, thumb])
}

/// Queues a photo for classification again.
pub async fn reclassify(state: &crate::app::AppState, owner: &str, id: &str) -> Result<()> {
    let db = &state.db;
    get(db, owner, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE images SET status = 'queued', status_detail = NULL WHERE id = $1 AND owner_id = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    jobs::enqueue(&mut tx, id, now_ms()).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}
