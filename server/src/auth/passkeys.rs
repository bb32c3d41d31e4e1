//! Passkeys (WebAuthn, with webauthn-rs): registered to an account (named, listed,
//! removable), used to sign in alone (a discoverable credential names its account and
//! verifies its user), or as the second step after a password. Each ceremony's challenge
//! state waits in the database (so any server can finish it) and is used once.
//!
//! The relying party is the gallery's public address; on a gallery reached at a loopback
//! address, it is `localhost` (browsers take no IP address as a relying party).

use serde::Serialize;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::{Session, User, find_user, two_step};
use crate::db::{Db, new_id, now_ms, rfc3339};
use crate::error::{Error, Result, ResultExt};

/// How long a ceremony may take (the authenticator's own timeout is five minutes).
const CEREMONY_MS: i64 = 5 * 60_000;
/// Passkeys one account may hold.
const MAX_PASSKEYS: i64 = 20;

/// The gallery as a relying party.
pub struct Passkeys {
    webauthn: Webauthn,
    /// The origin pages must be opened at for passkeys to work.
    pub origin: String,
}

impl Passkeys {
    /// The relying party of the gallery at `base` (its public address, or this server's).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let mut url = Url::parse(base)?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "::1"));
        if loopback {
            url.set_host(Some("localhost"))?;
        }
        let rp_id = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("{base} has no host name"))?
            .to_owned();
        let webauthn = WebauthnBuilder::new(&rp_id, &url)?
            .rp_name("Gallery")
            .build()?;
        let origin = url.origin().ascii_serialization();
        Ok(Self { webauthn, origin })
    }
}

/// A passkey as its owner sees it in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

fn refused(what: &str) -> Error {
    super::refused("passkey");
    Error::Unauthorized(format!("{what} did not work; try again"))
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("{err}"))
}

fn user_uuid(user_id: &str) -> Result<Uuid> {
    Uuid::parse_str(user_id).map_err(internal)
}

async fn save_challenge(
    db: &Db,
    user_id: Option<&str>,
    kind: &str,
    state: &impl Serialize,
) -> Result<String> {
    let id = new_id();
    let now = now_ms();
    // Old ceremonies nobody finished go as new ones start.
    sqlx::query("DELETE FROM webauthn_challenges WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?;
    sqlx::query(
        "INSERT INTO webauthn_challenges (id, user_id, kind, state, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(kind)
    .bind(serde_json::to_string(state).map_err(internal)?)
    .bind(now + CEREMONY_MS)
    .execute(db)
    .await?;
    Ok(id)
}

/// Uses a ceremony's state up: only the account (or none) and kind it was started for.
async fn take_challenge<T: serde::de::DeserializeOwned>(
    db: &Db,
    id: &str,
    user_id: Option<&str>,
    kind: &str,
) -> Result<T> {
    let row: Option<(String,)> = sqlx::query_as(
        "DELETE FROM webauthn_challenges
         WHERE id = $1 AND kind = $2 AND expires_at > $3 AND COALESCE(user_id, '') = $4
         RETURNING state",
    )
    .bind(id)
    .bind(kind)
    .bind(now_ms())
    .bind(user_id.unwrap_or_default())
    .fetch_optional(db)
    .await?;
    let (state,) = row.ok_or_else(|| {
        Error::bad_request("this passkey request has expired or was already used; start again")
    })?;
    serde_json::from_str(&state).map_err(internal)
}

async fn passkeys_of(db: &Db, user_id: &str) -> Result<Vec<(String, Passkey)>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, passkey FROM passkeys WHERE user_id = $1 ORDER BY created_at")
            .bind(user_id)
            .fetch_all(db)
            .await?;
    rows.into_iter()
        .map(|(id, json)| Ok((id, serde_json::from_str(&json).map_err(internal)?)))
        .collect()
}

pub async fn list(db: &Db, user_id: &str) -> Result<Vec<PasskeyInfo>> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, created, used)| PasskeyInfo {
            id,
            name,
            created_at: rfc3339(created),
            last_used_at: used.map(rfc3339),
        })
        .collect())
}

/// Starts adding a passkey to the signed-in account: the options for the browser and the
/// ceremony's id.
pub async fn register_start(
    db: &Db,
    pk: &Passkeys,
    session: &Session,
) -> Result<(String, CreationChallengeResponse)> {
    let user = &session.user;
    let held = passkeys_of(db, &user.id).await?;
    if held.len() as i64 >= MAX_PASSKEYS {
        return Err(Error::Conflict(format!(
            "an account holds at most {MAX_PASSKEYS} passkeys; remove one first"
        )));
    }
    let exclude = held.iter().map(|(_, p)| p.cred_id().clone()).collect();
    let (options, state): (CreationChallengeResponse, PasskeyRegistration) = pk
        .webauthn
        .start_passkey_registration(
            user_uuid(&user.id)?,
            &user.email,
            &user.display_name,
            Some(exclude),
        )
        .map_err(internal)?;
    let id = save_challenge(db, Some(&user.id), "register", &state).await?;
    Ok((id, options))
}

/// Finishes adding a passkey; returns the recovery codes made now if the account had none
/// (with a passkey, signing in takes two steps; the codes are the way in without it).
pub async fn register_finish(
    db: &Db,
    pk: &Passkeys,
    session: &Session,
    challenge: &str,
    name: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<Vec<String>> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "give the passkey a name of 1 to 100 printable characters",
        ));
    }
    let user = &session.user;
    let state: PasskeyRegistration =
        take_challenge(db, challenge, Some(&user.id), "register").await?;
    let passkey = pk
        .webauthn
        .finish_passkey_registration(credential, &state)
        .map_err(|e| Error::bad_request(format!("the passkey could not be added: {e}")))?;
    sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(&user.id)
    .bind(hex::encode(passkey.cred_id()))
    .bind(name)
    .bind(serde_json::to_string(&passkey).map_err(internal)?)
    .bind(now_ms())
    .execute(db)
    .await
    .on_unique_violation(|| "this passkey is already registered".into())?;
    tracing::info!(user = %user.id, "a passkey was added");
    two_step::ensure_recovery_codes(db, &user.id).await
}

pub async fn remove(db: &Db, session: &Session, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(&session.user.id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Starts a sign-in with a passkey alone (the authenticator offers the gallery's passkeys).
pub async fn sign_in_start(db: &Db, pk: &Passkeys) -> Result<(String, RequestChallengeResponse)> {
    let (options, state): (RequestChallengeResponse, DiscoverableAuthentication) = pk
        .webauthn
        .start_discoverable_authentication()
        .map_err(internal)?;
    let id = save_challenge(db, None, "sign-in", &state).await?;
    Ok((id, options))
}

/// Finishes a sign-in with a passkey alone: the account the passkey belongs to (the user
/// handle it names must be that account's), with its user verified by the authenticator.
pub async fn sign_in_finish(
    db: &Db,
    pk: &Passkeys,
    challenge: &str,
    credential: &PublicKeyCredential,
) -> Result<User> {
    let state: DiscoverableAuthentication = take_challenge(db, challenge, None, "sign-in").await?;
    let (handle, cred_id) = pk
        .webauthn
        .identify_discoverable_authentication(credential)
        .map_err(|_| refused("the passkey"))?;
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT id, user_id, passkey FROM passkeys WHERE credential_id = $1")
            .bind(hex::encode(cred_id))
            .fetch_optional(db)
            .await?;
    let (id, user_id, json) = row.ok_or_else(|| refused("the passkey"))?;
    // A passkey of one account that names another is nobody's.
    if user_uuid(&user_id)? != handle {
        return Err(refused("the passkey"));
    }
    let mut passkey: Passkey = serde_json::from_str(&json).map_err(internal)?;
    let result = pk
        .webauthn
        .finish_discoverable_authentication_v2(credential, state, &passkey)
        .map_err(|_| refused("the passkey"))?;
    passkey.update_credential(&result);
    used(db, &id, &passkey).await?;
    find_user(db, &user_id)
        .await?
        .ok_or_else(|| refused("the passkey"))
}

/// Starts the second step with one of the account's passkeys.
pub async fn second_step_start(
    db: &Db,
    pk: &Passkeys,
    user_id: &str,
) -> Result<(String, RequestChallengeResponse)> {
    let held: Vec<Passkey> = passkeys_of(db, user_id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    if held.is_empty() {
        return Err(Error::bad_request(
            "this account has no passkey; enter a code",
        ));
    }
    let (options, state): (RequestChallengeResponse, PasskeyAuthentication) = pk
        .webauthn
        .start_passkey_authentication(&held)
        .map_err(internal)?;
    let id = save_challenge(db, Some(user_id), "second-step", &state).await?;
    Ok((id, options))
}

/// Finishes the second step: only a passkey of this account passes.
pub async fn second_step_finish(
    db: &Db,
    pk: &Passkeys,
    user_id: &str,
    challenge: &str,
    credential: &PublicKeyCredential,
) -> Result<()> {
    two_step::count_try(db, user_id).await?;
    let state: PasskeyAuthentication =
        take_challenge(db, challenge, Some(user_id), "second-step").await?;
    let result = pk
        .webauthn
        .finish_passkey_authentication(credential, &state)
        .map_err(|_| refused("the passkey"))?;
    for (id, mut passkey) in passkeys_of(db, user_id).await? {
        if passkey.cred_id() == result.cred_id() {
            passkey.update_credential(&result);
            return used(db, &id, &passkey).await;
        }
    }
    Err(refused("the passkey"))
}

async fn used(db: &Db, id: &str, passkey: &Passkey) -> Result<()> {
    sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3")
        .bind(serde_json::to_string(passkey).map_err(internal)?)
        .bind(now_ms())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
