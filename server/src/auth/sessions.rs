//! Server-side sessions. The client holds a random token; the database holds only its
//! SHA-256, so a leaked database does not sign anyone in.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::User;
use crate::db::{Db, now_ms};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A browser session: cookie plus CSRF token.
    Web,
    /// A bearer token of the JSON API.
    Api,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Web => "web",
            Kind::Api => "api",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub token_hash: String,
    pub csrf_token: String,
    /// The session's public id (the list of where one is signed in).
    pub id: String,
    /// A personal access token with the `read` scope: it may look, never change.
    pub read_only: bool,
    /// A personal access token (made on the account page for scripts), not a sign-in.
    pub personal: bool,
}

/// Where a sign-in came from, kept with its session for the owner's list.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

impl Origin {
    pub fn new(user_agent: Option<&str>, address: std::net::IpAddr) -> Self {
        Self {
            user_agent: user_agent
                .map(|ua| ua.chars().filter(|c| !c.is_control()).take(300).collect()),
            address: Some(address.to_string()),
        }
    }
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session and returns the token to hand to the client.
pub async fn create(
    db: &Db,
    user_id: &str,
    kind: Kind,
    ttl_hours: i64,
    origin: &Origin,
) -> Result<String> {
    let token = random_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at,
                               id, user_agent, address, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5)",
    )
    .bind(hash_token(&token))
    .bind(user_id)
    .bind(kind.as_str())
    .bind(random_token())
    .bind(now)
    .bind(now + ttl_hours * 3_600_000)
    .bind(crate::db::new_id())
    .bind(origin.user_agent.as_deref())
    .bind(origin.address.as_deref())
    .execute(db)
    .await?;
    Ok(token)
}

/// How stale `last_seen_at` may be before a request writes it again (one write per user
/// per minute, not one per request).
const SEEN_EVERY_MS: i64 = 60_000;

/// The live session of a token, if any: not expired, and its user not disabled.
pub async fn find(db: &Db, token: &str, kind: Kind) -> Result<Option<Session>> {
    let token_hash = hash_token(token);
    let now = now_ms();
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<i64>,
        String,
        String,
        Option<i64>,
        Option<i64>,
        i64,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.role, s.csrf_token, COALESCE(u.password_hash, ''),
                u.last_seen_at, s.id, s.scope, s.last_seen_at, u.email_verified_at,
                CASE WHEN u.totp_secret IS NOT NULL
                       OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id) THEN 1 ELSE 0 END,
                s.name
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND u.disabled_at IS NULL",
    )
    .bind(&token_hash)
    .bind(kind.as_str())
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((
        id,
        email,
        display_name,
        role,
        csrf_token,
        password_hash,
        seen,
        session_id,
        scope,
        session_seen,
        verified,
        totp,
        name,
    )) = row
    else {
        return Ok(None);
    };
    if seen.is_none_or(|seen| now - seen > SEEN_EVERY_MS) {
        sqlx::query("UPDATE users SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(db)
            .await?;
    }
    if session_seen.is_none_or(|seen| now - seen > SEEN_EVERY_MS) {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&token_hash)
            .execute(db)
            .await?;
    }
    Ok(Some(Session {
        user: User {
            id,
            email,
            display_name,
            role,
            email_verified: verified.is_some(),
            two_factor: totp == 1,
            has_password: !password_hash.is_empty(),
        },
        token_hash,
        csrf_token,
        id: session_id,
        read_only: scope == "read",
        personal: name.is_some(),
    }))
}

pub async fn end(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every other session of a user (after a password change).
pub async fn end_others(db: &Db, user_id: &str, keep_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn purge_expired(db: &Db) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
