//! Accounts: sign-up, sign-in, sessions, CSRF and sign-in limits.

pub mod csrf;
pub mod limits;
pub mod oidc;
pub mod password;
pub mod sessions;

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use serde::Serialize;

use crate::app::AppState;
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result, ResultExt};
pub use sessions::Session;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    #[serde(skip)]
    pub has_password: bool,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

type UserRow = (String, String, String, String, Option<String>);

fn user_from_row((id, email, display_name, role, hash): UserRow) -> (User, Option<String>) {
    let has_password = hash.is_some();
    (
        User {
            id,
            email,
            display_name,
            role,
            has_password,
        },
        hash,
    )
}

pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(Error::bad_request(
            "enter a valid email address, like name@example.com",
        ))
    }
}

fn clean_display_name(name: Option<&str>, email: &str) -> Result<String> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(email));
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "the display name must be at most 100 printable characters",
        ));
    }
    Ok(name.to_owned())
}

/// Creates an account; the very first account becomes the admin.
pub async fn sign_up(
    db: &Db,
    email: &str,
    password: &str,
    display_name: Option<&str>,
) -> Result<User> {
    let email = normalize_email(email)?;
    password::check_strength(password, &email)?;
    let display_name = clean_display_name(display_name, &email)?;
    let hash = password::hash(password.to_owned()).await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
         SELECT $1, $2, $3, $4,
                CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'user' ELSE 'admin' END, $5",
    )
    .bind(&id)
    .bind(&email)
    .bind(&display_name)
    .bind(&hash)
    .bind(now_ms())
    .execute(db)
    .await
    .on_unique_violation(|| "an account with this email already exists; sign in instead".into())?;
    find_user(db, &id).await?.ok_or(Error::NotFound)
}

pub async fn find_user(db: &Db, id: &str) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, password_hash FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| user_from_row(r).0))
}

const BAD_CREDENTIALS: &str = "wrong email or password";

/// Checks an email and password; the same answer for an unknown email as for a wrong password.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, password_hash FROM users WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(db)
    .await?;
    let (user, hash) = match row.map(user_from_row) {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let ok = password::verify(password.to_owned(), hash).await;
    match user {
        Some(user) if ok => Ok(user),
        _ => Err(Error::Unauthorized(BAD_CREDENTIALS.into())),
    }
}

pub async fn change_password(db: &Db, session: &Session, current: &str, new: &str) -> Result<()> {
    if session.user.has_password {
        authenticate(db, &session.user.email, current)
            .await
            .map_err(|_| Error::bad_request("the current password is wrong"))?;
    }
    password::check_strength(new, &session.user.email)?;
    let hash = password::hash(new.to_owned()).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(&session.user.id)
        .execute(db)
        .await?;
    sessions::end_others(db, &session.user.id, &session.token_hash).await
}

/// Gives an existing account the admin role (`gallery admin promote EMAIL`).
pub async fn promote(db: &Db, email: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    let done = sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1")
        .bind(&email)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::bad_request(format!(
            "no account has the email {email}"
        )));
    }
    let id: (String,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(db)
        .await?;
    find_user(db, &id.0).await?.ok_or(Error::NotFound)
}

/// The signed-in caller of the JSON API, from `Authorization: Bearer TOKEN`.
pub struct ApiUser(pub Session);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::Unauthorized("sign in first: send Authorization: Bearer TOKEN".into())
            })?;
        let session = sessions::find(&state.db, token, sessions::Kind::Api)
            .await?
            .ok_or_else(|| {
                Error::Unauthorized("the token is invalid or has expired; sign in again".into())
            })?;
        Ok(Self(session))
    }
}

/// The signed-in browser session, found by the session middleware.
#[derive(Clone)]
pub struct WebSession(pub Session);

impl<S: Send + Sync> OptionalFromRequestParts<S> for WebSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<WebSession>().cloned())
    }
}

/// The account of someone the OpenID Connect provider vouches for: the one linked to this
/// identity; else an existing account with the same email, linked now only if the provider
/// says the email is verified; else a new account made from the ID token's claims.
pub async fn sign_in_with(db: &Db, id: &oidc::Identity, provider: &str) -> Result<User> {
    let linked: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2")
            .bind(&id.issuer)
            .bind(&id.subject)
            .fetch_optional(db)
            .await?;
    if let Some((user_id,)) = linked {
        return find_user(db, &user_id).await?.ok_or(Error::NotFound);
    }
    let email = id.email.as_deref().ok_or_else(|| {
        Error::bad_request(format!(
            "{provider} did not share an email address, which an account here needs"
        ))
    })?;
    let email = normalize_email(email)?;
    let existing: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(db)
        .await?;
    let mut tx = db.begin().await?;
    let user_id = match existing {
        Some(_) if !id.email_verified => {
            return Err(Error::Conflict(format!(
                "an account for {email} already exists here, but {provider} has not verified that this address is yours, \
                 so the two were not linked. Sign in with your password, or verify the address with {provider} and try again"
            )));
        }
        Some((user_id,)) => user_id,
        None => {
            let user_id = new_id();
            let name = clean_display_name(id.name.as_deref(), &email)
                .unwrap_or_else(|_| email.split('@').next().unwrap_or(&email).to_owned());
            sqlx::query(
                "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
                 SELECT $1, $2, $3, NULL,
                        CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'user' ELSE 'admin' END, $4",
            )
            .bind(&user_id)
            .bind(&email)
            .bind(&name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .on_unique_violation(|| {
                "an account with this email was just created; sign in again".into()
            })?;
            user_id
        }
    };
    sqlx::query(
        "INSERT INTO identities (issuer, subject, user_id, email, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id.issuer)
    .bind(&id.subject)
    .bind(&user_id)
    .bind(&email)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .on_unique_violation(|| "this identity was just linked; sign in again".into())?;
    tx.commit().await?;
    find_user(db, &user_id).await?.ok_or(Error::NotFound)
}
