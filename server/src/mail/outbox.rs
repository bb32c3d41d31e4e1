//! The outbox's sender: claims one letter at a time with a lease (so that two servers never
//! send the same letter, and a letter whose sender died is sent by another), sends it, and
//! on failure tries again later, waiting longer each time, for about a day.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::MultiPart;
use lettre::{AsyncTransport, Message};

use super::Mailer;
use crate::db::{Db, now_ms};

/// How long a sender holds a letter before another may take it.
const LEASE_MS: i64 = 120_000;
/// The first retry's wait; each next one waits twice as long, up to [`MAX_WAIT_MS`].
const FIRST_WAIT_MS: i64 = 2_000;
const MAX_WAIT_MS: i64 = 600_000;
/// Attempts before a letter is given up (kept, marked failed, for the admins).
const MAX_ATTEMPTS: i64 = 150;
/// How often an idle sender looks for letters another server wrote.
const POLL: Duration = Duration::from_secs(1);

type Claimed = (String, String, String, String, String, i64);

/// Sends letters until the server stops.
pub async fn run(mailer: Arc<Mailer>, db: Db) {
    loop {
        match claim(&db).await {
            Ok(Some(letter)) => deliver(&mailer, &db, letter).await,
            Ok(None) => {
                let _ = tokio::time::timeout(POLL, mailer.wake.notified()).await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot read the mail outbox");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// Sends what is due now, then returns (the command line's letters).
pub async fn send_due(mailer: &Mailer, db: &Db) {
    while let Ok(Some(letter)) = claim(db).await {
        deliver(mailer, db, letter).await;
    }
}

async fn claim(db: &Db) -> crate::error::Result<Option<Claimed>> {
    let now = now_ms();
    Ok(sqlx::query_as(
        "UPDATE mail_outbox SET lease_until = $1, attempts = attempts + 1
         WHERE id = (SELECT id FROM mail_outbox
                     WHERE failed_at IS NULL AND run_after <= $2
                       AND (lease_until IS NULL OR lease_until < $2)
                     ORDER BY run_after LIMIT 1)
           AND (lease_until IS NULL OR lease_until < $2)
         RETURNING id, recipient, subject, text_body, html_body, attempts",
    )
    .bind(now + LEASE_MS)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

async fn deliver(mailer: &Mailer, db: &Db, (id, to, subject, text, html, attempts): Claimed) {
    let outcome = match &mailer.transport {
        None => {
            tracing::warn!(
                target: "gallery::mail",
                "MAIL NOT SENT (no GALLERY_SMTP_URL is set), written here instead.\n\
                 To: {to}\nSubject: {subject}\n\n{text}"
            );
            Ok(())
        }
        Some(transport) => match letter(mailer, &to, &subject, text, html) {
            Ok(message) => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            // An address the mail library cannot take will never be sent: give up now.
            Err(err) => {
                give_up(db, &id, &err).await;
                return;
            }
        },
    };
    let done = match outcome {
        Ok(()) => sqlx::query("DELETE FROM mail_outbox WHERE id = $1")
            .bind(&id)
            .execute(db)
            .await
            .map(drop),
        Err(err) if attempts >= MAX_ATTEMPTS => {
            give_up(db, &id, &err).await;
            Ok(())
        }
        Err(err) => {
            let wait = FIRST_WAIT_MS
                .saturating_mul(1 << attempts.clamp(0, 20))
                .min(MAX_WAIT_MS);
            tracing::warn!(%err, attempts, retry_in_ms = wait, "a letter could not be sent; it will be tried again");
            sqlx::query(
                "UPDATE mail_outbox SET lease_until = NULL, run_after = $1, last_error = $2 WHERE id = $3",
            )
            .bind(now_ms() + wait)
            .bind(err.chars().take(500).collect::<String>())
            .bind(&id)
            .execute(db)
            .await
            .map(drop)
        }
    };
    if let Err(err) = done {
        tracing::warn!(%err, "cannot record how sending a letter went");
    }
}

fn letter(
    mailer: &Mailer,
    to: &str,
    subject: &str,
    text: String,
    html: String,
) -> Result<Message, String> {
    Message::builder()
        .from(mailer.from.clone())
        .to(to.parse().map_err(|e| format!("not an address: {e}"))?)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())
}

async fn give_up(db: &Db, id: &str, err: &str) {
    tracing::error!(%err, "a letter could not be sent and was given up");
    metrics::counter!("gallery_mail_given_up_total").increment(1);
    let _ = sqlx::query(
        "UPDATE mail_outbox SET failed_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3",
    )
    .bind(now_ms())
    .bind(err.chars().take(500).collect::<String>())
    .bind(id)
    .execute(db)
    .await;
}
