//! Single-use tokens of links sent by mail (verify an address, reset a password, confirm a
//! new address) and of the second step of a sign-in. Only the token's SHA-256 is kept;
//! issuing one ends the account's earlier ones of the same purpose, and using one deletes
//! it in the same statement that reads it, so a token works once, on one server.

use sqlx::{Any, Transaction};

use super::sessions::{hash_token, random_token};
use crate::db::{Db, now_ms};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Proves the account's address.
    Verify,
    /// Lets its holder choose a new password.
    Reset,
    /// Moves the account to the new address the token carries.
    ChangeEmail,
    /// A password was right; a passkey or code must follow.
    SecondStep,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::ChangeEmail => "email",
            Self::SecondStep => "second-step",
        }
    }

    /// How long a token stays good.
    pub fn lifetime_ms(self) -> i64 {
        match self {
            Self::Verify | Self::ChangeEmail => 48 * 3_600_000,
            Self::Reset => 30 * 60_000,
            Self::SecondStep => 5 * 60_000,
        }
    }
}

/// Issues a token (ending the account's earlier ones of this purpose); returns it.
pub async fn issue(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    purpose: Purpose,
    email: Option<&str>,
) -> Result<String> {
    sqlx::query("DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut **tx)
        .await?;
    let token = random_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash_token(&token))
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(email)
    .bind(now)
    .bind(now + purpose.lifetime_ms())
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// [`issue`] in a transaction of its own.
pub async fn issue_now(db: &Db, user_id: &str, purpose: Purpose) -> Result<String> {
    let mut tx = db.begin().await?;
    let token = issue(&mut tx, user_id, purpose, None).await?;
    tx.commit().await?;
    Ok(token)
}

/// [`take`] on its own: the account, if the token was good.
pub async fn take_now(db: &Db, token: &str, purpose: Purpose) -> Result<Option<String>> {
    let mut tx = db.begin().await?;
    let taken = take(&mut tx, token, purpose).await?;
    tx.commit().await?;
    Ok(taken.map(|(user, _)| user))
}

/// Uses a token up: the account it was for and the address it carries, if it was good
/// (this purpose, not expired, not used, not replaced by a newer one).
pub async fn take(
    tx: &mut Transaction<'_, Any>,
    token: &str,
    purpose: Purpose,
) -> Result<Option<(String, Option<String>)>> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "DELETE FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3
         RETURNING user_id, email",
    )
    .bind(hash_token(token))
    .bind(purpose.as_str())
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?)
}

/// The account a token is for, without using it (a page that shows a form first).
pub async fn peek(db: &Db, token: &str, purpose: Purpose) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3",
    )
    .bind(hash_token(token.trim()))
    .bind(purpose.as_str())
    .bind(now_ms())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(u,)| u))
}

/// Ends every token of an account of a purpose (a used reset link's siblings).
pub async fn end_all(tx: &mut Transaction<'_, Any>, user_id: &str, purpose: Purpose) -> Result<()> {
    sqlx::query("DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets expired tokens (housekeeping).
pub async fn purge_expired(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM account_tokens WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(db)
            .await?
            .rows_affected(),
    )
}
