//! Photos: their rows, reading one or a selection, moving and deleting. Listing is in
//! [`list`], search in [`search`], downloads in [`download`], taking uploads in [`ingest`]
//! and [`upload`]. Who may see or change a photo is [`crate::access`]'s to say: its owner
//! (who added it), and whoever may see its folder (to see it).

pub mod changes;
pub mod decode;
pub mod download;
pub mod exif;
pub mod ingest;
pub mod list;
pub mod renditions;
pub mod search;
pub mod upload;

use serde::Serialize;

use crate::db::{Backend, Db, now_ms, placeholders, rfc3339};
use crate::error::{Error, Result};
use crate::folders;
use crate::jobs::{self, Queue};
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};
use crate::storage::{Delivery, Storage};
use crate::when::{self, Span};

pub use changes::{Deleted, delete, move_to, reclassify};
pub use classifier::protocol::{Label, Status};
pub use download::{Download, download};
pub use list::{
    Listing, Order, SortKey, classes_of, linked, list, months, timeline, timeline_before, trashed,
};
pub use search::{Matched, Understood, search, search_understood};

/// An image as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// The camera and lens from the photo's EXIF (make and model), when it has them.
    pub camera: Option<String>,
    pub lens: Option<String>,
    pub status: Status,
    pub status_detail: Option<String>,
    /// The name of the classifier that made the labels.
    pub model: Option<String>,
    pub labels: Vec<Label>,
    /// In search results: the label that made the photo match (the best one, when several
    /// did); absent when only its file or folder name matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<Label>,
    /// In search results: how the photo matched, and which word of the search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<Matched>,
    #[serde(skip)]
    pub thumb_width: i64,
    #[serde(skip)]
    pub thumb_height: i64,
    /// The width of the viewer's rendition, for `srcset` (none for photos stored before it).
    #[serde(skip)]
    pub display_width: Option<i64>,
}

impl Image {
    /// How a search result matched, in words: "“puppy” is near dog, canine".
    pub fn how_matched(&self) -> String {
        let Some(by) = &self.matched_by else {
            return String::new();
        };
        let label = self.matched.as_ref().map_or("", |l| l.label.as_str());
        match by.how {
            crate::search::How::Label => format!("“{}” names {label}", by.term),
            crate::search::How::Wordnet => format!("{label} is a kind of “{}”", by.term),
            crate::search::How::Similar => format!(
                "“{}” is near {} in meaning",
                by.term,
                by.near.as_deref().unwrap_or(label)
            ),
            crate::search::How::Name => format!("“{}” is in the file name", by.term),
            crate::search::How::Folder => format!("“{}” is in the folder's name", by.term),
        }
    }

    pub fn is_pending(&self) -> bool {
        !self.status.is_final()
    }

    pub fn failed(&self) -> bool {
        self.status == Status::Error
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
    camera: Option<String>,
    lens: Option<String>,
    status: String,
    status_detail: Option<String>,
    model: Option<String>,
    thumb_width: i64,
    thumb_height: i64,
    display_width: Option<i64>,
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
            camera: r.camera,
            lens: r.lens,
            // The table's CHECK allows only the statuses there are.
            status: r.status.parse().unwrap_or(Status::Error),
            status_detail: r.status_detail,
            model: r.model,
            labels: Vec::new(),
            matched: None,
            matched_by: None,
            thumb_width: r.thumb_width,
            thumb_height: r.thumb_height,
            display_width: r.display_width,
        }
    }
}

const COLUMNS: &str =
    "i.id, i.filename, i.folder_id, i.content_type, i.bytes, i.width, i.height, i.sha256,
     i.taken_at, i.created_at, i.camera, i.lens, i.status, i.status_detail, i.model, i.thumb_width, i.thumb_height,
     i.display_width";

const TAKEN: &str = "COALESCE(i.taken_at, i.created_at)";
const SORT_NAME: &str = "lower(i.filename)";
const TOP_SCORE: &str = "COALESCE(top.score, CAST(-1 AS DOUBLE PRECISION))";
const MATCH_SCORE: &str = "COALESCE(h.score, CAST(-1 AS DOUBLE PRECISION))";
const NO_MATCH_SCORE: &str = "CAST(-1 AS DOUBLE PRECISION)";

/// An image's three labels (the classifier stores the top 3), read in the same query as the
/// image; `top` also serves the sort by tag confidence.
const WITH_LABELS: &str = "FROM images i
    LEFT JOIN image_labels top ON top.image_id = i.id AND top.rank = 0
    LEFT JOIN image_labels l1 ON l1.image_id = i.id AND l1.rank = 1
    LEFT JOIN image_labels l2 ON l2.image_id = i.id AND l2.rank = 2";
const LABEL_COLUMNS: &str = "top.label AS label0, top.class_index AS class0, top.score AS score0,
    l1.label AS label1, l1.class_index AS class1, l1.score AS score1,
    l2.label AS label2, l2.class_index AS class2, l2.score AS score2";

/// An image row with its labels (see [`WITH_LABELS`]).
#[derive(sqlx::FromRow)]
struct LabeledRow {
    #[sqlx(flatten)]
    image: ImageRow,
    #[sqlx(default)]
    sort_name: String,
    #[sqlx(default)]
    match_score: f64,
    /// When it went to the Trash (only the Trash's listing reads it).
    #[sqlx(default)]
    trashed_at: Option<i64>,
    label0: Option<String>,
    class0: Option<i64>,
    score0: Option<f64>,
    label1: Option<String>,
    class1: Option<i64>,
    score1: Option<f64>,
    label2: Option<String>,
    class2: Option<i64>,
    score2: Option<f64>,
}

impl LabeledRow {
    fn into_image(self) -> Image {
        let labels = [
            (self.label0, self.class0, self.score0),
            (self.label1, self.class1, self.score1),
            (self.label2, self.class2, self.score2),
        ];
        let mut image = Image::from(self.image);
        image.labels = labels
            .into_iter()
            .filter_map(|(label, class_index, score)| {
                Some(Label {
                    label: label?,
                    class_index: class_index?,
                    score: score?,
                })
            })
            .collect();
        image
    }
}

/// A photo `user` may see (their own, or in a folder shared with them), or 404.
pub async fn get(db: &Db, user: &str, id: &str) -> Result<Image> {
    crate::access::visible_photo(db, user, id).await?;
    let sql = format!(
        "SELECT {COLUMNS}, {LABEL_COLUMNS} {WITH_LABELS} WHERE i.id = $1 AND i.trashed_at IS NULL"
    );
    let row: LabeledRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(row.into_image())
}

#[derive(Debug, Clone, Copy)]
pub enum Variant {
    Original,
    Thumbnail,
    /// The viewer's rendition, about 2 048 px on the long side (the original for photos
    /// stored before renditions were made).
    Display,
}

impl Variant {
    /// The variant a path names (`original`, `thumbnail`, `display`).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "original" => Some(Self::Original),
            "thumbnail" => Some(Self::Thumbnail),
            "display" => Some(Self::Display),
            _ => None,
        }
    }
}

/// The storage key and content type of an image `user` may see.
pub async fn object(db: &Db, user: &str, id: &str, variant: Variant) -> Result<(String, String)> {
    crate::access::visible_photo(db, user, id).await?;
    object_checked(db, id, variant).await
}

/// The storage key and content type of an image whoever asks was found to may see (by
/// [`crate::access`]: a link's photo, say).
pub async fn object_checked(db: &Db, id: &str, variant: Variant) -> Result<(String, String)> {
    // A photo in the Trash shows only its thumbnail (on the Trash page); its original and
    // rendition are gone from the gallery until it is restored.
    let (object_key, thumb_key, display_key, content_type, trashed): (
        String,
        String,
        Option<String>,
        String,
        Option<i64>,
    ) = sqlx::query_as(
        "SELECT object_key, thumb_key, display_key, content_type, trashed_at FROM images
             WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(Error::NotFound)?;
    if trashed.is_some() && !matches!(variant, Variant::Thumbnail) {
        return Err(Error::NotFound);
    }
    Ok(match (variant, display_key) {
        (Variant::Original, _) | (Variant::Display, None) => (object_key, content_type),
        (Variant::Thumbnail, _) => (thumb_key, "image/jpeg".to_owned()),
        (Variant::Display, Some(key)) => (key, "image/jpeg".to_owned()),
    })
}

/// Whether a photo has the viewer's rendition (photos stored before renditions have none).
pub async fn has_display(db: &Db, id: &str) -> Result<bool> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM images WHERE id = $1 AND display_key IS NOT NULL")
            .bind(id)
            .fetch_one(db)
            .await?;
    Ok(n > 0)
}

/// Most photos one request may act on (a selection).
pub const MAX_SELECTION: usize = 1000;

/// A selection of photo ids, without repeats; refused when empty or too large.
pub fn selection(ids: &[String]) -> Result<Vec<String>> {
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.trim();
        if !id.is_empty() && !unique.iter().any(|u| u == id) {
            unique.push(id.to_owned());
        }
        if unique.len() > MAX_SELECTION {
            return Err(Error::bad_request(format!(
                "at most {MAX_SELECTION} photos can be changed at once"
            )));
        }
    }
    if unique.is_empty() {
        return Err(Error::bad_request("select at least one photo"));
    }
    Ok(unique)
}

/// The images among `ids` that `user` may see, in one query, in the order asked; the
/// others are left out.
pub async fn get_many(db: &Db, user: &str, ids: &[String]) -> Result<Vec<Image>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH RECURSIVE {} SELECT {COLUMNS}, {LABEL_COLUMNS} {WITH_LABELS}
         WHERE {} AND i.trashed_at IS NULL AND i.id IN ({})",
        crate::access::shared_tree(1),
        crate::access::VISIBLE,
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql)).bind(user);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db).await?;
    let mut images: Vec<Image> = rows.into_iter().map(LabeledRow::into_image).collect();
    images.sort_by_key(|image| ids.iter().position(|id| *id == image.id));
    Ok(images)
}

/// The images of a selection `user` may see, all of them or 404 (as if none existed).
pub async fn get_all(db: &Db, owner: &str, ids: &[String]) -> Result<Vec<Image>> {
    let ids = selection(ids)?;
    let images = get_many(db, owner, &ids).await?;
    if images.len() != ids.len() {
        return Err(Error::NotFound);
    }
    Ok(images)
}
