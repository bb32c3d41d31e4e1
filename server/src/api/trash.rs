//! The Trash: list what was deleted, restore it, or delete it for good (one, several, or
//! everything). Photos stay there `GALLERY_TRASH_DAYS`, then go by themselves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, ApiUser, ErrorBody, St};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::paging::{self, PageQuery};
use crate::storage::Storage;
use crate::trash::{self, Items, TrashedFolder, TrashedImage, purge::Which};

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_trash))
        .routes(routes!(restore))
        .routes(routes!(purge))
}

/// One page of the Trash.
#[derive(Serialize, ToSchema)]
struct TrashPage {
    /// Photos deleted by themselves, last deleted first.
    images: Vec<TrashedImage>,
    /// Folders deleted with what was in them (on the first page).
    folders: Vec<TrashedFolder>,
}

/// What is in the Trash
///
/// Photos and folders deleted in the last `GALLERY_TRASH_DAYS` days (30 by default), each
/// with when it was deleted and when it will be gone for good. They still count towards
/// the quota.
#[utoipa::path(get, path = "/trash", tag = "trash", params(PageQuery),
    responses((status = 200, body = TrashPage, headers(("Link" = String, description = "<URL>; rel=\"next\" when there is a next page"))),
        (status = "default", body = ErrorBody)))]
async fn list_trash(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    ApiUser(s): ApiUser,
    uri: OriginalUri,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Response> {
    let listing = trash::list(&db, &s.user.id, &page, config.trash_days).await?;
    let mut response = Json(TrashPage {
        images: listing.images,
        folders: listing.folders,
    })
    .into_response();
    if let Some(cursor) = listing.next {
        let link = paging::next_link(uri.path(), uri.query(), &cursor);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// Photos and folders of the Trash, by id.
#[derive(Deserialize, ToSchema)]
struct Selected {
    #[serde(default)]
    #[schema(max_items = 1000)]
    image_ids: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 1000)]
    folder_ids: Vec<String>,
}

impl Selected {
    fn items(self) -> Items {
        Items {
            image_ids: self.image_ids,
            folder_ids: self.folder_ids,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Restored {
    /// How many photos came back (those in restored folders included).
    restored: u64,
}

/// Restore from the Trash
///
/// Photos go back to the folder they were in, folders under their parent with everything
/// that was in them. A folder that is gone is made again along the same path; a folder
/// whose name was taken meanwhile comes back as "NAME (restored)". All or nothing: 404
/// when one of them is not in the Trash.
#[utoipa::path(post, path = "/trash/restore", tag = "trash", request_body = Selected,
    responses((status = 200, body = Restored), (status = "default", body = ErrorBody)))]
async fn restore(
    State(db): State<Db>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<Selected>,
) -> Result<Json<Restored>> {
    let restored = trash::restore(&db, &s.user.id, &body.items()).await?;
    Ok(Json(Restored { restored }))
}

/// What to delete for good: ids, or `{"all": true}` for the whole Trash.
#[derive(Deserialize, ToSchema)]
struct PurgeBody {
    #[serde(default)]
    #[schema(max_items = 1000)]
    image_ids: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 1000)]
    folder_ids: Vec<String>,
    #[serde(default)]
    all: bool,
}

#[derive(Serialize, ToSchema)]
struct Purged {
    /// How many photos are gone for good (those in purged folders included).
    purged: u64,
}

/// Delete for good
///
/// The named photos and folders of the Trash (all or nothing: 404 when one is not in it),
/// or with `"all": true` everything in it. This cannot be undone.
#[utoipa::path(post, path = "/trash/purge", tag = "trash", request_body = PurgeBody,
    responses((status = 200, body = Purged), (status = "default", body = ErrorBody)))]
async fn purge(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<PurgeBody>,
) -> Result<Json<Purged>> {
    let items = Items {
        image_ids: body.image_ids,
        folder_ids: body.folder_ids,
    };
    let which = match (body.all, items.is_empty()) {
        (true, true) => Which::All,
        (true, false) => {
            return Err(Error::bad_request(
                "send either \"all\": true or the ids to delete, not both",
            ));
        }
        (false, _) => Which::Items(&items),
    };
    let purged = trash::purge(&db, &storage, &s.user.id, which).await?;
    Ok(Json(Purged { purged }))
}
