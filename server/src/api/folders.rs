//! Folders: list a level, create, rename and move, delete with everything inside.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, ApiUser, ErrorBody, St, double_option, paged};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::folders::{self, Folder};
use crate::paging::PageQuery;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_folders, create_folder))
        .routes(routes!(get_folder, update_folder, delete_folder))
        .routes(routes!(reclassify_folder))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FolderQuery {
    /// The folder whose sub-folders to list; without it, the top level.
    parent: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// Folders inside a parent (the root without one), by name
#[utoipa::path(get, path = "/folders", tag = "folders", params(FolderQuery, PageQuery),
    responses((status = 200, body = [Folder], headers(("Link" = String, description = "<URL>; rel=\"next\" when there is a next page"))),
        (status = "default", body = ErrorBody)))]
async fn list_folders(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<FolderQuery>,
) -> Result<Response> {
    let parent = q.parent.as_deref().filter(|p| !p.is_empty());
    let (list, next) = folders::children(&db, &s.user.id, parent, &q.page).await?;
    Ok(paged(&uri, list, next))
}

#[derive(Deserialize, ToSchema)]
pub struct NewFolder {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^/\\<>\u0000-\u001f]*[^/\\<>\u0000-\u001f\s.][^/\\<>\u0000-\u001f]*$"
    )]
    name: String,
    parent_id: Option<String>,
}

/// Create a folder
///
/// 409 for a name already used in the same parent (ignoring case); 400 past 64 levels of
/// nesting.
#[utoipa::path(post, path = "/folders", tag = "folders", request_body = NewFolder,
    responses((status = 201, body = Folder), (status = "default", body = ErrorBody)))]
async fn create_folder(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<NewFolder>,
) -> Result<(StatusCode, Json<Folder>)> {
    let folder = folders::create(&db, &s.user.id, &body.name, body.parent_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(folder)))
}

/// A folder
#[utoipa::path(get, path = "/folders/{id}", tag = "folders", params(("id" = String, Path)),
    responses((status = 200, body = Folder), (status = "default", body = ErrorBody)))]
async fn get_folder(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Folder>> {
    Ok(Json(folders::get(&db, &s.user.id, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct FolderChange {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^/\\<>\u0000-\u001f]*[^/\\<>\u0000-\u001f\s.][^/\\<>\u0000-\u001f]*$"
    )]
    name: Option<String>,
    /// The new parent; null for the top level.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    parent_id: Option<Option<String>>,
    /// The classifier of the folder's photos (an id from `GET /models`, `default` for the
    /// gallery's own); null to inherit the parent's. Sub-folders inherit it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    model_id: Option<Option<String>>,
}

/// Rename or move a folder, or choose its classifier
///
/// 409 for a duplicate name; 400 for a move into itself or below itself, past 64
/// levels, or a model that does not exist. Choosing a classifier does not classify the
/// photos again: `POST /folders/{id}/reclassify` does.
#[utoipa::path(patch, path = "/folders/{id}", tag = "folders", params(("id" = String, Path)), request_body = FolderChange,
    responses((status = 200, body = Folder), (status = "default", body = ErrorBody)))]
async fn update_folder(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FolderChange>,
) -> Result<Json<Folder>> {
    let owner = &s.user.id;
    let mut folder = folders::owned(&db, owner, &id).await?;
    if body.name.is_none() && body.parent_id.is_none() && body.model_id.is_none() {
        return Err(Error::bad_request(
            "nothing to change: send \"name\", \"parent_id\" and/or \"model_id\"",
        ));
    }
    if let Some(model) = &body.model_id {
        crate::models::set_folder_model(&db, owner, &id, model.as_deref()).await?;
        folder = folders::get(&db, owner, &id).await?;
    }
    if let Some(name) = &body.name {
        folders::clean_name(name)?;
    }
    if let Some(parent) = &body.parent_id {
        folder = folders::move_to(&db, owner, &id, parent.as_deref()).await?;
    }
    if let Some(name) = &body.name {
        folder = folders::rename(&db, owner, &id, name).await?;
    }
    Ok(Json(folder))
}

#[derive(serde::Serialize, ToSchema)]
pub struct FolderQueued {
    /// How many photos were queued.
    queued: u64,
}

/// Classify a folder's photos again
///
/// Every photo in the folder and its sub-folders, each with the classifier its folder
/// uses now (after choosing another one, say).
#[utoipa::path(post, path = "/folders/{id}/reclassify", tag = "folders", params(("id" = String, Path)),
    responses((status = 202, body = FolderQueued), (status = "default", body = ErrorBody)))]
async fn reclassify_folder(
    State(db): State<Db>,
    State(queue): State<crate::jobs::Queue>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<FolderQueued>)> {
    let queued = crate::jobs::reclassify_folder(&db, &queue, &s.user.id, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(FolderQueued { queued })))
}

/// Delete a folder with its photos and sub-folders (to the Trash)
///
/// The folder goes to the Trash with everything in it, and comes back together.
#[utoipa::path(delete, path = "/folders/{id}", tag = "folders", params(("id" = String, Path)),
    responses((status = 204, description = "In the Trash"), (status = "default", body = ErrorBody)))]
async fn delete_folder(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    folders::delete(&db, &s.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
