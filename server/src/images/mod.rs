//! Photos: their rows, listing, moving and deleting. Every query names the owner.

pub mod ingest;
pub mod upload;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::db::{Backend, Db, now_ms, placeholders, rfc3339};
use crate::error::{Error, Result};
use crate::folders;
use crate::jobs::{self, Queue};
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};
use crate::search;
use crate::storage::{self, Delivery, Storage};
use crate::when::{self, Span};

pub use classifier::protocol::{Label, Status};

/// How a search result matched: by a label (named, below a broader word in WordNet, or
/// near in meaning), or by a whole word of its file or folder name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Matched {
    pub how: search::How,
    /// The word of the search it matched.
    pub term: String,
    /// For `similar`: the words or classes the search word is near ("dog" for "puppies").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<String>,
}

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
            search::How::Label => format!("“{}” names {label}", by.term),
            search::How::Wordnet => format!("{label} is a kind of “{}”", by.term),
            search::How::Similar => format!(
                "“{}” is near {} in meaning",
                by.term,
                by.near.as_deref().unwrap_or(label)
            ),
            search::How::Name => format!("“{}” is in the file name", by.term),
            search::How::Folder => format!("“{}” is in the folder's name", by.term),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Date taken (the upload date when the photo has none).
    #[default]
    Date,
    /// Upload date.
    Uploaded,
    Name,
    /// Confidence of the photo's best label.
    Tag,
    /// For searches: the confidence of the label that matched, then newest first. A plain
    /// listing sorts by date instead.
    Relevance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Asc,
    #[default]
    Desc,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Uploaded => "uploaded",
            Self::Name => "name",
            Self::Tag => "tag",
            Self::Relevance => "relevance",
        }
    }

    /// What a listing sorts by, ending with the id so that every row has its own place
    /// (the page cursor holds these keys). A listing has no relevance: it sorts by date.
    fn columns(self, order: Order) -> Vec<SortColumn> {
        let d = order == Order::Desc;
        let id = SortColumn::asc("i.id", Kind::Text);
        match self {
            Self::Date | Self::Relevance => vec![
                SortColumn::dir(TAKEN, Kind::Int, d),
                SortColumn::dir("i.created_at", Kind::Int, d),
                id,
            ],
            Self::Uploaded => vec![SortColumn::dir("i.created_at", Kind::Int, d), id],
            Self::Name => vec![SortColumn::dir(SORT_NAME, Kind::Text, d), id],
            Self::Tag => vec![
                SortColumn::dir(TOP_SCORE, Kind::Float, d),
                SortColumn::desc("i.created_at", Kind::Int),
                id,
            ],
        }
    }

    /// The sort of search results: best match first (by the confidence of the label that
    /// matched, `score`), then by date; or as asked.
    fn search_columns(self, order: Order, score: &'static str) -> Vec<SortColumn> {
        match self {
            Self::Relevance => {
                let d = order == Order::Desc;
                vec![
                    SortColumn::dir(score, Kind::Float, d),
                    SortColumn::dir(TAKEN, Kind::Int, d),
                    SortColumn::asc("i.id", Kind::Text),
                ]
            }
            other => other.columns(order),
        }
    }

    /// The cursor keys of a row: the values of its sort columns.
    fn keys(self, row: &LabeledRow, search: bool) -> Vec<Key> {
        let r = &row.image;
        let taken = Key::Int(r.taken_at.unwrap_or(r.created_at));
        let id = Key::Text(r.id.clone());
        match self {
            Self::Relevance if search => vec![Key::Float(row.match_score), taken, id],
            Self::Date | Self::Relevance => vec![taken, Key::Int(r.created_at), id],
            Self::Uploaded => vec![Key::Int(r.created_at), id],
            Self::Name => vec![Key::Text(row.sort_name.clone()), id],
            Self::Tag => vec![
                Key::Float(row.score0.unwrap_or(-1.0)),
                Key::Int(r.created_at),
                id,
            ],
        }
    }
}

const TAKEN: &str = "COALESCE(i.taken_at, i.created_at)";
const SORT_NAME: &str = "lower(i.filename)";
const TOP_SCORE: &str = "COALESCE(top.score, CAST(-1 AS DOUBLE PRECISION))";
const MATCH_SCORE: &str = "COALESCE(h.score, CAST(-1 AS DOUBLE PRECISION))";
const NO_MATCH_SCORE: &str = "CAST(-1 AS DOUBLE PRECISION)";

/// One page of images and the cursor of the next, if there is more.
#[derive(Debug, Default)]
pub struct Listing {
    pub images: Vec<Image>,
    pub next: Option<String>,
    /// When the photos were taken, as the request said it ("July 2023"), if it did.
    pub taken: Option<String>,
    /// How words WordNet does not know were read: "“puppies” as canine, dog".
    pub meanings: Vec<String>,
}

/// The images directly in a folder (the root when `None`), sorted, one page.
pub async fn list(
    db: &Db,
    owner: &str,
    folder: Option<&str>,
    sort: SortKey,
    order: Order,
    page: &PageQuery,
    taken: &Span,
) -> Result<Listing> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let columns = sort.columns(order);
    let page = Page::of(page, &columns)?;
    let sql = format!(
        "SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name,
                {NO_MATCH_SCORE} AS match_score {WITH_LABELS}
         WHERE i.owner_id = $1 AND COALESCE(i.folder_id, '') = $2 AND {} AND {}
         ORDER BY {} LIMIT {}",
        taken.condition(TAKEN),
        page.condition(&columns, 3),
        paging::order_by(&columns),
        page.fetch(),
    );
    let query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(folder.unwrap_or(""));
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| sort.keys(r, false));
    Ok(Listing {
        images: rows.into_iter().map(LabeledRow::into_image).collect(),
        next,
        taken: (!taken.said.is_empty()).then(|| taken.said.clone()),
        meanings: Vec::new(),
    })
}

/// All of one's photos, in every folder, by date taken (the upload date when unknown),
/// newest first: the timeline's pages.
pub async fn timeline(db: &Db, owner: &str, page: &PageQuery) -> Result<Listing> {
    let sort = SortKey::Date;
    let columns = sort.columns(Order::Desc);
    let page = Page::of(page, &columns)?;
    let sql = format!(
        "SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name,
                {NO_MATCH_SCORE} AS match_score {WITH_LABELS}
         WHERE i.owner_id = $1 AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&columns, 2),
        paging::order_by(&columns),
        page.fetch(),
    );
    let query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql)).bind(owner);
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| sort.keys(r, false));
    Ok(Listing {
        images: rows.into_iter().map(LabeledRow::into_image).collect(),
        next,
        taken: None,
        meanings: Vec::new(),
    })
}

/// The cursor of a timeline page that starts with the photos taken before `ms`.
pub fn timeline_before(ms: i64) -> String {
    // Keys of the date sort, newest first: (taken, uploaded, id). Nothing is uploaded
    // before `i64::MIN`, so the page starts with the first photo taken before `ms`.
    paging::encode(&[Key::Int(ms), Key::Int(i64::MIN), Key::Text(String::new())])
}

/// How many photos one has of each month they were taken in ("2024-06", UTC), newest
/// first: the timeline's scrubber.
pub async fn months(db: &Db, backend: Backend, owner: &str) -> Result<Vec<(String, i64)>> {
    let month = match backend {
        Backend::Sqlite => format!("strftime('%Y-%m', {TAKEN} / 1000, 'unixepoch')"),
        Backend::Postgres => {
            format!("to_char(to_timestamp({TAKEN} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')")
        }
    };
    let sql = format!(
        "SELECT {month} AS month, COUNT(*) AS n FROM images i WHERE i.owner_id = $1
         GROUP BY month ORDER BY month DESC"
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .fetch_all(db)
        .await?;
    Ok(rows)
}

/// The classes among the labels of one's photos (the search box suggests only words that
/// find something).
pub async fn classes_of(db: &Db, owner: &str) -> Result<std::collections::HashSet<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT l.class_index FROM image_labels l JOIN images i ON i.id = l.image_id
         WHERE i.owner_id = $1",
    )
    .bind(owner)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// A search as it was read: what to find, and when the photos were taken.
#[derive(Debug, Clone)]
pub struct Understood {
    pub terms: Vec<search::Term>,
    pub taken: Span,
}

impl Understood {
    /// Reads `q` on the day `today`: the words about when ("dogs last summer") become a span
    /// of dates taken, narrowed by `taken`; the rest are terms, as WordNet reads them (the
    /// everyday-words step comes in [`search_understood`]).
    pub fn read(q: &str, today: time::Date, taken: &Span) -> Result<Self> {
        search::check_length(q).map_err(|r| Error::bad_request(r.0))?;
        let (rest, said) = when::extract(q, today);
        Ok(match said {
            Some(span) => Self {
                terms: search::parse_with_time(&rest).map_err(|r| Error::bad_request(r.0))?,
                taken: taken.clone().and(span),
            },
            None => Self {
                terms: search::parse(q).map_err(|r| Error::bad_request(r.0))?,
                taken: taken.clone(),
            },
        })
    }
}

/// Photos matching every term of `q` (by meaning, file name or folder name), in a folder
/// and everything below it, or the whole gallery. Ranked by relevance unless `sort` says
/// otherwise; each result names the label that matched, and how.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    db: &Db,
    owner: &str,
    folder: Option<&str>,
    q: &str,
    sort: SortKey,
    order: Order,
    page: &PageQuery,
    taken: &Span,
) -> Result<Listing> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let understood = Understood::read(q, time::OffsetDateTime::now_utc().date(), taken)?;
    search_understood(db, owner, folder, understood, true, sort, order, page).await
}

/// [`search`] for a query already read; with `everyday`, words WordNet does not know also
/// find classes near them in meaning, except words that name one of the owner's folders
/// ("hawaii" means the folder, not beaches).
#[allow(clippy::too_many_arguments)]
pub async fn search_understood(
    db: &Db,
    owner: &str,
    folder: Option<&str>,
    understood: Understood,
    everyday: bool,
    sort: SortKey,
    order: Order,
    page: &PageQuery,
) -> Result<Listing> {
    let Understood { mut terms, taken } = understood;
    let folder_hits = folders::matching_names(db, owner, |name| {
        terms.iter().map(|t| t.in_name(name)).collect()
    })
    .await?;
    if everyday {
        for (n, term) in terms.iter_mut().enumerate() {
            term.literal |= folder_hits.iter().any(|(_, hits)| hits[n]);
        }
        crate::everyday::widen(&mut terms).await;
    }
    let (terms, taken) = (&terms, &taken);
    let mut binds: Vec<String> = Vec::new();
    let mut conditions = Vec::with_capacity(terms.len());
    for (n, term) in terms.iter().enumerate() {
        let mut any = Vec::new();
        if let Some(labels) = term.label_condition() {
            // With one term, the labels that rank the results are the ones that match.
            any.push(if terms.len() == 1 {
                "h.image_id IS NOT NULL".to_owned()
            } else {
                format!(
                    "EXISTS (SELECT 1 FROM image_labels l WHERE l.image_id = i.id AND {labels})"
                )
            });
        }
        // The term as whole words of the file name ("cat" is not "catalog").
        for pattern in term.name_patterns() {
            binds.push(pattern);
            any.push(format!(
                "{} LIKE ${} ESCAPE '\\'",
                search::NAME_WORDS,
                binds.len() + 2
            ));
        }
        let in_folders: Vec<String> = folder_hits
            .iter()
            .filter(|(_, hits)| hits[n])
            .map(|(id, _)| {
                binds.push(id.clone());
                format!("${}", binds.len() + 2)
            })
            .collect();
        if !in_folders.is_empty() {
            any.push(format!("i.folder_id IN ({})", in_folders.join(", ")));
        }
        conditions.push(format!("({})", any.join(" OR ")));
    }
    let label_conditions: Vec<String> = terms
        .iter()
        .filter_map(search::Term::label_condition)
        .collect();
    // Labels WordNet gives rank above labels near in meaning: 1 + confidence.
    let wordnet: Vec<String> = terms
        .iter()
        .filter_map(search::Term::wordnet_condition)
        .collect();
    let score = if terms.iter().all(|t| t.similar.is_empty()) || wordnet.is_empty() {
        "MAX(l.score)".to_owned()
    } else {
        format!(
            "MAX(CASE WHEN {} THEN 1 + l.score ELSE l.score END)",
            wordnet.join(" OR ")
        )
    };
    // The best matching label of each of the owner's photos, in one pass over the labels.
    let (hits, hits_join, match_score) = if label_conditions.is_empty() {
        (String::new(), "", NO_MATCH_SCORE)
    } else {
        (
            format!(
                ", hits(image_id, score) AS (
                    SELECT l.image_id, {score} FROM image_labels l JOIN images i ON i.id = l.image_id
                    WHERE i.owner_id = $1 AND ({}) GROUP BY l.image_id)",
                label_conditions.join(" OR ")
            ),
            "LEFT JOIN hits h ON h.image_id = i.id",
            MATCH_SCORE,
        )
    };
    let columns = sort.search_columns(order, match_score);
    let page = Page::of(page, &columns)?;
    let sql = format!(
        "WITH RECURSIVE subtree(id) AS (
            SELECT id FROM folders WHERE id = $2 AND owner_id = $1
            UNION SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id){hits}
         SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name, {match_score} AS match_score
         {WITH_LABELS} {hits_join}
         WHERE i.owner_id = $1 AND ($2 = '' OR i.folder_id IN (SELECT id FROM subtree)) AND {}
           AND {} AND {}
         ORDER BY {} LIMIT {}",
        if conditions.is_empty() {
            "1 = 1".to_owned()
        } else {
            conditions.join(" AND ")
        },
        taken.condition(TAKEN),
        page.condition(&columns, binds.len() + 3),
        paging::order_by(&columns),
        page.fetch(),
    );
    let mut query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(folder.unwrap_or(""));
    for value in &binds {
        query = query.bind(value);
    }
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| sort.keys(r, true));
    let mut images: Vec<Image> = rows.into_iter().map(LabeledRow::into_image).collect();
    for image in &mut images {
        let best = image
            .labels
            .iter()
            .filter_map(|l| {
                terms
                    .iter()
                    .filter_map(|t| t.matches(l.class_index, l.score).map(|how| (how, t)))
                    .min_by_key(|(how, _)| *how)
                    .map(|(how, t)| (l, how, t))
            })
            // WordNet's matches first, then the most confident.
            .max_by(|a, b| {
                (a.1 != search::How::Similar, a.0.score)
                    .partial_cmp(&(b.1 != search::How::Similar, b.0.score))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        image.matched = best.map(|(l, _, _)| l.clone());
        image.matched_by = match best {
            Some((_, how, term)) => Some(Matched {
                how,
                term: term.text.clone(),
                near: (how == search::How::Similar).then(|| term.similar_to.join(", ")),
            }),
            None => terms.iter().enumerate().find_map(|(n, t)| {
                let how = if t.in_name(&image.filename) {
                    search::How::Name
                } else if folder_hits
                    .iter()
                    .any(|(id, hits)| image.folder_id.as_ref() == Some(id) && hits[n])
                {
                    search::How::Folder
                } else {
                    return None;
                };
                Some(Matched {
                    how,
                    term: t.text.clone(),
                    near: None,
                })
            }),
        };
    }
    Ok(Listing {
        images,
        next,
        taken: (!taken.said.is_empty()).then(|| taken.said.clone()),
        meanings: terms
            .iter()
            .filter(|t| !t.similar_to.is_empty())
            .map(|t| format!("“{}” as {}", t.said, t.similar_to.join(", ")))
            .collect(),
    })
}

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

pub async fn get(db: &Db, owner: &str, id: &str) -> Result<Image> {
    let sql = format!(
        "SELECT {COLUMNS}, {LABEL_COLUMNS} {WITH_LABELS} WHERE i.owner_id = $1 AND i.id = $2"
    );
    let row: LabeledRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
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

/// The storage key and content type of an owner's image.
pub async fn object(db: &Db, owner: &str, id: &str, variant: Variant) -> Result<(String, String)> {
    let (object_key, thumb_key, display_key, content_type): (
        String,
        String,
        Option<String>,
        String,
    ) = sqlx::query_as(
        "SELECT object_key, thumb_key, display_key, content_type FROM images
             WHERE owner_id = $1 AND id = $2",
    )
    .bind(owner)
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(match (variant, display_key) {
        (Variant::Original, _) | (Variant::Display, None) => (object_key, content_type),
        (Variant::Thumbnail, _) => (thumb_key, "image/jpeg".to_owned()),
        (Variant::Display, Some(key)) => (key, "image/jpeg".to_owned()),
    })
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

/// The owner's images among `ids`, in one query; ids that are not theirs are left out.
pub async fn get_many(db: &Db, owner: &str, ids: &[String]) -> Result<Vec<Image>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS}, {LABEL_COLUMNS} {WITH_LABELS} WHERE i.owner_id = $1 AND i.id IN ({})",
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql)).bind(owner);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db).await?;
    let mut images: Vec<Image> = rows.into_iter().map(LabeledRow::into_image).collect();
    images.sort_by_key(|image| ids.iter().position(|id| *id == image.id));
    Ok(images)
}

/// The owner's images of a selection, all of them or 404 (as if none existed).
pub async fn get_all(db: &Db, owner: &str, ids: &[String]) -> Result<Vec<Image>> {
    let ids = selection(ids)?;
    let images = get_many(db, owner, &ids).await?;
    if images.len() != ids.len() {
        return Err(Error::NotFound);
    }
    Ok(images)
}

/// Moves images into a folder (or the root), in one statement. All or nothing: an id
/// that is not the owner's moves none.
pub async fn move_to(db: &Db, owner: &str, ids: &[String], folder: Option<&str>) -> Result<()> {
    let ids = selection(ids)?;
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
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
        "UPDATE images SET {set} WHERE owner_id = $2 AND id IN ({})",
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

/// Deletes images: the rows in one statement (all or nothing), then their objects.
pub async fn delete(db: &Db, storage: &Storage, owner: &str, ids: &[String]) -> Result<()> {
    let ids = selection(ids)?;
    let mut tx = db.begin().await?;
    let sql = format!(
        "DELETE FROM images WHERE owner_id = $1 AND id IN ({})
         RETURNING {}, bytes",
        placeholders(2, ids.len()),
        storage::PHOTO_OBJECTS
    );
    let mut query =
        sqlx::query_as::<_, storage::DeletedPhoto>(sqlx::AssertSqlSafe(sql)).bind(owner);
    for id in &ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&mut *tx).await?;
    if rows.len() != ids.len() {
        return Err(Error::NotFound);
    }
    let bytes: i64 = rows.iter().map(|r| r.4).sum();
    crate::usage::add(&mut tx, owner, -(rows.len() as i64), -bytes).await?;
    tx.commit().await?;
    storage::delete_all(storage, storage::photo_objects(rows)).await;
    Ok(())
}

/// Queues photos for classification again: all of the selection, or none (404).
pub async fn reclassify(db: &Db, queue: &Queue, owner: &str, ids: &[String]) -> Result<()> {
    let ids = selection(ids)?;
    let mut tx = db.begin().await?;
    let set = "status = $1, status_detail = NULL";
    update_selected(&mut tx, set, Some(Status::Queued.as_str()), owner, &ids).await?;
    jobs::enqueue_many(&mut tx, &ids, now_ms(), jobs::Source::Original).await?;
    tx.commit().await?;
    queue.wake();
    Ok(())
}

/// An original or thumbnail on its way to its owner's browser: streamed, or a redirect to
/// a signed URL; or "unchanged" when the browser already has it.
///
/// Browsers keep them only privately: an original is checked with the server each time it
/// is shown again (a 304 when unchanged, so nothing is sent twice), so that after signing
/// out it is not shown from the cache; a thumbnail for ten minutes.
pub struct Download {
    etag: String,
    cache: &'static str,
    content_type: String,
    delivery: Option<Delivery>,
}

/// Finds an owner's original or thumbnail; `if_none_match` is what the browser has.
pub async fn download(
    db: &Db,
    storage: &Storage,
    owner: &str,
    id: &str,
    variant: Variant,
    if_none_match: Option<&str>,
) -> Result<Download> {
    let (key, content_type) = object(db, owner, id, variant).await?;
    // Keys are random and an object never changes under its key.
    let etag = format!("\"{}\"", key.rsplit('/').next().unwrap_or(&key));
    let cache = match variant {
        Variant::Original => "private, no-cache",
        Variant::Thumbnail | Variant::Display => "private, max-age=600",
    };
    let unchanged = if_none_match.is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let delivery = if unchanged {
        None
    } else {
        Some(storage.deliver(&key).await?)
    };
    Ok(Download {
        etag,
        cache,
        content_type,
        delivery,
    })
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let cache = [
            (header::ETAG, self.etag),
            (header::CACHE_CONTROL, self.cache.to_owned()),
        ];
        match self.delivery {
            None => (StatusCode::NOT_MODIFIED, cache).into_response(),
            Some(Delivery::Stream { body, len }) => (
                cache,
                [
                    (header::CONTENT_TYPE, self.content_type),
                    (header::CONTENT_LENGTH, len.to_string()),
                ],
                body,
            )
                .into_response(),
            Some(Delivery::Redirect(url)) => Redirect::temporary(&url).into_response(),
        }
    }
}
