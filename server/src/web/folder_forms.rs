//! The folder forms of the pages: make, rename, move and delete a folder (its owner only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::folders::{after_form, non_empty};
use super::frame::{Chrome, ConfirmPage, PageResult, SignedIn, folder_href, plural, with_query};
use crate::config::Config;
use crate::db::Db;
use crate::error::Result;
use crate::folders;
use crate::state::AppState;
use crate::undo::Change;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/folders", post(create_folder))
        .route("/folders/{id}/rename", post(rename_folder))
        .route("/folders/{id}/move", post(move_folder))
        .route(
            "/folders/{id}/delete",
            get(confirm_delete_folder).post(delete_folder),
        )
}

#[derive(Deserialize)]
struct NewFolderForm {
    name: String,
    parent_id: Option<String>,
}

async fn create_folder(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Form(form): Form<NewFolderForm>,
) -> PageResult {
    let parent = non_empty(&form.parent_id);
    let result = folders::create(&db, &session.user.id, &form.name, parent)
        .await
        .map(|_| folder_href(parent));
    after_form(&db, &config, &session, parent, result).await
}

#[derive(Deserialize)]
struct RenameForm {
    name: String,
}

async fn rename_folder(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> PageResult {
    let result = folders::rename(&db, &session.user.id, &id, &form.name)
        .await
        .map(|f| folder_href(Some(&f.id)));
    after_form(&db, &config, &session, Some(&id), result).await
}

#[derive(Deserialize)]
struct MoveFolderForm {
    parent_id: Option<String>,
}

async fn move_folder(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MoveFolderForm>,
) -> PageResult {
    let target = non_empty(&form.parent_id);
    let result = moved_folder(&db, &session.user.id, &id, target).await;
    after_form(&db, &config, &session, Some(&id), result).await
}

/// Moves a folder, remembered for Undo; where to go next.
async fn moved_folder(db: &Db, owner: &str, id: &str, target: Option<&str>) -> Result<String> {
    let before = folders::owned(db, owner, id).await?;
    let folder = folders::move_to(db, owner, id, target).await?;
    let place = match target {
        Some(t) => format!("\u{201c}{}\u{201d}", folders::get(db, owner, t).await?.name),
        None => "the top level".to_owned(),
    };
    let said = format!(
        "Moved the folder \u{201c}{}\u{201d} to {place}",
        folder.name
    );
    let change = Change::MovedFolder {
        id: id.to_owned(),
        parent: before.parent_id,
    };
    let undo = crate::undo::remember(db, owner, &said, change).await?;
    Ok(with_query(&folder_href(Some(&folder.id)), "undo", &undo))
}

async fn confirm_delete_folder(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let owner = &session.user.id;
    let folder = folders::owned(&db, owner, &id).await?;
    let inside = folders::contents(&db, owner, &id).await?;
    Ok(ConfirmPage {
        chrome: Chrome::of(&session),
        title: format!("Delete the folder \u{201c}{}\u{201d}?", folder.name),
        message: format!(
            "The folder goes to the Trash with everything inside it ({} and {}); you can restore it for {} days.",
            plural(inside.folders as usize, "sub-folder"),
            plural(inside.images as usize, "photo"),
            config.trash_days
        ),
        action: format!("/folders/{id}/delete"),
        fields: Vec::new(),
        button: "Delete folder",
        cancel_href: folder_href(Some(&id)),
    }
    .into_response())
}

async fn delete_folder(
    State(db): State<Db>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let owner = &session.user.id;
    let folder = folders::owned(&db, owner, &id).await?;
    folders::delete(&db, owner, &id).await?;
    let said = format!("Moved the folder \u{201c}{}\u{201d} to Trash", folder.name);
    let change = Change::Trashed {
        image_ids: Vec::new(),
        folder_ids: vec![id.clone()],
    };
    let undo = crate::undo::remember(&db, owner, &said, change).await?;
    let back = folder_href(folder.parent_id.as_deref());
    Ok(Redirect::to(&with_query(&back, "undo", &undo)).into_response())
}
