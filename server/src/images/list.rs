//! Listing photos: a folder's, the timeline's, by month; sorted and paged.

use super::*;
use crate::access::Scope;

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
    pub(super) fn search_columns(self, order: Order, score: &'static str) -> Vec<SortColumn> {
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
    pub(super) fn keys(self, row: &LabeledRow, search: bool) -> Vec<Key> {
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

/// The images directly in a folder, sorted, one page. Without a folder: one's root
/// (`scope` mine), or every photo of the shared folders (`shared`), or those and all of
/// one's own (`all`).
#[allow(clippy::too_many_arguments)]
pub async fn list(
    db: &Db,
    owner: &str,
    scope: Scope,
    folder: Option<&str>,
    sort: SortKey,
    order: Order,
    page: &PageQuery,
    taken: &Span,
) -> Result<Listing> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    // One's root holds one's own photos; a folder one may see, whoever added them.
    let (with, within, bound) = match (folder, scope) {
        (Some(folder), _) => (String::new(), "i.folder_id = $1".to_owned(), folder),
        (None, Scope::Mine) => (
            String::new(),
            "i.owner_id = $1 AND i.folder_id IS NULL".to_owned(),
            owner,
        ),
        (None, scope) => (scope.with_clause(1), scope.condition(1), owner),
    };
    let columns = sort.columns(order);
    let page = Page::of(page, &columns)?;
    let sql = format!(
        "{with} SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name,
                {NO_MATCH_SCORE} AS match_score {WITH_LABELS}
         WHERE {within} AND i.trashed_at IS NULL AND {} AND {}
         ORDER BY {} LIMIT {}",
        taken.condition(TAKEN),
        page.condition(&columns, 2),
        paging::order_by(&columns),
        page.fetch(),
    );
    let query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql)).bind(bound);
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| sort.keys(r, false));
    Ok(Listing {
        images: rows.into_iter().map(LabeledRow::into_image).collect(),
        next,
        taken: (!taken.said.is_empty()).then(|| taken.said.clone()),
        meanings: Vec::new(),
    })
}

/// All of one's photos (or those of shared folders, or both: `scope`), in every folder, by
/// date taken (the upload date when unknown), newest first: the timeline's pages.
pub async fn timeline(db: &Db, owner: &str, scope: Scope, page: &PageQuery) -> Result<Listing> {
    let sort = SortKey::Date;
    let columns = sort.columns(Order::Desc);
    let page = Page::of(page, &columns)?;
    let sql = format!(
        "{} SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name,
                {NO_MATCH_SCORE} AS match_score {WITH_LABELS}
         WHERE {} AND i.trashed_at IS NULL AND {}
         ORDER BY {} LIMIT {}",
        scope.with_clause(1),
        scope.condition(1),
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
pub async fn months(
    db: &Db,
    backend: Backend,
    owner: &str,
    scope: Scope,
) -> Result<Vec<(String, i64)>> {
    let month = match backend {
        Backend::Sqlite => format!("strftime('%Y-%m', {TAKEN} / 1000, 'unixepoch')"),
        Backend::Postgres => {
            format!("to_char(to_timestamp({TAKEN} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')")
        }
    };
    let sql = format!(
        "{} SELECT {month} AS month, COUNT(*) AS n FROM images i WHERE {} AND i.trashed_at IS NULL
         GROUP BY month ORDER BY month DESC",
        scope.with_clause(1),
        scope.condition(1)
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
         WHERE i.owner_id = $1 AND i.trashed_at IS NULL",
    )
    .bind(owner)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

const TRASHED_FIRST: [SortColumn; 2] = [
    SortColumn::desc("i.trashed_at", Kind::Int),
    SortColumn::desc("i.id", Kind::Text),
];

/// The photos an owner deleted one by one (not those that went with a folder), last
/// deleted first, with when: the Trash's pages.
pub async fn trashed(
    db: &Db,
    owner: &str,
    page: &PageQuery,
) -> Result<(Vec<(Image, i64)>, Option<String>)> {
    let page = Page::of(page, &TRASHED_FIRST)?;
    let sql = format!(
        "SELECT {COLUMNS}, {LABEL_COLUMNS}, i.trashed_at {WITH_LABELS}
         WHERE i.owner_id = $1 AND i.trashed_at IS NOT NULL AND i.trashed_with IS NULL AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&TRASHED_FIRST, 2),
        paging::order_by(&TRASHED_FIRST),
        page.fetch(),
    );
    let query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql)).bind(owner);
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| {
        vec![
            Key::Int(r.trashed_at.unwrap_or_default()),
            Key::Text(r.image.id.clone()),
        ]
    });
    Ok((
        rows.into_iter()
            .map(|r| {
                let at = r.trashed_at.unwrap_or_default();
                (r.into_image(), at)
            })
            .collect(),
        next,
    ))
}

/// The photos a link shows, by date taken, newest first, one page.
pub async fn linked(db: &Db, link: &crate::access::Link, page: &PageQuery) -> Result<Listing> {
    let sort = SortKey::Date;
    let columns = sort.columns(Order::Desc);
    let page = Page::of(page, &columns)?;
    let (with, condition) = link.photos();
    let sql = format!(
        "{with} SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name,
                {NO_MATCH_SCORE} AS match_score {WITH_LABELS}
         WHERE {condition} AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&columns, 2),
        paging::order_by(&columns),
        page.fetch(),
    );
    let query = sqlx::query_as::<_, LabeledRow>(sqlx::AssertSqlSafe(sql)).bind(&link.id);
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| sort.keys(r, false));
    Ok(Listing {
        images: rows.into_iter().map(LabeledRow::into_image).collect(),
        next,
        taken: None,
        meanings: Vec::new(),
    })
}
