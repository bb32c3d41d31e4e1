//! Finding photos by what is in them, their names and when they were taken.

use super::*;
use crate::access::Scope;

/// How a search result matched: by a label (named, below a broader word in WordNet, or
/// near in meaning), or by a whole word of its file or folder name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Matched {
    pub how: crate::search::How,
    /// The word of the search it matched.
    pub term: String,
    /// For `similar`: the words or classes the search word is near ("dog" for "puppies").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<String>,
}

/// A search as it was read: what to find, and when the photos were taken.
#[derive(Debug, Clone)]
pub struct Understood {
    pub terms: Vec<crate::search::Term>,
    pub taken: Span,
}

impl Understood {
    /// Reads `q` on the day `today`: the words about when ("dogs last summer") become a span
    /// of dates taken, narrowed by `taken`; the rest are terms, as WordNet reads them (the
    /// everyday-words step comes in [`search_understood`]).
    pub fn read(q: &str, today: time::Date, taken: &Span) -> Result<Self> {
        crate::search::check_length(q).map_err(|r| Error::bad_request(r.0))?;
        let (rest, said) = when::extract(q, today);
        Ok(match said {
            Some(span) => Self {
                terms: crate::search::parse_with_time(&rest)
                    .map_err(|r| Error::bad_request(r.0))?,
                taken: taken.clone().and(span),
            },
            None => Self {
                terms: crate::search::parse(q).map_err(|r| Error::bad_request(r.0))?,
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
    scope: Scope,
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
    search_understood(
        db, owner, scope, folder, understood, true, sort, order, page,
    )
    .await
}

/// [`search`] for a query already read; with `everyday`, words WordNet does not know also
/// find classes near them in meaning, except words that name one of the owner's folders
/// ("hawaii" means the folder, not beaches).
#[allow(clippy::too_many_arguments)]
pub async fn search_understood(
    db: &Db,
    owner: &str,
    scope: Scope,
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
                crate::search::NAME_WORDS,
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
        .filter_map(crate::search::Term::label_condition)
        .collect();
    // Labels WordNet gives rank above labels near in meaning: 1 + confidence.
    let wordnet: Vec<String> = terms
        .iter()
        .filter_map(crate::search::Term::wordnet_condition)
        .collect();
    let score = if terms.iter().all(|t| t.similar.is_empty()) || wordnet.is_empty() {
        "MAX(l.score)".to_owned()
    } else {
        format!(
            "MAX(CASE WHEN {} THEN 1 + l.score ELSE l.score END)",
            wordnet.join(" OR ")
        )
    };
    // Within a folder one may see (checked by the caller), whoever added the photos;
    // else the photos of the scope.
    let (within, scope_with) = match folder {
        Some(_) => (
            "i.folder_id IN (SELECT id FROM subtree)".to_owned(),
            String::new(),
        ),
        None => (scope.condition(1), scope.with(1)),
    };
    // The best matching label of each photo searched, in one pass over the labels.
    let (hits, hits_join, match_score) = if label_conditions.is_empty() {
        (String::new(), "", NO_MATCH_SCORE)
    } else {
        (
            format!(
                ", hits(image_id, score) AS (
                    SELECT l.image_id, {score} FROM image_labels l JOIN images i ON i.id = l.image_id
                    WHERE {within} AND i.trashed_at IS NULL AND ({}) GROUP BY l.image_id)",
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
            SELECT id FROM folders WHERE id = $2 AND trashed_at IS NULL
            UNION SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id
             WHERE f.trashed_at IS NULL){scope_with}{hits}
         SELECT {COLUMNS}, {LABEL_COLUMNS}, {SORT_NAME} AS sort_name, {match_score} AS match_score
         {WITH_LABELS} {hits_join}
         WHERE {within} AND i.trashed_at IS NULL AND {}
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
                (a.1 != crate::search::How::Similar, a.0.score)
                    .partial_cmp(&(b.1 != crate::search::How::Similar, b.0.score))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        image.matched = best.map(|(l, _, _)| l.clone());
        image.matched_by = match best {
            Some((_, how, term)) => Some(Matched {
                how,
                term: term.text.clone(),
                near: (how == crate::search::How::Similar).then(|| term.similar_to.join(", ")),
            }),
            None => terms.iter().enumerate().find_map(|(n, t)| {
                let how = if t.in_name(&image.filename) {
                    crate::search::How::Name
                } else if folder_hits
                    .iter()
                    .any(|(id, hits)| image.folder_id.as_ref() == Some(id) && hits[n])
                {
                    crate::search::How::Folder
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
