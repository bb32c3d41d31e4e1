//! The Trash page (what was deleted, restore, delete forever, empty) and Undo, the button
//! of the toast a delete or a move leaves.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::frame::{AfterChange, Chrome, ConfirmPage, PageResult, SignedIn, plural, with_query};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::paging::PageQuery;
use crate::state::AppState;
use crate::storage::Storage;
use crate::trash::{self, Items, TrashedFolder, TrashedImage, purge::Which};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/trash", get(trash_page))
        .route("/trash/restore", post(restore))
        .route("/trash/purge", post(purge))
        .route("/trash/empty", post(empty))
        .route("/undo/{id}", post(undo))
}

#[derive(Template, WebTemplate)]
#[template(path = "trash.html")]
struct TrashPage {
    chrome: Chrome,
    images: Vec<TrashedImage>,
    folders: Vec<TrashedFolder>,
    more: Option<String>,
    days: u32,
    photos: i64,
    megabytes: String,
}

#[derive(Deserialize, Default)]
struct TrashQuery {
    #[serde(default)]
    after: Option<String>,
    #[serde(flatten)]
    change: AfterChange,
}

async fn trash_page(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Query(query): Query<TrashQuery>,
) -> PageResult {
    let owner = &session.user.id;
    let page = PageQuery {
        limit: Some(super::folders::PAGE_SIZE.to_string()),
        after: query.after.clone(),
    };
    let listing = trash::list(&db, owner, &page, config.trash_days).await?;
    let (photos, bytes) = trash::size(&db, owner).await?;
    let more = listing
        .next
        .map(|cursor| with_query("/trash", "after", &cursor));
    Ok(TrashPage {
        chrome: Chrome::with_toast(&session, &db, &query.change, "/trash").await,
        images: listing.images,
        folders: listing.folders,
        more,
        days: config.trash_days,
        photos,
        megabytes: format!("{:.1}", bytes as f64 / 1_048_576.0),
    }
    .into_response())
}

/// The Trash page's selection: photos and folders, by id (the fields repeat).
#[derive(Deserialize, Default)]
struct Selection {
    #[serde(default)]
    image_ids: Vec<String>,
    #[serde(default)]
    folder_ids: Vec<String>,
    #[serde(default)]
    confirmed: Option<String>,
}

impl Selection {
    /// The selection of a request body and its items; a 400 when nothing is selected,
    /// saying what the button was for (`doing`: "restore", "delete").
    fn read(body: &[u8], doing: &str) -> Result<(Self, Items)> {
        let form: Self = super::repeated_form(body)?;
        let items = Items {
            image_ids: form.image_ids.clone(),
            folder_ids: form.folder_ids.clone(),
        };
        if items.is_empty() {
            return Err(Error::bad_request(format!(
                "select at least one photo or folder to {doing}"
            )));
        }
        Ok((form, items))
    }

    fn confirmed(&self) -> bool {
        self.confirmed.as_deref() == Some("yes")
    }
}

async fn restore(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    let (_, items) = Selection::read(&body, "restore")?;
    trash::restore(&db, &session.user.id, &items).await?;
    Ok(Redirect::to("/trash").into_response())
}

/// Deletes the selection for good, after asking.
async fn purge(
    State(db): State<Db>,
    State(storage): State<Storage>,
    SignedIn(session): SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    let (form, items) = Selection::read(&body, "delete")?;
    items.check()?;
    if !form.confirmed() {
        let mut fields: Vec<(&'static str, String)> = Vec::new();
        fields.extend(items.image_ids.iter().map(|id| ("image_ids", id.clone())));
        fields.extend(items.folder_ids.iter().map(|id| ("folder_ids", id.clone())));
        fields.push(("confirmed", "yes".into()));
        let what = match (items.image_ids.len(), items.folder_ids.len()) {
            (n, 0) => plural(n, "photo"),
            (0, f) => format!("{} with everything in them", plural(f, "folder")),
            (n, f) => format!(
                "{} and {} with everything in them",
                plural(n, "photo"),
                plural(f, "folder")
            ),
        };
        return Ok(ConfirmPage {
            chrome: Chrome::of(&session),
            title: "Delete forever?".into(),
            message: format!("{what} will be deleted for good. This cannot be undone."),
            action: "/trash/purge".into(),
            fields,
            button: "Delete forever",
            cancel_href: "/trash".into(),
        }
        .into_response());
    }
    trash::purge(&db, &storage, &session.user.id, Which::Items(&items)).await?;
    Ok(Redirect::to("/trash").into_response())
}

#[derive(Deserialize)]
struct EmptyForm {
    #[serde(default)]
    confirmed: Option<String>,
}

/// Empties the whole Trash, after asking.
async fn empty(
    State(db): State<Db>,
    State(storage): State<Storage>,
    SignedIn(session): SignedIn,
    Form(form): Form<EmptyForm>,
) -> PageResult {
    let owner = &session.user.id;
    if form.confirmed.as_deref() != Some("yes") {
        let (photos, _) = trash::size(&db, owner).await?;
        return Ok(ConfirmPage {
            chrome: Chrome::of(&session),
            title: "Empty the Trash?".into(),
            message: format!(
                "Everything in the Trash ({}, and the folders) will be deleted for good. This cannot be undone.",
                plural(photos as usize, "photo")
            ),
            action: "/trash/empty".into(),
            fields: vec![("confirmed", "yes".into())],
            button: "Empty the Trash",
            cancel_href: "/trash".into(),
        }
        .into_response());
    }
    trash::purge(&db, &storage, owner, Which::All).await?;
    Ok(Redirect::to("/trash").into_response())
}

#[derive(Deserialize)]
struct UndoForm {
    #[serde(default)]
    back: Option<String>,
}

/// The toast's Undo: puts the change back, then the page again (a path of this site only).
async fn undo(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<UndoForm>,
) -> PageResult {
    crate::undo::undo(&db, &session.user.id, Some(&id)).await?;
    let back = form
        .back
        .filter(|b| super::photos::local_path(b))
        .unwrap_or_else(|| "/gallery".to_owned());
    Ok(Redirect::to(&with_query(&back, "undone", "1")).into_response())
}
