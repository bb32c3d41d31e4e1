//! Reading the tree whole: the path down to a folder, every folder's full path, and the
//! folders whose names (or their parents' names) match a search.

use std::collections::HashMap;

use crate::db::Db;
use crate::error::{Error, Result};

use super::{Crumb, MAX_DEPTH};

/// The path down to (and including) a folder: from the root for its owner; from the
/// folder that was shared for someone it was shared with (nothing above it shows).
pub async fn breadcrumbs(db: &Db, user: &str, id: &str) -> Result<Vec<Crumb>> {
    if crate::access::folder(db, user, id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "WITH RECURSIVE up(id, name, owner_id, parent_id, depth) AS (
            SELECT id, name, owner_id, parent_id, 0 FROM folders WHERE id = $1
            UNION ALL
            SELECT f.id, f.name, f.owner_id, f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.id = up.parent_id
            WHERE up.depth < $3
         ) SELECT id, name, owner_id,
                  (SELECT COUNT(*) FROM folder_shares s WHERE s.folder_id = up.id AND s.user_id = $2)
             FROM up ORDER BY depth DESC",
    )
    .bind(id)
    .bind(user)
    .bind(MAX_DEPTH * 2)
    .fetch_all(db)
    .await?;
    let mine = rows.first().is_some_and(|(_, _, owner, _)| owner == user);
    // Someone it was shared with sees from the highest folder shared with them down.
    let from = if mine {
        0
    } else {
        rows.iter()
            .position(|(_, _, _, shared)| *shared > 0)
            .unwrap_or(rows.len().saturating_sub(1))
    };
    Ok(rows
        .into_iter()
        .skip(from)
        .map(|(id, name, _, _)| Crumb { id, name })
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

/// The folders a user may see (their own, and those shared with them or by them) whose
/// name, or the name of a folder above them that they may see, passes `test` for at least
/// one of its answers (one per search term), with the answers so combined.
pub async fn matching_names(
    db: &Db,
    owner: &str,
    test: impl Fn(&str) -> Vec<bool>,
) -> Result<Vec<(String, Vec<bool>)>> {
    let sql = format!(
        "WITH RECURSIVE {} SELECT id, parent_id, name FROM folders
          WHERE (owner_id = $1 OR id IN (SELECT id FROM shared_tree)) AND trashed_at IS NULL",
        crate::access::shared_tree(1)
    );
    let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
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
