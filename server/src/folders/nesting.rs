//! How folders nest, read inside a change's transaction: a folder's depth, the height of
//! what is inside it, and whether one folder lies within another.

use sqlx::{Any, Transaction};

use crate::error::{Error, Result};

use super::MAX_DEPTH;

pub(super) fn too_deep() -> Error {
    Error::bad_request(format!(
        "folders can be nested at most {MAX_DEPTH} levels deep"
    ))
}

/// How deep a folder is (1 at the top level). The walk up stops on a loop, since `UNION`
/// never visits a folder twice.
pub(super) async fn depth(tx: &mut Transaction<'_, Any>, owner: &str, id: &str) -> Result<i64> {
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
pub(super) async fn is_within(
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
pub(super) async fn height(tx: &mut Transaction<'_, Any>, owner: &str, id: &str) -> Result<i64> {
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

pub(super) async fn exists(tx: &mut Transaction<'_, Any>, owner: &str, id: &str) -> Result<()> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM folders WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut **tx)
            .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}
