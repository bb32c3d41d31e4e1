//! Where one is signed in, and personal access tokens for scripts. Both are rows of
//! `sessions`: a token is an `api` session with a name and a scope (`read` or `write`),
//! shown once when made and kept only as its SHA-256.

use serde::Serialize;

use super::Session;
use super::sessions::{hash_token, random_token};
use crate::db::{Db, new_id, now_ms, rfc3339};
use crate::error::{Error, Result};

/// Tokens one account may hold.
const MAX_TOKENS: i64 = 100;
/// A token without an expiry lasts until it is revoked (this far away).
const NEVER_MS: i64 = 253_402_300_799_000;

/// One place one is signed in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignInSession {
    pub id: String,
    /// The session of this request.
    pub current: bool,
    pub user_agent: Option<String>,
    /// The device and browser, in words ("Firefox on Linux").
    pub device: String,
    pub address: Option<String>,
    pub last_seen_at: Option<String>,
    pub created_at: String,
}

pub async fn list_sessions(db: &Db, session: &Session) -> Result<Vec<SignInSession>> {
    type Row = (String, Option<String>, Option<String>, Option<i64>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, user_agent, address, last_seen_at, created_at FROM sessions
         WHERE user_id = $1 AND name IS NULL AND expires_at > $2
         ORDER BY COALESCE(last_seen_at, created_at) DESC, id",
    )
    .bind(&session.user.id)
    .bind(now_ms())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, user_agent, address, seen, created)| SignInSession {
            current: id == session.id,
            device: device(user_agent.as_deref()),
            id,
            user_agent,
            address,
            last_seen_at: seen.map(rfc3339),
            created_at: rfc3339(created),
        })
        .collect())
}

/// Signs out one session of one's own (404 for anyone else's).
pub async fn end_session(db: &Db, session: &Session, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND name IS NULL")
        .bind(id)
        .bind(&session.user.id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Signs out every other session (tokens stay: they are revoked one by one).
pub async fn end_other_sessions(db: &Db, session: &Session) -> Result<u64> {
    Ok(
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND name IS NULL AND token_hash <> $2",
        )
        .bind(&session.user.id)
        .bind(&session.token_hash)
        .execute(db)
        .await?
        .rows_affected(),
    )
}

/// A personal access token, without its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessToken {
    pub id: String,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// Makes a token; returns its id and the token (shown once).
pub async fn create_token(
    db: &Db,
    session: &Session,
    name: &str,
    scope: &str,
    expires_at: Option<&str>,
) -> Result<(String, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "give the token a name of 1 to 100 printable characters",
        ));
    }
    if scope != "read" && scope != "write" {
        return Err(Error::bad_request(
            "a token's scope is \"read\" or \"write\"",
        ));
    }
    let now = now_ms();
    let expires = match expires_at.map(str::trim).filter(|e| !e.is_empty()) {
        None => NEVER_MS,
        Some(text) => parse_time(text)?,
    };
    if expires <= now {
        return Err(Error::bad_request("the expiry must be in the future"));
    }
    let (held,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND name IS NOT NULL")
            .bind(&session.user.id)
            .fetch_one(db)
            .await?;
    if held >= MAX_TOKENS {
        return Err(Error::Conflict(format!(
            "an account holds at most {MAX_TOKENS} tokens; revoke one first"
        )));
    }
    let token = random_token();
    let id = new_id();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at, id, name, scope)
         VALUES ($1, $2, 'api', $3, $4, $5, $6, $7, $8)",
    )
    .bind(hash_token(&token))
    .bind(&session.user.id)
    .bind(random_token())
    .bind(now)
    .bind(expires)
    .bind(&id)
    .bind(name)
    .bind(scope)
    .execute(db)
    .await?;
    Ok((id, token))
}

/// A time as the API takes it: an RFC 3339 time, or a date (its midnight, UTC).
pub fn parse_time(text: &str) -> Result<i64> {
    use time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            time::Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map(|d| d.midnight().assume_utc())
        })
        .map_err(|_| Error::bad_request("expires_at is a date (2027-01-31) or an RFC 3339 time"))?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

pub async fn list_tokens(db: &Db, session: &Session) -> Result<Vec<AccessToken>> {
    type Row = (String, String, String, i64, i64, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, scope, created_at, expires_at, last_seen_at FROM sessions
         WHERE user_id = $1 AND name IS NOT NULL ORDER BY created_at DESC, id",
    )
    .bind(&session.user.id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, scope, created, expires, seen)| AccessToken {
            id,
            name,
            scope,
            created_at: rfc3339(created),
            expires_at: (expires < NEVER_MS).then(|| rfc3339(expires)),
            last_used_at: seen.map(rfc3339),
        })
        .collect())
}

pub async fn revoke_token(db: &Db, session: &Session, id: &str) -> Result<()> {
    let done =
        sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND name IS NOT NULL")
            .bind(id)
            .bind(&session.user.id)
            .execute(db)
            .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// "Firefox on Linux" from a user agent, or what it is when it is not a browser.
pub fn device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.is_empty()) else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python", "Python script"),
        ("reqwest", "Script"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) => ua.chars().take(40).collect(),
    }
}
