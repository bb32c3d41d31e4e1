//! Accounts: sign-up, sign-in, sessions, CSRF and sign-in limits.

pub mod access;
pub mod csrf;
pub mod invitations;
pub mod limits;
pub mod oidc;
pub mod passkeys;
pub mod password;
pub mod recovery;
pub mod sessions;
pub mod tokens;
pub mod two_step;

use std::net::IpAddr;

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::config::{Config, SignupMode};
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result, ResultExt};
use crate::mail::Mailer;
use limits::{Rate, Subject};
pub use sessions::Session;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// `user` or `admin`.
    pub role: String,
    /// Whether the owner proved the address is theirs (a link opened, or the OpenID
    /// provider vouching for it).
    pub email_verified: bool,
    /// Whether signing in with a password takes a second step (a passkey, a TOTP code or a
    /// recovery code): on with an authenticator app or a passkey.
    pub two_factor: bool,
    #[serde(skip)]
    pub has_password: bool,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    /// The first letter of the name (of the address when the name has none), for the
    /// account menu's button.
    pub fn initial(&self) -> String {
        self.display_name
            .chars()
            .chain(self.email.chars())
            .find(|c| c.is_alphanumeric())
            .map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
    }
}

type UserRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// The columns of a [`UserRow`], in its order.
pub const USER_COLUMNS: &str = "id, email, display_name, role, password_hash, email_verified_at,
     CASE WHEN totp_secret IS NOT NULL
            OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id) THEN 'on' END";

fn user_from_row(
    (id, email, display_name, role, hash, verified, totp): UserRow,
) -> (User, Option<String>) {
    let has_password = hash.is_some();
    (
        User {
            id,
            email,
            display_name,
            role,
            email_verified: verified.is_some(),
            two_factor: totp.is_some(),
            has_password,
        },
        hash,
    )
}

/// The longest email address there can be (RFC 5321).
pub const MAX_EMAIL_LEN: usize = 254;

/// An email as sign-in and sign-up compare it: trimmed and lower-cased. Longer than any
/// address can be is refused before anything else is done with it.
pub fn sign_in_email(email: &str) -> Result<String> {
    let email = email.trim();
    if email.len() > MAX_EMAIL_LEN {
        return Err(Error::bad_request(format!(
            "an email address has at most {MAX_EMAIL_LEN} characters"
        )));
    }
    Ok(email.to_lowercase())
}

pub fn normalize_email(email: &str) -> Result<String> {
    let email = sign_in_email(email)?;
    let valid = email.len() <= MAX_EMAIL_LEN
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

/// What someone signing up gives.
pub struct SignUp<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub display_name: Option<&'a str>,
    /// The token of an invitation link (needed with `GALLERY_SIGNUP=invite`).
    pub invite: Option<&'a str>,
}

/// Creates an account; the very first account becomes the admin. Everything cheap is
/// checked before the attempt is counted against the client's address, and everything
/// the database can refuse is checked before the password is hashed.
pub async fn sign_up(
    db: &Db,
    config: &Config,
    mailer: &Mailer,
    form: SignUp<'_>,
    client: IpAddr,
) -> Result<User> {
    let invite = match config.signup {
        SignupMode::Open => None,
        SignupMode::Closed => {
            return Err(Error::Forbidden(
                "sign-up is closed on this gallery; ask its admin for an account".into(),
            ));
        }
        SignupMode::Invite => Some(
            form.invite
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    Error::Forbidden(
                    "this gallery is by invitation only; open the invitation link you were sent"
                        .into(),
                )
                })?,
        ),
    };
    let email = normalize_email(form.email)?;
    password::check_strength(form.password, &email)?;
    let display_name = clean_display_name(form.display_name, &email)?;
    limits::hit(
        db,
        Subject::SignUpAddress(client),
        Rate::per_hour(config.signup_per_ip),
    )
    .await?;
    if let Some(token) = invite {
        invitations::check(db, token).await?;
    }
    let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(db)
        .await?;
    if taken.is_some() {
        return Err(email_taken());
    }
    let hash = password::hash(form.password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let id = insert_user(&mut tx, &email, &display_name, Some(&hash))
        .await
        .on_unique_violation(|| email_taken().to_string())?;
    if let Some(token) = invite {
        invitations::take(&mut tx, token, &id).await?;
    }
    recovery::send_verification(&mut tx, mailer, &id, &email, &display_name).await?;
    tx.commit().await?;
    mailer.nudge();
    find_user(db, &id).await?.ok_or(Error::NotFound)
}

/// Makes an account; the very first of a gallery is its admin. Returns its id.
async fn insert_user(
    tx: &mut Transaction<'_, Any>,
    email: &str,
    display_name: &str,
    password_hash: Option<&str>,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
         SELECT $1, $2, $3, $4,
                CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'user' ELSE 'admin' END, $5",
    )
    .bind(&id)
    .bind(email)
    .bind(display_name)
    .bind(password_hash)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

fn email_taken() -> Error {
    Error::Conflict("an account with this email already exists; sign in instead".into())
}

pub async fn find_user(db: &Db, id: &str) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| user_from_row(r).0))
}

async fn is_disabled(db: &Db, user_id: &str) -> Result<bool> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT disabled_at FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some_and(|(d,)| d.is_some()))
}

const BAD_CREDENTIALS: &str = "wrong email or password";

/// A sign-in attempt: counted against the account and the client's address (keyed by the
/// email exactly as it is looked up, so spaces or capitals make no new budget), then checked.
pub async fn sign_in(
    db: &Db,
    config: &Config,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<User> {
    let email = sign_in_email(email)?;
    limits::hit(
        db,
        Subject::SignInAddress(client),
        Rate::per_minute(config.login_per_ip),
    )
    .await
    .inspect_err(|_| refused("rate_limited"))?;
    limits::hit(
        db,
        Subject::SignInAccount(&email),
        Rate::per_minute(config.login_per_account),
    )
    .await
    .inspect_err(|_| refused("rate_limited"))?;
    if password.chars().count() > password::MAX_LEN {
        // No password that long was ever accepted, so none can match.
        return Err(Error::Unauthorized(BAD_CREDENTIALS.into()));
    }
    let user = authenticate(db, &email, password).await?;
    require_verified(config, &user)?;
    Ok(user)
}

/// With `GALLERY_REQUIRE_VERIFIED_EMAIL`, an account signs in only once its address is
/// confirmed (whatever it signs in with).
fn require_verified(config: &Config, user: &User) -> Result<()> {
    if config.require_verified_email && !user.email_verified {
        refused("unverified");
        return Err(Error::Forbidden(format!(
            "confirm your email address first: open the link we sent to {}. \
             No link? Use \"Forgot password?\" to get one that also confirms it",
            user.email
        )));
    }
    Ok(())
}

/// Whether an account that proved itself without a password (a passkey) may sign in: not
/// disabled, and confirmed when the gallery asks for that.
pub async fn admit(db: &Db, config: &Config, user: &User) -> Result<()> {
    if is_disabled(db, &user.id).await? {
        refused("disabled");
        return Err(account_disabled());
    }
    require_verified(config, user)
}

/// Checks an email and password; the same answer for an unknown email as for a wrong
/// password. A disabled account is told so, but only once the password was right.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<User> {
    let email = sign_in_email(email)?;
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(&email)
    .fetch_optional(db)
    .await?;
    let (user, hash) = match row {
        Some(row) => {
            let (user, hash) = user_from_row(row);
            (Some(user), hash)
        }
        None => (None, None),
    };
    let disabled = match &user {
        Some(user) => is_disabled(db, &user.id).await?,
        None => false,
    };
    let ok = password::verify(password.to_owned(), hash).await;
    match user {
        Some(_) if ok && disabled => {
            refused("disabled");
            Err(account_disabled())
        }
        Some(user) if ok => Ok(user),
        _ => {
            refused("credentials");
            Err(Error::Unauthorized(BAD_CREDENTIALS.into()))
        }
    }
}

/// Counts a refused sign-in (for `/metrics`).
pub fn refused(reason: &'static str) {
    metrics::counter!("gallery_signin_refusals_total", "reason" => reason).increment(1);
}

fn account_disabled() -> Error {
    Error::Forbidden("this account has been disabled by an admin of this gallery".into())
}

/// Sets a new password after checking the current one (an account without a password,
/// made through the OpenID provider, sets its first); every other session and token ends.
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

/// The account of someone the OpenID Connect provider vouches for: the one linked to this
/// identity; else an existing account with the same email, linked now only if the provider
/// says the email is verified; else a new account made from the ID token's claims.
///
/// Linking ends every session and token the account had and drops its password: whoever
/// signed up with this email before its owner first came through the provider (to wait for
/// the link) is signed out, and cannot sign in again with the password they chose.
pub async fn sign_in_with(
    db: &Db,
    id: &oidc::Identity,
    provider: &str,
    signup: SignupMode,
) -> Result<User> {
    let linked: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2")
            .bind(&id.issuer)
            .bind(&id.subject)
            .fetch_optional(db)
            .await?;
    if let Some((user_id,)) = linked {
        if is_disabled(db, &user_id).await? {
            refused("disabled");
            return Err(account_disabled());
        }
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
        Some((user_id,)) if is_disabled(db, &user_id).await? => {
            refused("disabled");
            return Err(account_disabled());
        }
        Some((user_id,))
            if find_user(db, &user_id)
                .await?
                .is_some_and(|u| u.email_verified) =>
        {
            // The same person proved the address twice: nothing of theirs ends.
            tracing::info!(user = %user_id, %provider, "identity linked to a verified account");
            user_id
        }
        Some((user_id,)) => {
            // Nobody proved this account's address: whoever signed up with it gains
            // nothing. Its sessions, tokens and password end; the owner takes it over.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE users SET password_hash = NULL, totp_secret = NULL WHERE id = $1")
                .bind(&user_id)
                .execute(&mut *tx)
                .await?;
            tracing::info!(user = %user_id, %provider, "identity linked to an unverified account; its sessions and password were ended");
            user_id
        }
        None if signup != SignupMode::Open => {
            return Err(Error::Forbidden(format!(
                "{provider} vouched for {email}, but there is no account for it here and new \
                 accounts are by invitation only; ask an admin"
            )));
        }
        None => {
            let name = clean_display_name(id.name.as_deref(), &email)
                .unwrap_or_else(|_| email.split('@').next().unwrap_or(&email).to_owned());
            insert_user(&mut tx, &email, &name, None)
                .await
                .on_unique_violation(|| {
                    "an account with this email was just created; sign in again".into()
                })?
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
    if id.email_verified {
        sqlx::query(
            "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
        )
        .bind(now_ms())
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
        crate::access::claim(&mut *tx, &user_id).await?;
    }
    tx.commit().await?;
    find_user(db, &user_id).await?.ok_or(Error::NotFound)
}
