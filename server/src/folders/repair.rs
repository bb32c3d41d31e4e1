//! The start-up repair that breaks any loop an older version let into the folder table.

use std::collections::HashMap;

use crate::db::Db;
use crate::error::Result;

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
        // Writing first: on SQLite a transaction that reads and then writes fails at once
        // (SQLITE_BUSY_SNAPSHOT) when another server wrote in between.
        crate::db::lock_owner(&mut tx, owner).await?;
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
