//! The gallery's mail: letters rendered from templates (plain text and HTML), written to
//! the outbox in the database, and sent from there by every server's sender with retries
//! (`outbox`). Without `GALLERY_SMTP_URL` the sender writes each letter to the log instead,
//! marked so that a self-hoster can act on it.
//!
//! Links in letters are built only from the gallery's public address (`GALLERY_PUBLIC_URL`,
//! else this server's own), never from a request's `Host`.

pub mod outbox;

use std::sync::OnceLock;
use std::time::Duration;

use askama::Template;
use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sqlx::{Any, Transaction};
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::{new_id, now_ms};
use crate::error::Result;

/// The TLS of `url` (implicit with `smtps://`, STARTTLS with `?tls=required`) trusting the
/// CA in the PEM file `ca` too; None for a plain connection, which has no certificate.
fn tls_trusting(url: &str, ca: &std::path::Path) -> anyhow::Result<Option<Tls>> {
    let parsed = url::Url::parse(url)?;
    let host = parsed
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("GALLERY_SMTP_URL has no host"))?
        .to_owned();
    let pem = std::fs::read(ca)
        .map_err(|e| anyhow::anyhow!("cannot read GALLERY_SMTP_CA_FILE {}: {e}", ca.display()))?;
    let cert = Certificate::from_pem(&pem)
        .map_err(|e| anyhow::anyhow!("GALLERY_SMTP_CA_FILE is not a PEM certificate: {e}"))?;
    let params = TlsParameters::builder(host)
        .add_root_certificate(cert)
        .build_rustls()?;
    let starttls = parsed
        .query_pairs()
        .any(|(k, v)| k == "tls" && v == "required");
    Ok(match parsed.scheme() {
        "smtps" => Some(Tls::Wrapper(params)),
        _ if starttls => Some(Tls::Required(params)),
        _ => None,
    })
}

/// A letter: a subject, paragraphs, and at most one button with its link.
#[derive(Debug, Clone)]
pub struct Letter {
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// The button's words and the link it opens (also written out in full).
    pub action: Option<(String, String)>,
    /// What follows the button (why the letter came, what to do if it was not you).
    pub after: Vec<String>,
}

#[derive(Template)]
#[template(path = "mail/letter.txt", escape = "none")]
struct Text<'a> {
    letter: &'a Letter,
    name: &'a str,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct Html<'a> {
    letter: &'a Letter,
    name: &'a str,
}

/// How the gallery sends mail, and where its links point.
pub struct Mailer {
    pub(crate) transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    pub(crate) from: Mailbox,
    base: OnceLock<String>,
    pub(crate) wake: Notify,
}

/// The longest a mail server may take over one letter before the attempt counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| {
            anyhow::anyhow!(
                "GALLERY_MAIL_FROM {:?} is not an address: {e}",
                config.mail_from
            )
        })?;
        let transport = match config.smtp_url.as_deref().map(str::trim) {
            // "off" too: a deployment's placeholder until the operator puts the address.
            Some(url) if !url.is_empty() && url != "off" => {
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "GALLERY_SMTP_URL is not a mail server's address \
                             (smtp://HOST:PORT, smtp://HOST:PORT?tls=required or smtps://HOST:PORT): {e}"
                        )
                    })?
                    .timeout(Some(SEND_TIMEOUT));
                if let Some(ca) = &config.smtp_ca_file
                    && let Some(tls) = tls_trusting(url, ca)?
                {
                    builder = builder.tls(tls);
                }
                Some(builder.build())
            }
            _ => None,
        };
        let base = OnceLock::new();
        if let Some(url) = &config.public_url {
            let _ = base.set(url.trim_end_matches('/').to_owned());
        }
        Ok(Self {
            transport,
            from,
            base,
            wake: Notify::new(),
        })
    }

    /// Where the gallery is reached, once the server knows its address (the public URL
    /// wins when it is set).
    pub fn set_base(&self, base: &str) {
        let _ = self.base.set(base.trim_end_matches('/').to_owned());
    }

    /// A link into the gallery: its public address and `path` (which starts with `/`).
    pub fn link(&self, path: &str) -> String {
        let base = self
            .base
            .get()
            .map_or("http://localhost:8080", String::as_str);
        format!("{base}{path}")
    }

    /// Puts a letter in the outbox within a transaction: the letter goes if and only if the
    /// change does.
    /// Call [`Mailer::nudge`] after the commit.
    pub async fn send_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        to: &str,
        name: &str,
        letter: &Letter,
    ) -> Result<()> {
        let text = Text { letter, name }
            .render()
            .map_err(|e| crate::error::Error::Internal(e.into()))?;
        let html = Html { letter, name }
            .render()
            .map_err(|e| crate::error::Error::Internal(e.into()))?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO mail_outbox (id, recipient, subject, text_body, html_body, run_after, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(new_id())
        .bind(to)
        .bind(&letter.subject)
        .bind(text)
        .bind(html)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Wakes this server's sender (after a transaction with letters committed).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
}
