//! Photos through the pages: the page script's uploads, the selection forms (move,
//! delete after confirming, classify again), the bytes, and the live status cards.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::folders::{after_form, non_empty};
use super::frame::{
    Chrome, ConfirmPage, PageError, PageResult, ScriptSession, SignedIn, WebSession, folder_href,
    plural, with_query,
};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::images::upload::Uploads;
use crate::images::{self, Image, Variant};
use crate::jobs::Queue;
use crate::state::AppState;
use crate::storage::Storage;
use crate::undo::Change;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/images/move", post(move_images))
        .route("/images/delete", post(delete_images))
        .route("/images/reclassify", post(reclassify_selected))
        .route("/images/status", get(statuses))
        .route("/images/{id}/reclassify", post(reclassify_one))
        .route("/images/{id}/{variant}", get(object))
        .route("/share", get(share_page).post(share_posted))
}

/// The upload route, apart: it has no deadline (a body may take as long as the client
/// needs, as long as it does not stall) and a body limit of its own.
pub fn uploads(state: &AppState) -> Router<AppState> {
    Router::new().route(
        "/upload",
        post(upload).layer(DefaultBodyLimit::max(state.upload_request_limit())),
    )
}

/// The upload endpoint of the page's script: multipart like the API, CSRF in a header.
async fn upload(
    State(uploads): State<Arc<Uploads>>,
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(queue): State<Queue>,
    ScriptSession(session): ScriptSession,
    multipart: Multipart,
) -> Result<Response> {
    let owner = &session.user.id;
    let stored =
        crate::api::multipart::upload_photos(&uploads, &db, &storage, &queue, owner, multipart)
            .await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// A selection form: the chosen image ids and where they are.
#[derive(Deserialize)]
struct SelectionForm {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    confirmed: Option<String>,
    /// The page to go back to when done (the timeline's viewer names itself); only a path
    /// of this site is followed.
    #[serde(default)]
    next: Option<String>,
}

impl SelectionForm {
    /// The form of a request body (its `ids` field repeats).
    fn read(body: &[u8]) -> Result<Self> {
        super::repeated_form(body)
    }

    fn from(&self) -> Option<&str> {
        non_empty(&self.from)
    }

    /// Where to go when done: the page named by `next` when it is one of ours, else the
    /// folder the photos were in.
    fn done_href(&self) -> String {
        match non_empty(&self.next) {
            Some(next) if local_path(next) => next.to_owned(),
            _ => folder_href(self.from()),
        }
    }
}

/// A path on this site ("/timeline"), never another site ("//evil.example", "https:…").
pub fn local_path(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !href.contains('\\')
        && href.len() <= 2000
        && !href.chars().any(char::is_control)
}

async fn move_images(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    let form = SelectionForm::read(&body)?;
    let result = if form.ids.is_empty() {
        Err(Error::bad_request("select at least one photo to move"))
    } else {
        let target = non_empty(&form.folder_id);
        moved(&db, &session.user.id, &form, target).await
    };
    after_form(&db, &config, &session, form.from(), result).await
}

/// Moves the selection to `target`, remembered for Undo; where to go next.
async fn moved(db: &Db, owner: &str, form: &SelectionForm, target: Option<&str>) -> Result<String> {
    let before = images::get_all(db, owner, &form.ids).await?;
    images::move_to(db, owner, &form.ids, target).await?;
    let place = match target {
        Some(id) => format!(
            "\u{201c}{}\u{201d}",
            crate::folders::get(db, owner, id).await?.name
        ),
        None => "the top level".to_owned(),
    };
    let said = format!("Moved {} to {place}", plural(before.len(), "photo"));
    let from = before.into_iter().map(|i| (i.id, i.folder_id)).collect();
    let undo = crate::undo::remember(db, owner, &said, Change::MovedImages { from }).await?;
    Ok(with_query(&form.done_href(), "undo", &undo))
}

async fn delete_images(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    let form = SelectionForm::read(&body)?;
    if form.ids.is_empty() {
        let err = Error::bad_request("select at least one photo to delete");
        return after_form(&db, &config, &session, form.from(), Err(err)).await;
    }
    let owner = &session.user.id;
    if form.confirmed.as_deref() != Some("yes") {
        let chosen = images::get_all(&db, owner, &form.ids).await?;
        let mut fields: Vec<(&'static str, String)> =
            chosen.iter().map(|i| ("ids", i.id.clone())).collect();
        fields.push(("from", form.from().unwrap_or_default().to_owned()));
        fields.push(("confirmed", "yes".into()));
        fields.push(("next", form.done_href()));
        let names: Vec<&str> = chosen.iter().map(|i| i.filename.as_str()).collect();
        let more = match names.len() {
            n if n > 5 => format!(" and {} more", n - 5),
            _ => String::new(),
        };
        return Ok(ConfirmPage {
            chrome: Chrome::of(&session),
            title: format!("Delete {}?", plural(names.len(), "photo")),
            message: format!(
                "{}{more} will go to the Trash, where you can restore them for {} days.",
                names[..names.len().min(5)].join(", "),
                config.trash_days
            ),
            action: "/images/delete".into(),
            fields,
            button: "Delete",
            cancel_href: form.done_href(),
        }
        .into_response());
    }
    let deleted = images::delete(&db, owner, &form.ids).await?;
    let said = match deleted.handed_back {
        0 => format!(
            "Moved {} to Trash",
            plural(deleted.trashed as usize, "photo")
        ),
        n if deleted.trashed == 0 => {
            format!("Removed {} from the folder", plural(n as usize, "photo"))
        }
        n => format!(
            "Moved {} to Trash and removed {} from the folder",
            plural(deleted.trashed as usize, "photo"),
            plural(n as usize, "photo")
        ),
    };
    let change = Change::Trashed {
        image_ids: deleted.trashed_ids.clone(),
        folder_ids: Vec::new(),
    };
    let undo = crate::undo::remember(&db, owner, &said, change).await?;
    Ok(Redirect::to(&with_query(&form.done_href(), "undo", &undo)).into_response())
}

async fn send(
    db: &Db,
    storage: &Storage,
    session: Option<WebSession>,
    id: &str,
    variant: Variant,
    headers: &HeaderMap,
) -> PageResult {
    // Signed out, there is nothing here: the same 404 as for another user's photo.
    let session = session.ok_or(PageError(Error::NotFound))?;
    let seen = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let download = images::download(db, storage, &session.0.user.id, id, variant, seen).await?;
    Ok(download.into_response())
}

/// `/images/ID/original`, `…/thumbnail` or `…/display`.
async fn object(
    State(db): State<Db>,
    State(storage): State<Storage>,
    session: Option<WebSession>,
    Path((id, variant)): Path<(String, String)>,
    headers: HeaderMap,
) -> PageResult {
    let variant = Variant::named(&variant).ok_or(PageError(Error::NotFound))?;
    send(&db, &storage, session, &id, variant, &headers).await
}

/// Cards of photos whose status the page is waiting for, swapped in out of band by htmx.
#[derive(Template, WebTemplate)]
#[template(
    source = "{% for image in images %}{% include \"card.html\" %}{% endfor %}",
    ext = "html"
)]
struct StatusCards {
    chrome: Chrome,
    images: Vec<Image>,
    oob: bool,
}

/// htmx stops polling when it gets this status.
const STOP_POLLING: u16 = 286;

/// The current cards of the photos the page lists as pending (`pending=ID`, repeated),
/// read in one query.
async fn statuses(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    RawQuery(query): RawQuery,
) -> PageResult {
    let wanted: Vec<(String, String)> =
        serde_html_form::from_str(query.as_deref().unwrap_or_default())
            .map_err(|e| Error::bad_request(format!("the query is not valid: {e}")))?;
    let ids: Vec<String> = wanted
        .into_iter()
        .filter(|(k, _)| k == "pending")
        .map(|(_, id)| id)
        .take(500)
        .collect();
    let images = images::get_many(&db, &session.user.id, &ids).await?;
    let status = if images.iter().any(Image::is_pending) {
        StatusCode::OK
    } else {
        StatusCode::from_u16(STOP_POLLING).unwrap_or(StatusCode::OK)
    };
    let cards = StatusCards {
        chrome: Chrome::of(&session),
        images,
        oob: true,
    };
    Ok((status, cards).into_response())
}

/// Queues one photo for classification again (the Retry button of a failed one).
async fn reclassify_one(
    State(db): State<Db>,
    State(queue): State<Queue>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let owner = &session.user.id;
    let image = images::get(&db, owner, &id).await?;
    images::reclassify(&db, &queue, owner, std::slice::from_ref(&id)).await?;
    Ok(Redirect::to(&folder_href(image.folder_id.as_deref())).into_response())
}

/// Queues the selected photos for classification again.
async fn reclassify_selected(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    State(queue): State<Queue>,
    SignedIn(session): SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    let form = SelectionForm::read(&body)?;
    if form.ids.is_empty() {
        let err = Error::bad_request("select at least one photo to classify again");
        return after_form(&db, &config, &session, form.from(), Err(err)).await;
    }
    images::reclassify(&db, &queue, &session.user.id, &form.ids).await?;
    Ok(Redirect::to(&form.done_href()).into_response())
}

/// Where photos shared from a phone's share sheet are added (the manifest's share target):
/// the service worker keeps them and this page uploads them (`static/share.js`).
#[derive(Template, WebTemplate)]
#[template(path = "share.html")]
struct SharePage {
    chrome: Chrome,
    destinations: Vec<crate::folders::Crumb>,
}

async fn share_page(State(db): State<Db>, SignedIn(session): SignedIn) -> PageResult {
    Ok(SharePage {
        chrome: Chrome::of(&session),
        destinations: crate::folders::all_paths(&db, &session.user.id).await?,
    }
    .into_response())
}

/// A share that reached the server itself: the browser has no service worker of the
/// gallery yet (it is installed on the first visit). Nothing is stored: the request
/// carries no CSRF token, so it could come from anywhere.
async fn share_posted() -> PageResult {
    Err(PageError(Error::Conflict(
        "sharing works once the gallery has been opened in this browser: open it, then share the photos again".into(),
    )))
}
