//! Downloads from the pages: "Download" in a folder's menu and for a selection, "Export all
//! my data" on the account page. Plain links and a form (CSRF-checked by the layer of
//! `web::mod`): the browser saves the answer and stays on the page; a download that broke
//! off is simply started again. The API's twins make the same archive
//! (`api::export::zip_download`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::frame::{PageError, SignedIn};
use crate::api::export::zip_download;
use crate::db::Db;
use crate::error::Error;
use crate::export::{Exports, Scope};
use crate::state::AppState;
use crate::storage::Storage;

/// The download routes, without the pages' deadline: an archive takes as long as the
/// browser needs to save it.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/folders/{id}/zip", get(folder_zip))
        .route("/images/zip", post(selection_zip))
        .route("/account/export", get(export_everything))
}

/// The page of a refused download, with its `Retry-After` when it was busy.
fn refused(err: Error) -> Response {
    let (_, retry_after, _) = err.parts();
    let mut response = PageError(err).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    response
}

async fn folder_zip(
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(exports): State<Exports>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> Response {
    zip_download(
        &db,
        &storage,
        &exports,
        &session.user.id,
        Scope::Folder(&id),
    )
    .await
    .unwrap_or_else(refused)
}

/// The selection form of a folder's page (its `ids` repeat); its other fields are the
/// other actions'.
#[derive(Deserialize)]
struct SelectionForm {
    #[serde(default)]
    ids: Vec<String>,
}

async fn selection_zip(
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(exports): State<Exports>,
    SignedIn(session): SignedIn,
    body: Bytes,
) -> Response {
    let form: SelectionForm = match super::repeated_form(&body) {
        Ok(form) => form,
        Err(e) => return refused(e),
    };
    let scope = Scope::Selection(&form.ids);
    zip_download(&db, &storage, &exports, &session.user.id, scope)
        .await
        .unwrap_or_else(refused)
}

async fn export_everything(
    State(db): State<Db>,
    State(storage): State<Storage>,
    State(exports): State<Exports>,
    SignedIn(session): SignedIn,
) -> Response {
    zip_download(&db, &storage, &exports, &session.user.id, Scope::Everything)
        .await
        .unwrap_or_else(refused)
}
