//! Two-step sign-in with TOTP (RFC 6238, the codes of authenticator apps) and ten
//! single-use recovery codes. Setting up shows a secret and its QR code and takes effect
//! once a code from the app is right; each code works once (its time step is kept);
//! guesses are limited per account in the database, so every server counts the same ones.

use rand::Rng;
use totp_rs::{Builder, Secret, Totp};

use super::limits::{self, Rate, Subject};
use super::{Session, sessions::hash_token};
use crate::config::{Config, TwoFactorRule};
use crate::db::{Db, now_ms};
use crate::error::{Error, Result};

/// Codes tried per account per hour (a burst of this many, then one every three minutes).
const GUESSES_PER_HOUR: u32 = 20;
const RECOVERY_CODES: usize = 10;

/// The codes of a secret: SHA-1, six digits, 30-second steps, one step of drift either way
/// (what every authenticator app does).
fn totp(secret_base32: &str, email: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_base32).map_err(|e| {
        Error::Internal(anyhow::anyhow!("a stored TOTP secret is not base32: {e:?}"))
    })?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(email.replace(':', "_"))
        .with_issuer(Some("Gallery"))
        .build()
        .map_err(|e| Error::Internal(anyhow::anyhow!("cannot make a TOTP: {e:?}")))
}

/// What the page shows while two-step sign-in is being set up.
pub struct Setup {
    /// The secret, in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://` address the QR code carries.
    pub url: String,
    /// The QR code, as SVG.
    pub qr_svg: String,
}

/// Starts setting up (or starts again): a new secret, kept aside until a code confirms it.
pub async fn begin(db: &Db, session: &Session) -> Result<Setup> {
    if has_app(db, &session.user.id).await? {
        return Err(Error::Conflict(
            "an authenticator app is already set up; turn it off first to set it up again".into(),
        ));
    }
    let secret = Secret::generate().to_base32();
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(&secret)
        .bind(&session.user.id)
        .execute(db)
        .await?;
    setup_of(&secret, &session.user.email)
}

fn setup_of(secret: &str, email: &str) -> Result<Setup> {
    let url = totp(secret, email)?
        .to_url()
        .map_err(|e| Error::Internal(anyhow::anyhow!("cannot make the otpauth address: {e:?}")))?;
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| Error::Internal(anyhow::anyhow!("cannot make a QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Setup {
        secret: secret.to_owned(),
        url,
        qr_svg,
    })
}

/// Confirms the setup with a code from the app: two-step sign-in is on from now, and the
/// ten recovery codes (shown once) are returned.
pub async fn confirm(db: &Db, session: &Session, code: &str) -> Result<Vec<String>> {
    let user = &session.user;
    limits::hit(
        db,
        Subject::SecondStep(&user.id),
        Rate::per_hour(GUESSES_PER_HOUR),
    )
    .await?;
    let (pending,): (Option<String>,) =
        sqlx::query_as("SELECT totp_pending FROM users WHERE id = $1")
            .bind(&user.id)
            .fetch_one(db)
            .await?;
    let pending = pending.ok_or_else(|| {
        Error::bad_request("start setting up two-step sign-in first; the secret has changed")
    })?;
    let step = matching_step(&totp(&pending, &user.email)?, code).ok_or_else(wrong_code)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1
         WHERE id = $2 AND totp_pending = $3",
    )
    .bind(step)
    .bind(&user.id)
    .bind(&pending)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(Error::Conflict(
            "two-step sign-in was set up elsewhere meanwhile".into(),
        ));
    }
    store_recovery_codes(&mut tx, &user.id, &codes).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Replaces an account's recovery codes with `codes` (kept hashed).
async fn store_recovery_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    codes: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for code in codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(hash_token(&normal_recovery(code)))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Makes ten recovery codes for an account that has none (its first passkey); returns them
/// to be shown once, or nothing when it had some.
pub async fn ensure_recovery_codes(db: &Db, user_id: &str) -> Result<Vec<String>> {
    if recovery_codes_left(db, user_id).await? > 0 {
        return Ok(Vec::new());
    }
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let mut tx = db.begin().await?;
    store_recovery_codes(&mut tx, user_id, &codes).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns the authenticator app's codes off (the password again, when the account has one).
/// With passkeys left, signing in still takes two steps, and the recovery codes stay.
pub async fn turn_off(db: &Db, session: &Session, password: &str) -> Result<()> {
    if session.user.has_password {
        super::authenticate(db, &session.user.email, password)
            .await
            .map_err(|_| Error::bad_request("the password is wrong"))?;
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1",
    )
    .bind(&session.user.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1
           AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)",
    )
    .bind(&session.user.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the account uses an authenticator app (not only passkeys).
pub async fn has_app(db: &Db, user_id: &str) -> Result<bool> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    Ok(row.is_some_and(|(s,)| s.is_some()))
}

/// Counts one try of a sign-in's second step (a code or a passkey) against the account's
/// budget, or refuses it (429) once the budget is spent.
pub async fn count_try(db: &Db, user_id: &str) -> Result<()> {
    limits::hit(
        db,
        Subject::SecondStep(user_id),
        Rate::per_hour(GUESSES_PER_HOUR),
    )
    .await
    .inspect_err(|_| super::refused("rate_limited"))
}

/// The second step of a sign-in: a TOTP code (once per time step) or an unused recovery
/// code (used up now). Every try counts against the account's budget first.
pub async fn check(db: &Db, user_id: &str, code: &str) -> Result<()> {
    count_try(db, user_id).await?;
    let code = code.trim();
    if code.len() > 64 {
        return Err(wrong_code());
    }
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT email, totp_secret FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(db)
                .await?;
        let Some((email, Some(secret))) = row else {
            return Err(wrong_code());
        };
        let step = matching_step(&totp(&secret, &email)?, &digits).ok_or_else(wrong_code)?;
        // A code works once: the step must be newer than the last one used.
        let used = sqlx::query(
            "UPDATE users SET totp_last_step = $1
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(db)
        .await?;
        return if used.rows_affected() == 1 {
            Ok(())
        } else {
            Err(wrong_code())
        };
    }
    let used = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
        .bind(user_id)
        .bind(hash_token(&normal_recovery(code)))
        .execute(db)
        .await?;
    if used.rows_affected() == 1 {
        tracing::info!(user = %user_id, "a recovery code was used");
        Ok(())
    } else {
        super::refused("second_step");
        Err(wrong_code())
    }
}

/// Recovery codes the account has left.
pub async fn recovery_codes_left(db: &Db, user_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await?;
    Ok(n)
}

/// Whether the gallery's rule asks this account for two-step sign-in it has not set up.
pub fn must_set_up(config: &Config, session: &Session) -> bool {
    let required = match config.require_2fa {
        TwoFactorRule::Off => false,
        TwoFactorRule::Admins => session.user.is_admin(),
        TwoFactorRule::All => true,
    };
    required && !session.user.two_factor
}

fn wrong_code() -> Error {
    Error::Unauthorized("that code is not right (or was already used); try the newest one".into())
}

/// The time step whose code this is (the one before and after count too: clocks drift).
fn matching_step(totp: &Totp, code: &str) -> Option<i64> {
    let now = u64::try_from(now_ms() / 1000).ok()?;
    totp.check(code.trim(), now)
        .and_then(|s| i64::try_from(s).ok())
}

/// Ten lower-case letters and digits in two groups, "abcde-fghij" (about 52 bits).
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normal_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
