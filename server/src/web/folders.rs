//! The gallery's pages: a folder (or the top level) with its sub-folders and a page of its
//! photos, or a search (the folder forms are in `folder_forms`).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use serde::Deserialize;

use super::frame::{AfterChange, Chrome, PageError, PageResult, SignedIn, folder_href};
use crate::access::{Role, Scope};
use crate::auth::Session;
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::folders::{self, Crumb, Folder};
use crate::images::{self, Image, Order, SortKey};
use crate::paging::{self, PageQuery};
use crate::state::AppState;
use crate::when::{self, Span};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gallery", get(root_folder))
        .route("/gallery/{id}", get(folder))
        .route("/search/suggest", get(suggest))
        .merge(super::folder_forms::router())
}

#[derive(Template, WebTemplate)]
#[template(path = "folder.html")]
struct FolderPage {
    chrome: Chrome,
    folder: Option<Folder>,
    crumbs: Vec<Crumb>,
    subfolders: Vec<Folder>,
    images: Vec<Image>,
    destinations: Vec<Crumb>,
    sort: &'static str,
    order: &'static str,
    error: Option<String>,
    max_upload_mb: usize,
    oob: bool,
    query: Option<String>,
    /// The address of the next page of photos, when there are more than one page holds.
    more: Option<String>,
    /// Whether the search covers the whole gallery rather than this folder and below.
    everywhere: bool,
    /// Why the search could not run (too long, nothing to search for).
    search_error: Option<String>,
    /// When the search said the photos were taken ("July 2023").
    taken: Option<String>,
    /// How words WordNet does not know were read ("“puppies” as canine, dog").
    meanings: Vec<String>,
    /// What one may do here: one's own root and folders, or a folder shared with one.
    role: Role,
    /// Whose folder it is, when it is someone else's.
    shared_by: Option<String>,
}

impl FolderPage {
    fn is_owner(&self) -> bool {
        self.role == Role::Owner
    }

    fn can_add(&self) -> bool {
        self.role >= Role::Contributor
    }

    fn has_pending(&self) -> bool {
        self.images.iter().any(Image::is_pending)
    }

    fn folder_id(&self) -> &str {
        self.folder.as_ref().map_or("", |f| f.id.as_str())
    }

    fn parent_href(&self) -> String {
        folder_href(self.folder.as_ref().and_then(|f| f.parent_id.as_deref()))
    }

    /// This folder's address without a query: where the live search sends its words (the
    /// address bar's own `q` would be sent twice, and refused).
    fn path(&self) -> String {
        folder_href(self.folder.as_ref().map(|f| f.id.as_str()))
    }

    /// This page's address, to come back to after a form (a search stays a search).
    fn here(&self) -> String {
        let folder = self.path();
        match &self.query {
            Some(q) => {
                let mut pairs = vec![("q", q.as_str())];
                if self.everywhere {
                    pairs.push(("scope", "all"));
                }
                let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
                format!("{folder}?{query}")
            }
            None => folder,
        }
    }

    /// The sort's name, as its menu shows it.
    fn sort_name(&self) -> &'static str {
        match self.sort {
            "relevance" => "Best match",
            "uploaded" => "Date uploaded",
            "name" => "Name",
            "tag" => "Tag confidence",
            _ => "Date taken",
        }
    }
}

/// Photos per page of the HTML pages: a screenful or three; more load on scrolling.
pub const PAGE_SIZE: usize = 100;

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    #[serde(default)]
    q: Option<String>,
    /// `all` searches the whole gallery; otherwise this folder and everything below it.
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    sort: Option<SortKey>,
    #[serde(default)]
    order: Order,
    /// The cursor of the page of photos to show.
    #[serde(default)]
    after: Option<String>,
    /// What a change just made says in a toast.
    #[serde(flatten)]
    change: AfterChange,
}

fn order_name(order: Order) -> &'static str {
    match order {
        Order::Asc => "asc",
        Order::Desc => "desc",
    }
}

/// A folder page, with an error to show when a form on it failed.
pub async fn folder_page(
    db: &Db,
    config: &Config,
    session: &Session,
    folder_id: Option<&str>,
    view: &ViewQuery,
    error: Option<Error>,
) -> PageResult {
    let owner = &session.user.id;
    let (folder, role) = match folder_id {
        Some(id) => {
            let (folder, role) = folders::visible(db, owner, id).await?;
            (Some(folder), role)
        }
        None => (None, Role::Owner),
    };
    let shared_by = match (folder_id, role) {
        (Some(id), Role::Viewer | Role::Contributor) => {
            Some(crate::sharing::owner_name(db, id).await?)
        }
        _ => None,
    };
    let crumbs = match folder_id {
        Some(id) => folders::breadcrumbs(db, owner, id).await?,
        None => Vec::new(),
    };
    let query = view
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    let everywhere = view.scope.as_deref() == Some("all");
    let mut search_error = None;
    let page = PageQuery {
        limit: Some(PAGE_SIZE.to_string()),
        after: view.after.clone(),
    };
    let (listing, sort) = match &query {
        Some(q) => {
            let sort = view.sort.unwrap_or(SortKey::Relevance);
            let within = if everywhere { None } else { folder_id };
            let anytime = Span::default();
            // The pages search what one may see: one's own and what is shared.
            let found = images::search(
                db,
                owner,
                Scope::All,
                within,
                q,
                sort,
                view.order,
                &page,
                &anytime,
            );
            match found.await {
                Ok(found) => (found, sort),
                // A query that cannot be searched for is answered in the page.
                Err(Error::BadRequest(message)) => {
                    search_error = Some(message);
                    (images::Listing::default(), sort)
                }
                Err(err) => return Err(err.into()),
            }
        }
        None => {
            let sort = match view.sort.unwrap_or_default() {
                SortKey::Relevance => SortKey::Date,
                other => other,
            };
            let anytime = Span::default();
            let found = images::list(
                db,
                owner,
                Scope::Mine,
                folder_id,
                sort,
                view.order,
                &page,
                &anytime,
            )
            .await?;
            (found, sort)
        }
    };
    let more = listing.next.map(|cursor| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(q) = &query {
            pairs.push(("q", q));
            if everywhere {
                pairs.push(("scope", "all"));
            }
        }
        pairs.push(("sort", sort.as_str()));
        pairs.push(("order", order_name(view.order)));
        pairs.push(("after", &cursor));
        format!(
            "{}?{}",
            folder_href(folder_id),
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    });
    let (status, message) = match error {
        Some(err) => {
            let (status, _, message) = err.parts();
            (status, Some(message))
        }
        None => (StatusCode::OK, None),
    };
    let every_subfolder = PageQuery {
        limit: Some(paging::MAX_LIMIT.to_string()),
        after: None,
    };
    let here = folder_href(folder_id);
    let page = FolderPage {
        chrome: Chrome::with_toast(session, db, &view.change, &here).await,
        subfolders: folders::children(db, owner, folder_id, &every_subfolder)
            .await?
            .0,
        taken: listing.taken,
        meanings: listing.meanings,
        images: listing.images,
        query,
        more,
        destinations: folders::all_paths(db, owner).await?,
        folder,
        crumbs,
        sort: sort.as_str(),
        everywhere,
        search_error,
        order: order_name(view.order),
        error: message,
        max_upload_mb: config.max_upload_bytes.div_ceil(1 << 20),
        oob: false,
        role,
        shared_by,
    };
    Ok((status, page).into_response())
}

async fn root_folder(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Query(view): Query<ViewQuery>,
) -> PageResult {
    folder_page(&db, &config, &session, None, &view, None).await
}

async fn folder(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(view): Query<ViewQuery>,
) -> PageResult {
    folder_page(&db, &config, &session, Some(&id), &view, None).await
}

/// After a form on a folder page: on to `target`, or the page again with the error.
pub async fn after_form(
    db: &Db,
    config: &Config,
    session: &Session,
    page_folder: Option<&str>,
    result: Result<String>,
) -> PageResult {
    match result {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(Error::NotFound) => Err(PageError(Error::NotFound)),
        Err(err) => {
            let view = ViewQuery::default();
            folder_page(db, config, session, page_folder, &view, Some(err)).await
        }
    }
}

/// A form field that may be left empty.
pub fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The search box's suggestions for what has been typed so far: words for things in one's
/// photos, folder names and words about time that begin with its last word.
#[derive(Template, WebTemplate)]
#[template(
    source = "{% for s in suggestions %}<option value=\"{{ s }}\"></option>{% endfor %}",
    ext = "html"
)]
struct Suggestions {
    suggestions: Vec<String>,
}

#[derive(Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
}

async fn suggest(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Query(query): Query<SuggestQuery>,
) -> PageResult {
    let typed: String = query
        .q
        .chars()
        .take(crate::search::MAX_QUERY_CHARS)
        .collect();
    let typed = typed.trim_start();
    let (head, last) = match typed.rsplit_once(char::is_whitespace) {
        Some((head, last)) => (format!("{} ", head.trim_end()), last.to_lowercase()),
        None => (String::new(), typed.to_lowercase()),
    };
    if last.is_empty() {
        return Ok(Suggestions {
            suggestions: Vec::new(),
        }
        .into_response());
    }
    let owner = &session.user.id;
    let classes = images::classes_of(&db, owner).await?;
    let words = crate::search::terms_starting(&last, &classes, 5);
    let names = folders::all_paths(&db, owner)
        .await?
        .into_iter()
        .map(|c| {
            c.name
                .rsplit(" / ")
                .next()
                .unwrap_or(&c.name)
                .to_lowercase()
        })
        .filter(|n| n.split_whitespace().any(|w| w.starts_with(&last)))
        .take(3);
    let times = when::completions(&head, &last).into_iter().take(3);
    let mut suggestions: Vec<String> = words
        .into_iter()
        .chain(names)
        .filter(|w| *w != last)
        .chain(times)
        .map(|w| format!("{head}{w}"))
        .collect();
    let mut seen = std::collections::HashSet::new();
    suggestions.retain(|s| seen.insert(s.clone()));
    suggestions.truncate(8);
    Ok(Suggestions { suggestions }.into_response())
}
