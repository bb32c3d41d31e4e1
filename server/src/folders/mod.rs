//! Nested folders, each owned by one user and seen by those it is shared with: every
//! query asks [`crate::access`] or names the owner.
//!
//! The folders of a user form a forest: a move that would put a folder inside itself is
//! refused within the move's own transaction (moves of one owner take turns), every
//! recursive query stops even on a table that somehow holds a loop, and start-up repairs
//! any loop an older version let in.

mod changes;
mod delete;
mod nesting;
mod paths;
mod repair;

use serde::Serialize;

use crate::db::Db;
use crate::error::{Error, Result};
use crate::names;
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};

pub use changes::{create, move_to, rename};
pub use delete::{Contents, SUBTREE, SUBTREE_OF_ANYONE, contents, delete};
pub use paths::{all_paths, breadcrumbs, matching_names};
pub use repair::repair_loops;

pub const MAX_NAME_CHARS: usize = 100;
/// How deep folders may nest (a folder at the top level is at depth 1).
pub const MAX_DEPTH: i64 = crate::access::MAX_DEPTH;
/// How many folders one user may have.
pub const MAX_FOLDERS: i64 = 10_000;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub image_count: i64,
    /// The classifier this folder chose (`default`: the gallery's own); none: it inherits
    /// its parent's.
    pub model_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    pub id: String,
    pub name: String,
}

/// A folder name as people type it, checked: not empty, not too long, no path or markup.
pub fn clean_name(name: &str) -> Result<String> {
    let name = names::without_bidi_controls(name);
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::bad_request("the folder name cannot be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::bad_request(format!(
            "the folder name is too long: at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name == "." || name == ".." || name.chars().any(|c| c.is_control() || "/\\<>".contains(c)) {
        return Err(Error::bad_request(
            "the folder name cannot contain / \\ < > or control characters, nor be . or ..",
        ));
    }
    Ok(name.to_owned())
}

const SELECT_FOLDER: &str = "SELECT f.id, f.name, f.parent_id,
        (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id AND i.trashed_at IS NULL) AS image_count, f.model_id
     FROM folders f";

/// A folder `user` may see (their own, or shared with them), or 404.
pub async fn get(db: &Db, user: &str, id: &str) -> Result<Folder> {
    Ok(visible(db, user, id).await?.0)
}

/// A folder `user` may see and what they may do with it, or 404. Of a folder shared with
/// them, the parent shows only when they may see it too.
pub async fn visible(db: &Db, user: &str, id: &str) -> Result<(Folder, crate::access::Role)> {
    let role = crate::access::folder(db, user, id)
        .await?
        .ok_or(Error::NotFound)?;
    let mut folder = by_id(db, id).await?;
    if role != crate::access::Role::Owner
        && let Some(parent) = &folder.parent_id
        && crate::access::folder(db, user, parent).await?.is_none()
    {
        folder.parent_id = None;
    }
    Ok((folder, role))
}

/// One of the owner's own folders: 404 when they may not see it, 403 when it was only
/// shared with them (only its owner changes a folder).
pub async fn owned(db: &Db, owner: &str, id: &str) -> Result<Folder> {
    crate::access::require_folder(db, owner, id, crate::access::Role::Owner).await?;
    by_id(db, id).await
}

async fn by_id(db: &Db, id: &str) -> Result<Folder> {
    sqlx::query_as::<_, Folder>(sqlx::AssertSqlSafe(format!(
        "{SELECT_FOLDER} WHERE f.id = $1 AND f.trashed_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(Error::NotFound)
}

const BY_NAME: [SortColumn; 2] = [
    SortColumn::asc("lower(f.name)", Kind::Text),
    SortColumn::asc("f.id", Kind::Text),
];

/// One page of the folders directly inside `parent` (the root when `None`), by name, and
/// the cursor of the next page.
pub async fn children(
    db: &Db,
    owner: &str,
    parent: Option<&str>,
    page: &PageQuery,
) -> Result<(Vec<Folder>, Option<String>)> {
    if let Some(parent) = parent {
        get(db, owner, parent).await?;
    }
    let page = Page::of(page, &BY_NAME)?;
    // The root is one's own; below a folder one may see, its sub-folders are its owner's.
    let (within, bound) = match parent {
        None => ("f.owner_id = $1 AND f.parent_id IS NULL", owner),
        Some(parent) => ("f.parent_id = $1", parent),
    };
    let sql = format!(
        "SELECT f.id, f.name, f.parent_id,
            (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id AND i.trashed_at IS NULL) AS image_count,
            lower(f.name) AS sort_name, f.model_id
         FROM folders f WHERE {within} AND f.trashed_at IS NULL AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&BY_NAME, 2),
        paging::order_by(&BY_NAME),
        page.fetch()
    );
    type Row = (String, String, Option<String>, i64, String, Option<String>);
    let query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(bound);
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |(id, _, _, _, sort_name, _)| {
        vec![Key::Text(sort_name.clone()), Key::Text(id.clone())]
    });
    let folders = rows
        .into_iter()
        .map(|(id, name, parent_id, image_count, _, model_id)| Folder {
            id,
            name,
            parent_id,
            image_count,
            model_id,
        })
        .collect();
    Ok((folders, next))
}
