//! Invitation links for `GALLERY_SIGNUP=invite`: an admin (or `gallery admin invite` on the
//! server) makes one; it signs up one account, once, before it expires. Only the SHA-256 of
//! the token is stored, like a session's.

use serde::Serialize;
use sqlx::{Any, Transaction};

use super::sessions::{hash_token, random_token};
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result};

const DAY_MS: i64 = 86_400_000;
pub const MAX_DAYS: i64 = 90;
const MAX_NOTE_CHARS: usize = 200;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Invitation {
    pub id: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub used_by: Option<String>,
}

/// The path of the sign-up page for a token; the caller puts the public URL in front.
pub fn signup_path(token: &str) -> String {
    format!("/signup?invite={token}")
}

/// Makes an invitation valid for `days` days; returns it and its token (shown once).
pub async fn create(
    db: &Db,
    created_by: Option<&str>,
    note: Option<&str>,
    days: i64,
) -> Result<(Invitation, String)> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::bad_request(format!(
            "an invitation lasts 1 to {MAX_DAYS} days"
        )));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS || n.chars().any(char::is_control)) {
        return Err(Error::bad_request(format!(
            "the note must be at most {MAX_NOTE_CHARS} printable characters"
        )));
    }
    let token = random_token();
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO invitations (id, token_hash, created_by, note, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(hash_token(&token))
    .bind(created_by)
    .bind(note)
    .bind(now)
    .bind(now + days * DAY_MS)
    .execute(db)
    .await?;
    let invitation = Invitation {
        id,
        note: note.map(str::to_owned),
        created_by: created_by.map(str::to_owned),
        created_at: now,
        expires_at: now + days * DAY_MS,
        used_at: None,
        used_by: None,
    };
    Ok((invitation, token))
}

/// The newest invitations first.
pub async fn list(db: &Db, limit: i64) -> Result<Vec<Invitation>> {
    Ok(sqlx::query_as(
        "SELECT id, note, created_by, created_at, expires_at, used_at, used_by
         FROM invitations ORDER BY created_at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Withdraws an invitation that has not been used.
pub async fn revoke(db: &Db, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM invitations WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

fn unusable() -> Error {
    Error::Forbidden(
        "this invitation is not valid: it was already used, withdrawn or has expired; ask for a new one"
            .into(),
    )
}

/// Refuses a token that cannot sign anyone up (before any costly work is done for it).
pub async fn check(db: &Db, token: &str) -> Result<()> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM invitations WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(hash_token(token))
    .bind(now_ms())
    .fetch_optional(db)
    .await?;
    found.map(|_| ()).ok_or_else(unusable)
}

/// Uses the invitation up for the account being created in `tx`; of two sign-ups racing
/// with one link, only one can.
pub async fn take(tx: &mut Transaction<'_, Any>, token: &str, user_id: &str) -> Result<()> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE invitations SET used_at = $1, used_by = $2
         WHERE token_hash = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .bind(hash_token(token))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(unusable())
    }
}
