//! Attempt limits kept in the database, so that every server counts the same attempts:
//! sign-ins per account and per client address, sign-ups and sign-in starts per address.
//! Each key holds one number, the GCRA's "theoretical arrival time", moved forward by one
//! statement that either counts the attempt or leaves the key alone.

use std::net::IpAddr;

use crate::db::{Db, now_ms};
use crate::error::{Error, Result};
use crate::net;

/// `per` attempts every `period_ms`, all of them at once if they come in a burst.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per: u32,
    pub period_ms: i64,
}

impl Rate {
    pub fn per_minute(n: u32) -> Self {
        Self {
            per: n.max(1),
            period_ms: 60_000,
        }
    }

    pub fn per_hour(n: u32) -> Self {
        Self {
            per: n.max(1),
            period_ms: 3_600_000,
        }
    }

    fn interval_ms(self) -> i64 {
        (self.period_ms / i64::from(self.per)).max(1)
    }
}

/// What is being limited; the key names the kind and the subject.
#[derive(Debug, Clone)]
pub enum Subject<'a> {
    SignInAccount(&'a str),
    SignInAddress(IpAddr),
    SignUpAddress(IpAddr),
    ProviderStartAddress(IpAddr),
    /// Voice commands recognised on the server, per account.
    Transcription(&'a str),
    /// Photos classified by every model at once (the viewer's comparison), per account.
    Comparison(&'a str),
    /// "Forgot password?" per client address, and per address asked about.
    ForgotAddress(IpAddr),
    ForgotAccount(&'a str),
    /// Letters an account asks for (a new verification link, a change of address).
    Letters(&'a str),
    /// Second steps of a sign-in (TOTP and recovery codes), per account.
    SecondStep(&'a str),
    /// Shares and links an account makes (each share may send a letter).
    Sharing(&'a str),
    /// Link tokens that open nothing, per client address.
    LinkGuess(IpAddr),
    /// A link's password, per link and per client address.
    LinkPassword(&'a str),
    LinkPasswordAddress(IpAddr),
}

impl Subject<'_> {
    fn key(&self) -> String {
        match self {
            Self::SignInAccount(email) => format!("signin:{email}"),
            Self::SignInAddress(ip) => format!("signin-ip:{}", net::network(*ip)),
            Self::SignUpAddress(ip) => format!("signup-ip:{}", net::network(*ip)),
            Self::ProviderStartAddress(ip) => format!("oidc-ip:{}", net::network(*ip)),
            Self::Transcription(user) => format!("speech:{user}"),
            Self::Comparison(user) => format!("compare:{user}"),
            Self::ForgotAddress(ip) => format!("forgot-ip:{}", net::network(*ip)),
            Self::ForgotAccount(email) => format!("forgot:{email}"),
            Self::Letters(user) => format!("letters:{user}"),
            Self::SecondStep(user) => format!("second-step:{user}"),
            Self::Sharing(user) => format!("sharing:{user}"),
            Self::LinkGuess(ip) => format!("link-guess-ip:{}", net::network(*ip)),
            Self::LinkPassword(link) => format!("link-password:{link}"),
            Self::LinkPasswordAddress(ip) => format!("link-password-ip:{}", net::network(*ip)),
        }
    }

    fn refusal(&self, wait_secs: u64) -> Error {
        let message = match self {
            Self::SignInAccount(_) | Self::SignInAddress(_) => {
                format!("too many sign-in attempts; try again in {wait_secs} seconds")
            }
            Self::SignUpAddress(_) => format!(
                "too many accounts were created from your network; try again in {} minutes",
                wait_secs.div_ceil(60)
            ),
            Self::ProviderStartAddress(_) => {
                format!("too many sign-ins were started; try again in {wait_secs} seconds")
            }
            Self::Transcription(_) => {
                format!("too many voice commands at once; try again in {wait_secs} seconds")
            }
            Self::Comparison(_) => {
                format!("too many comparisons at once; try again in {wait_secs} seconds")
            }
            Self::ForgotAddress(_) | Self::ForgotAccount(_) => format!(
                "too many password resets were asked for; try again in {} minutes",
                wait_secs.div_ceil(60)
            ),
            Self::Letters(_) => format!(
                "too many letters were asked for; try again in {} minutes",
                wait_secs.div_ceil(60)
            ),
            Self::SecondStep(_) => {
                format!("too many wrong codes; try again in {wait_secs} seconds")
            }
            Self::LinkGuess(_) => {
                format!("too many links that do not exist; try again in {wait_secs} seconds")
            }
            Self::LinkPassword(_) | Self::LinkPasswordAddress(_) => {
                format!("too many wrong passwords; try again in {wait_secs} seconds")
            }
            Self::Sharing(_) => format!(
                "too many shares and links were made; try again in {} minutes",
                wait_secs.div_ceil(60)
            ),
        };
        Error::TooManyRequests {
            message,
            retry_after_secs: wait_secs,
        }
    }
}

/// The attempt counts if `max(tat, now) + interval` stays within one period of now; then
/// that is the key's new arrival time. Otherwise nothing changes and no row comes back.
const HIT: &str = "INSERT INTO rate_limits (key, tat) VALUES ($1, $2 + $3)
    ON CONFLICT (key) DO UPDATE
       SET tat = (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3
     WHERE (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3 - $2 <= $4
    RETURNING tat";

/// Counts one attempt, or refuses it (429 with `Retry-After`) once the budget is spent.
pub async fn hit(db: &Db, subject: Subject<'_>, rate: Rate) -> Result<()> {
    let key = subject.key();
    let now = now_ms();
    let counted: Option<(i64,)> = sqlx::query_as(HIT)
        .bind(&key)
        .bind(now)
        .bind(rate.interval_ms())
        .bind(rate.period_ms)
        .fetch_optional(db)
        .await?;
    if counted.is_some() {
        return Ok(());
    }
    let (tat,): (i64,) = sqlx::query_as("SELECT tat FROM rate_limits WHERE key = $1")
        .bind(&key)
        .fetch_optional(db)
        .await?
        .unwrap_or((now,));
    let wait_ms = tat.max(now) + rate.interval_ms() - rate.period_ms - now;
    Err(subject.refusal((wait_ms.max(0) as u64).div_ceil(1000).max(1)))
}

/// Forgets keys whose every attempt has aged out (housekeeping).
pub async fn purge_stale(db: &Db) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM rate_limits WHERE tat < $1")
        .bind(now_ms())
        .execute(db)
        .await?
        .rows_affected())
}
