//! Nested folders, each owned by one user. Every query names the owner.
//!
//! The folders of a user form a forest: a move that would put a folder inside itself is
//! refused within the move's own transaction (moves of one owner take turns), every
//! recursive query stops even on a table that somehow holds a loop, and start-up repairs
//! any loop an older version let in.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::db::{Db, lock_owner, new_id, now_ms};
use crate::error::{Error, Result, ResultExt};
use crate::names;
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};
use crate::storage::Storage;

pub const MAX_NAME_CHARS: usize = 100;
/// How deep folders may nest (a folder at the top level is at depth 1).
pub const MAX_DEPTH: i64 = 64;
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
        (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id) AS image_count, f.model_id
     FROM folders f";

pub async fn get(db: &Db, owner: &str, id: &str) -> Result<Folder> {
    sqlx::query_as::<_, Folder>(sqlx::AssertSqlSafe(format!(
        "{SELECT_FOLDER} WHERE f.owner_id = $1 AND f.id = $2"
    )))
    .bind(owner)
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
    let sql = format!(
        "SELECT f.id, f.name, f.parent_id,
            (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id) AS image_count,
            lower(f.name) AS sort_name, f.model_id
         FROM folders f WHERE f.owner_id = $1 AND COALESCE(f.parent_id, '') = $2 AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&BY_NAME, 3),
        paging::order_by(&BY_NAME),
        page.fetch()
    );
    type Row = (String, String, Option<String>, i64, String, Option<String>);
    let query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(parent.unwrap_or(""));
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

fn duplicate(name: &str) -> impl FnOnce() -> String + '_ {
    move || {
        format!("a folder named \u{201c}{name}\u{201d} already exists here; choose another name")
    }
}

fn too_deep() -> Error {
    Error::bad_request(format!(
        "folders can be nested at most {MAX_DEPTH} levels deep"
    ))
}

/// How deep a folder is (1 at the top level). The walk up stops on a loop, since `UNION`
/// never visits a folder twice.
async fn depth(tx: &mut Transaction<'_, Any>, owner: &str, id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "WITH RECURSIVE up(id, parent_id) AS (
            SELECT id, parent_id FROM folders WHERE id = $1 AND owner_id = $2
            UNION
            SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id WHERE f.owner_id = $2
         ) SELECT COUNT(*) FROM up",
    )
    .bind(id)
    .bind(owner)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n)
}

/// Whether `ancestor` is `id` or lies above it.
async fn is_within(
    tx: &mut Transaction<'_, Any>,
    owner: &str,
    id: &str,
    ancestor: &str,
) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "WITH RECURSIVE up(id, parent_id) AS (
            SELECT id, parent_id FROM folders WHERE id = $1 AND owner_id = $2
            UNION
            SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id WHERE f.owner_id = $2
         ) SELECT 1 FROM up WHERE id = $3",
    )
    .bind(id)
    .bind(owner)
    .bind(ancestor)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// How many levels a folder and the deepest folder inside it span (1 with none inside),
/// counted up to one past the limit.
async fn height(tx: &mut Transaction<'_, Any>, owner: &str, id: &str) -> Result<i64> {
    let (n,): (Option<i64>,) = sqlx::query_as(
        "WITH RECURSIVE down(id, level) AS (
            SELECT id, 1 FROM folders WHERE id = $1 AND owner_id = $2
            UNION
            SELECT f.id, down.level + 1 FROM folders f JOIN down ON f.parent_id = down.id
            WHERE f.owner_id = $2 AND down.level <= $3
         ) SELECT MAX(level) FROM down",
    )
    .bind(id)
    .bind(owner)
    .bind(MAX_DEPTH)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n.unwrap_or(1))
}

async fn exists(tx: &mut Transaction<'_, Any>, owner: &str, id: &str) -> Result<()> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM folders WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut **tx)
            .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

pub async fn create(db: &Db, owner: &str, name: &str, parent: Option<&str>) -> Result<Folder> {
    let name = clean_name(name)?;
    let id = new_id();
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM folders WHERE owner_id = $1")
        .bind(owner)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_FOLDERS {
        return Err(Error::Conflict(format!(
            "you have {MAX_FOLDERS} folders, as many as one account may have; delete some first"
        )));
    }
    if let Some(parent) = parent {
        exists(&mut tx, owner, parent).await?;
        if depth(&mut tx, owner, parent).await? + 1 > MAX_DEPTH {
            return Err(too_deep());
        }
    }
    sqlx::query("INSERT INTO folders (id, owner_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(owner)
        .bind(parent)
        .bind(&name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .on_unique_violation(duplicate(&name))?;
    tx.commit().await?;
    get(db, owner, &id).await
}

pub async fn rename(db: &Db, owner: &str, id: &str, name: &str) -> Result<Folder> {
    let name = clean_name(name)?;
    get(db, owner, id).await?;
    sqlx::query("UPDATE folders SET name = $1 WHERE id = $2 AND owner_id = $3")
        .bind(&name)
        .bind(id)
        .bind(owner)
        .execute(db)
        .await
        .on_unique_violation(duplicate(&name))?;
    get(db, owner, id).await
}

/// Moves a folder under another (or to the root), never into itself or its own sub-folders,
/// and never deeper than [`MAX_DEPTH`]. The checks run in the move's transaction, after
/// the owner's other folder changes have committed (they take turns), so two moves at
/// once cannot make a loop between them.
pub async fn move_to(db: &Db, owner: &str, id: &str, new_parent: Option<&str>) -> Result<Folder> {
    let folder = get(db, owner, id).await?;
    let mut tx = db.begin().await?;
    lock_owner(&mut tx, owner).await?;
    exists(&mut tx, owner, id).await?;
    if let Some(target) = new_parent {
        exists(&mut tx, owner, target).await?;
        if is_within(&mut tx, owner, target, id).await? {
            return Err(Error::bad_request(
                "a folder cannot be moved into itself or one of its sub-folders",
            ));
        }
        if depth(&mut tx, owner, target).await? + height(&mut tx, owner, id).await? > MAX_DEPTH {
            return Err(too_deep());
        }
    }
    sqlx::query("UPDATE folders SET parent_id = $1 WHERE id = $2 AND owner_id = $3")
        .bind(new_parent)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .on_unique_violation(duplicate(&folder.name))?;
    tx.commit().await?;
    get(db, owner, id).await
}

/// A folder and everything below it; `UNION` visits each folder once, loop or not.
pub const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT id FROM folders WHERE id = $1 AND owner_id = $2
        UNION
        SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id WHERE f.owner_id = $2
    )";

#[derive(Debug, Clone, Copy, Default)]
pub struct Contents {
    pub folders: i64,
    pub images: i64,
}

/// What deleting a folder would take with it: its sub-folders and their images.
pub async fn contents(db: &Db, owner: &str, id: &str) -> Result<Contents> {
    get(db, owner, id).await?;
    let (folders, images): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBTREE} SELECT (SELECT COUNT(*) FROM subtree) - 1,
                (SELECT COUNT(*) FROM images WHERE owner_id = $2 AND folder_id IN (SELECT id FROM subtree))"
    )))
    .bind(id)
    .bind(owner)
    .fetch_one(db)
    .await?;
    Ok(Contents { folders, images })
}

/// Deletes a folder with everything inside: rows in one transaction, then the objects.
pub async fn delete(db: &Db, storage: &Storage, owner: &str, id: &str) -> Result<()> {
    get(db, owner, id).await?;
    // Writing first: on SQLite a transaction that reads and then writes fails at once
    // (SQLITE_BUSY_SNAPSHOT) when another connection wrote in between.
    let mut tx = db.begin().await?;
    let rows: Vec<crate::storage::DeletedPhoto> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "DELETE FROM images WHERE owner_id = $2 AND folder_id IN ({SUBTREE} SELECT id FROM subtree)
         RETURNING {}, bytes",
        crate::storage::PHOTO_OBJECTS
    )))
    .bind(id)
    .bind(owner)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM folders WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    let bytes: i64 = rows.iter().map(|r| r.4).sum();
    crate::usage::add(&mut tx, owner, -(rows.len() as i64), -bytes).await?;
    tx.commit().await?;
    crate::storage::delete_all(storage, crate::storage::photo_objects(rows)).await;
    Ok(())
}

/// The path from the root down to (and including) a folder.
pub async fn breadcrumbs(db: &Db, owner: &str, id: &str) -> Result<Vec<Crumb>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "WITH RECURSIVE up(id, name, parent_id, depth) AS (
            SELECT id, name, parent_id, 0 FROM folders WHERE id = $1 AND owner_id = $2
            UNION ALL
            SELECT f.id, f.name, f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.id = up.parent_id
            WHERE f.owner_id = $2 AND up.depth < $3
         ) SELECT id, name, depth FROM up ORDER BY depth DESC",
    )
    .bind(id)
    .bind(owner)
    .bind(MAX_DEPTH * 2)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Err(Error::NotFound);
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, _)| Crumb { id, name })
        .collect())
}

/// Every folder of a user with its full path ("Trips / 2024"), for "move to" menus. Each
/// path is built once, from its parent's.
pub async fn all_paths(db: &Db, owner: &str) -> Result<Vec<Crumb>> {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, parent_id FROM folders WHERE owner_id = $1")
            .bind(owner)
            .fetch_all(db)
            .await?;
    let mut below: HashMap<Option<&str>, Vec<(&str, &str)>> = HashMap::new();
    for (id, name, parent) in &rows {
        below
            .entry(parent.as_deref())
            .or_default()
            .push((id.as_str(), name.as_str()));
    }
    let mut paths = Vec::with_capacity(rows.len());
    // From the top down; a folder in a (repaired at start-up) loop is never reached.
    let mut stack: Vec<(&str, String)> = below
        .get(&None)
        .into_iter()
        .flatten()
        .map(|(id, name)| (*id, (*name).to_owned()))
        .collect();
    while let Some((id, path)) = stack.pop() {
        for (child, name) in below.get(&Some(id)).into_iter().flatten() {
            stack.push((child, format!("{path} / {name}")));
        }
        paths.push(Crumb {
            id: id.to_owned(),
            name: path,
        });
    }
    paths.sort_by_cached_key(|c| c.name.to_lowercase());
    Ok(paths)
}

/// The owner's folders whose name, or the name of a folder above them, passes `test` for
/// at least one of its answers (one per search term), with the answers so combined.
pub async fn matching_names(
    db: &Db,
    owner: &str,
    test: impl Fn(&str) -> Vec<bool>,
) -> Result<Vec<(String, Vec<bool>)>> {
    let rows: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT id, parent_id, name FROM folders WHERE owner_id = $1")
            .bind(owner)
            .fetch_all(db)
            .await?;
    let own: std::collections::HashMap<&str, (Option<&str>, Vec<bool>)> = rows
        .iter()
        .map(|(id, parent, name)| (id.as_str(), (parent.as_deref(), test(name))))
        .collect();
    let mut found = Vec::new();
    for (id, (parent, answers)) in &own {
        let (mut parent, mut answers) = (*parent, answers.clone());
        // Folders cannot form loops; the bound only guards against a damaged table.
        for _ in 0..MAX_DEPTH * 2 {
            let Some((grandparent, above)) = parent.and_then(|p| own.get(p)) else {
                break;
            };
            for (a, b) in answers.iter_mut().zip(above) {
                *a |= *b;
            }
            parent = *grandparent;
        }
        if answers.iter().any(|a| *a) {
            found.push(((*id).to_owned(), answers));
        }
    }
    Ok(found)
}

/// Breaks any loop in the folder table (which versions before the in-transaction check
/// could store): each loop's first folder (by id) moves to the top level, renamed if a
/// folder there has its name. Returns how many loops were broken.
pub async fn repair_loops(db: &Db) -> Result<usize> {
    // Everything reachable from a top-level folder is fine; what is left is in a loop or
    // below one.
    let stray: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "WITH RECURSIVE reachable(id, owner_id) AS (
            SELECT id, owner_id FROM folders WHERE parent_id IS NULL
            UNION
            SELECT f.id, f.owner_id FROM folders f
              JOIN reachable r ON f.owner_id = r.owner_id AND f.parent_id = r.id
         )
         SELECT id, owner_id, parent_id, name FROM folders
         WHERE id NOT IN (SELECT id FROM reachable)",
    )
    .fetch_all(db)
    .await?;
    if stray.is_empty() {
        return Ok(0);
    }
    let parent_of: HashMap<&str, &str> = stray
        .iter()
        .filter_map(|(id, _, parent, _)| Some((id.as_str(), parent.as_deref()?)))
        .collect();
    let mut on_loop: Vec<&str> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (walk, (start, ..)) in stray.iter().enumerate() {
        let mut path: Vec<&str> = Vec::new();
        let mut at = Some(start.as_str());
        while let Some(id) = at {
            match seen.get(id) {
                Some(w) if *w == walk => {
                    // Back at a folder of this walk: the loop is from there on.
                    let from = path.iter().position(|p| *p == id).unwrap_or(0);
                    let members = &path[from..];
                    if let Some(first) = members.iter().min() {
                        on_loop.push(*first);
                    }
                    break;
                }
                Some(_) => break,
                None => {
                    seen.insert(id, walk);
                    path.push(id);
                    at = parent_of.get(id).copied();
                }
            }
        }
    }
    let mut tx = db.begin().await?;
    for id in &on_loop {
        let (owner, name) = stray
            .iter()
            .find(|(sid, ..)| sid == id)
            .map(|(_, owner, _, name)| (owner.as_str(), name.as_str()))
            .expect("a loop member is a stray folder");
        let mut new_name = name.to_owned();
        for n in 1.. {
            let clash: Option<(i64,)> = sqlx::query_as(
                "SELECT 1 FROM folders WHERE owner_id = $1 AND parent_id IS NULL AND lower(name) = lower($2)",
            )
            .bind(owner)
            .bind(&new_name)
            .fetch_optional(&mut *tx)
            .await?;
            if clash.is_none() {
                break;
            }
            new_name = format!("{name} (recovered {n})");
        }
        sqlx::query("UPDATE folders SET parent_id = NULL, name = $1 WHERE id = $2")
            .bind(&new_name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tracing::warn!(folder = %id, %owner, "a folder loop was broken: the folder is now at the top level");
    }
    tx.commit().await?;
    Ok(on_loop.len())
}
