//! Reading the tree whole: the path down to a folder, every folder's full path, and the
//! folders whose names (or their parents' names) match a search.

use std::collections::HashMap;

use crate::db::Db;
use crate::error::{Error, Result};

use super::{Crumb, MAX_DEPTH};

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
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, name, parent_id FROM folders WHERE owner_id = $1 AND trashed_at IS NULL",
    )
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
    let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, parent_id, name FROM folders WHERE owner_id = $1 AND trashed_at IS NULL",
    )
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
