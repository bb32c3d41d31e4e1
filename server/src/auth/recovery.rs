//! Proving an address and getting back in: the verification link sent at sign-up, "forgot
//! password?", a change of address (confirmed at the new one, told to the old one), and an
//! admin sending someone a reset link. Every link is single-use (`tokens`).

use std::net::IpAddr;

use sqlx::{Any, Transaction};

use super::limits::{self, Rate, Subject};
use super::tokens::{self, Purpose};
use super::{Session, normalize_email, password, sign_in_email};
use crate::db::{Db, now_ms};
use crate::error::{Error, Result, ResultExt};
use crate::mail::{Letter, Mailer};

/// Letters an account may ask for itself per hour (verification links, changes of address).
const LETTERS_PER_HOUR: u32 = 5;

/// Puts the "confirm your address" letter in the outbox (within the sign-up's transaction).
pub async fn send_verification(
    tx: &mut Transaction<'_, Any>,
    mailer: &Mailer,
    user_id: &str,
    email: &str,
    name: &str,
) -> Result<()> {
    let token = tokens::issue(tx, user_id, Purpose::Verify, Some(email)).await?;
    let letter = Letter {
        subject: "Confirm your email address for Gallery".into(),
        paragraphs: vec![format!(
            "Please confirm that {email} is your address. Until you do, nothing can be shared with it."
        )],
        action: Some((
            "Confirm my address".into(),
            mailer.link(&format!("/verify-email?token={token}")),
        )),
        after: vec![
            "The link works once, for 48 hours.".into(),
            "If you did not make an account on this gallery, ignore this letter: nothing happens without the link.".into(),
        ],
    };
    mailer.send_in(tx, email, name, &letter).await
}

/// A new verification link for the signed-in account (limited per account).
pub async fn resend_verification(db: &Db, mailer: &Mailer, session: &Session) -> Result<()> {
    if session.user.email_verified {
        return Err(Error::bad_request("your address is already confirmed"));
    }
    limits::hit(
        db,
        Subject::Letters(&session.user.id),
        Rate::per_hour(LETTERS_PER_HOUR),
    )
    .await?;
    let user = &session.user;
    let mut tx = db.begin().await?;
    send_verification(&mut tx, mailer, &user.id, &user.email, &user.display_name).await?;
    tx.commit().await?;
    mailer.nudge();
    Ok(())
}

fn bad_link() -> Error {
    Error::bad_request(
        "this link has expired, was already used, or was replaced by a newer one; ask for a new one",
    )
}

/// Opens a link that proves an address: the sign-up's verification, or a change of address
/// (the account moves to the new address; the old one is told).
pub async fn verify_email(db: &Db, mailer: &Mailer, token: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    if let Some((user_id, email)) = tokens::take(&mut tx, token, Purpose::Verify).await? {
        // Only the address the link was sent to: a changed address needs its own link.
        sqlx::query(
            "UPDATE users SET email_verified_at = $1
             WHERE id = $2 AND email = $3 AND email_verified_at IS NULL",
        )
        .bind(now_ms())
        .bind(&user_id)
        .bind(email.unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        crate::access::claim(&mut *tx, &user_id).await?;
        tx.commit().await?;
        return Ok(());
    }
    let (user_id, new_email) = tokens::take(&mut tx, token, Purpose::ChangeEmail)
        .await?
        .ok_or_else(bad_link)?;
    let new_email = new_email.ok_or_else(bad_link)?;
    let (old_email, name): (String, String) =
        sqlx::query_as("SELECT email, display_name FROM users WHERE id = $1")
            .bind(&user_id)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query("UPDATE users SET email = $1, email_verified_at = $2 WHERE id = $3")
        .bind(&new_email)
        .bind(now_ms())
        .bind(&user_id)
        .execute(&mut *tx)
        .await
        .on_unique_violation(|| {
            format!("another account uses {new_email} now; this change cannot be made")
        })?;
    crate::access::claim(&mut *tx, &user_id).await?;
    let notice = Letter {
        subject: "Your Gallery account has a new email address".into(),
        paragraphs: vec![format!(
            "The address of your Gallery account was changed from {old_email} to {new_email}. \
             Sign in with the new address from now on."
        )],
        action: None,
        after: vec![
            "If you did not ask for this, someone else knows your password: ask the gallery's admin to send you a reset link.".into(),
        ],
    };
    mailer.send_in(&mut tx, &old_email, &name, &notice).await?;
    tx.commit().await?;
    mailer.nudge();
    tracing::info!(user = %user_id, "the account's address was changed");
    Ok(())
}

/// "Forgot password?": counted per client and per address, then answered at once, the same
/// way whether or not the address has an account; the lookup and the letter happen after
/// the answer, so they cannot be timed.
pub async fn forgot_password(
    db: &Db,
    mailer: &std::sync::Arc<Mailer>,
    per_hour: u32,
    email: &str,
    client: IpAddr,
) -> Result<()> {
    let email = sign_in_email(email)?;
    let rate = Rate::per_hour(per_hour);
    limits::hit(db, Subject::ForgotAddress(client), rate).await?;
    limits::hit(db, Subject::ForgotAccount(&email), rate).await?;
    let db = db.clone();
    let mailer = mailer.clone();
    tokio::spawn(async move {
        if let Err(err) = send_reset(&db, &mailer, &email).await {
            tracing::warn!(%err, "a password reset letter could not be written");
        }
    });
    Ok(())
}

/// Writes a reset letter to the account of `email`, if there is one; true if there was.
pub async fn send_reset(db: &Db, mailer: &Mailer, email: &str) -> Result<bool> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT id, display_name FROM users WHERE email = $1 AND disabled_at IS NULL",
    )
    .bind(email)
    .fetch_optional(db)
    .await?;
    let Some((user_id, name)) = row else {
        return Ok(false);
    };
    let mut tx = db.begin().await?;
    let token = tokens::issue(&mut tx, &user_id, Purpose::Reset, Some(email)).await?;
    let letter = Letter {
        subject: "Choose a new password for Gallery".into(),
        paragraphs: vec![
            "Someone (we hope you) asked to choose a new password for your Gallery account.".into(),
        ],
        action: Some((
            "Choose a new password".into(),
            mailer.link(&format!("/reset-password?token={token}")),
        )),
        after: vec![
            "The link works once, for 30 minutes. Choosing a new password signs you out everywhere.".into(),
            "If you did not ask for this, ignore this letter: your password stays as it is.".into(),
        ],
    };
    mailer.send_in(&mut tx, email, &name, &letter).await?;
    tx.commit().await?;
    mailer.nudge();
    Ok(true)
}

/// Sets a new password with a reset link: it works once, proves the address, and ends
/// every session and token of the account (and any other reset link).
pub async fn reset_password(db: &Db, token: &str, new_password: &str) -> Result<()> {
    let user_id = tokens::peek(db, token, Purpose::Reset)
        .await?
        .ok_or_else(bad_link)?;
    let (email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(db)
        .await?;
    password::check_strength(new_password, &email)?;
    let hash = password::hash(new_password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let (taken_for, sent_to) = tokens::take(&mut tx, token, Purpose::Reset)
        .await?
        .ok_or_else(bad_link)?;
    if taken_for != user_id {
        return Err(bad_link());
    }
    // The link proves the address it was sent to, if the account still has it.
    let proven = sent_to.as_deref() == Some(email.as_str());
    sqlx::query(
        "UPDATE users SET password_hash = $1,
                email_verified_at = CASE WHEN $2 = 1 AND email_verified_at IS NULL THEN $3 ELSE email_verified_at END
         WHERE id = $4",
    )
    .bind(hash)
    .bind(i64::from(proven))
    .bind(now_ms())
    .bind(&user_id)
    .execute(&mut *tx)
    .await?;
    crate::access::claim(&mut *tx, &user_id).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    tokens::end_all(&mut tx, &user_id, Purpose::SecondStep).await?;
    tx.commit().await?;
    tracing::info!(user = %user_id, "a password was reset; every session and token ended");
    Ok(())
}

/// Asks to move the account to a new address: the password again, then a link to the new
/// address (the change happens when it is opened).
pub async fn change_email(
    db: &Db,
    mailer: &Mailer,
    session: &Session,
    new_email: &str,
    current_password: &str,
) -> Result<()> {
    let user = &session.user;
    let new_email = normalize_email(new_email)?;
    if new_email == user.email {
        return Err(Error::bad_request("that is already your address"));
    }
    if user.has_password {
        super::authenticate(db, &user.email, current_password)
            .await
            .map_err(|_| Error::bad_request("the current password is wrong"))?;
    }
    limits::hit(
        db,
        Subject::Letters(&user.id),
        Rate::per_hour(LETTERS_PER_HOUR),
    )
    .await?;
    let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE email = $1")
        .bind(&new_email)
        .fetch_optional(db)
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict("another account uses this address".into()));
    }
    let mut tx = db.begin().await?;
    let token = tokens::issue(&mut tx, &user.id, Purpose::ChangeEmail, Some(&new_email)).await?;
    let letter = Letter {
        subject: "Confirm your new email address for Gallery".into(),
        paragraphs: vec![format!(
            "You asked to use {new_email} for your Gallery account instead of {}.",
            user.email
        )],
        action: Some((
            "Use this address".into(),
            mailer.link(&format!("/verify-email?token={token}")),
        )),
        after: vec![
            "The link works once, for 48 hours. Until it is opened, nothing changes.".into(),
        ],
    };
    mailer
        .send_in(&mut tx, &new_email, &user.display_name, &letter)
        .await?;
    tx.commit().await?;
    mailer.nudge();
    Ok(())
}
