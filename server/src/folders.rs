//! Nested folders, each owned by one user. Every query names the owner.

use serde::Serialize;

use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result, ResultExt};
use crate::storage::Storage;

pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub image_count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    pub id: String,
    pub name: String,
}

/// A folder name as people type it, checked: not empty, not too long, no path or markup.
pub fn clean_name(name: &str) -> Result<String> {
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
        (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id) AS image_count
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

/// The folders directly inside `parent` (the root when `None`), by name.
pub async fn children(db: &Db, owner: &str, parent: Option<&str>) -> Result<Vec<Folder>> {
    if let Some(parent) = parent {
        get(db, owner, parent).await?;
    }
    Ok(sqlx::query_as::<_, Folder>(sqlx::AssertSqlSafe(format!(
        "{SELECT_FOLDER} WHERE f.owner_id = $1 AND COALESCE(f.parent_id, '') = $2 ORDER BY lower(f.name)"
    )))
    .bind(owner)
    .bind(parent.unwrap_or(""))
    .fetch_all(db)
    .await?)
}

fn duplicate(name: &str) -> impl FnOnce() -> String + '_ {
    move || {
        format!("a folder named \u{201c}{name}\u{201d} already exists here; choose another name")
    }
}

pub async fn create(db: &Db, owner: &str, name: &str, parent: Option<&str>) -> Result<Folder> {
    let name = clean_name(name)?;
    if let Some(parent) = parent {
        get(db, owner, parent).await?;
    }
    let id = new_id();
    sqlx::query("INSERT INTO folders (id, owner_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(owner)
        .bind(parent)
        .bind(&name)
        .bind(now_ms())
        .execute(db)
        .await
        .on_unique_violation(duplicate(&name))?;
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

/// Moves a folder under another (or to the root), never into itself or its own sub-folders.
pub async fn move_to(db: &Db, owner: &str, id: &str, new_parent: Option<&str>) -> Result<Folder> {
    let folder = get(db, owner, id).await?;
    if let Some(target) = new_parent {
        get(db, owner, target).await?;
        let path = breadcrumbs(db, owner, target).await?;
        if path.iter().any(|c| c.id == id) {
            return Err(Error::bad_request(
                "a folder cannot be moved into itself or one of its sub-folders",
            ));
        }
    }
    sqlx::query("UPDATE folders SET parent_id = $1 WHERE id = $2 AND owner_id = $3")
        .bind(new_parent)
        .bind(id)
        .bind(owner)
        .execute(db)
        .await
        .on_unique_violation(duplicate(&folder.name))?;
    get(db, owner, id).await
}

const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT id FROM folders WHERE id = $1 AND owner_id = $2
        UNION ALL
        SELECT f.id FROM folders f JOIN subtree s ON f.parent_id = s.id
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
    let keys: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "DELETE FROM images WHERE owner_id = $2 AND folder_id IN ({SUBTREE} SELECT id FROM subtree)
         RETURNING object_key, thumb_key"
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
    tx.commit().await?;
    crate::images::delete_objects(storage, crate::images::flatten(keys)).await;
    Ok(())
}

/// The path from the root down to (and including) a folder.
pub async fn breadcrumbs(db: &Db, owner: &str, id: &str) -> Result<Vec<Crumb>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "WITH RECURSIVE up(id, name, parent_id, depth) AS (
            SELECT id, name, parent_id, 0 FROM folders WHERE id = $1 AND owner_id = $2
            UNION ALL
            SELECT f.id, f.name, f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.id = up.parent_id
            WHERE up.depth < 1000
         ) SELECT id, name, depth FROM up ORDER BY depth DESC",
    )
    .bind(id)
    .bind(owner)
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

/// Every folder of a user with its full path ("Trips / 2024"), for "move to" menus.
pub async fn all_paths(db: &Db, owner: &str) -> Result<Vec<Crumb>> {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, parent_id FROM folders WHERE owner_id = $1")
            .bind(owner)
            .fetch_all(db)
            .await?;
    let by_id: std::collections::HashMap<&str, (&str, Option<&str>)> = rows
        .iter()
        .map(|(id, name, parent)| (id.as_str(), (name.as_str(), parent.as_deref())))
        .collect();
    let mut paths: Vec<Crumb> = rows
        .iter()
        .map(|(id, _, _)| {
            let mut parts = Vec::new();
            let mut cursor = Some(id.as_str());
            while let Some((name, parent)) = cursor.and_then(|c| by_id.get(c)) {
                parts.push(*name);
                cursor = *parent;
                if parts.len() > by_id.len() {
                    break;
                }
            }
            parts.reverse();
            Crumb {
                id: id.clone(),
                name: parts.join(" / "),
            }
        })
        .collect();
    paths.sort_by_key(|c| c.name.to_lowercase());
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
        // Folders cannot form cycles; the bound only guards against a damaged table.
        for _ in 0..own.len() {
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
