//! Sign-in with an OpenID Connect provider (`GALLERY_OIDC_ISSUER`, `_CLIENT_ID`,
//! `_CLIENT_SECRET`): discovery, the authorization code flow with PKCE, `state` and `nonce`,
//! and the ID token verified by the `openidconnect` crate (issuer, audience, expiry,
//! signature). A sign-in in progress is a row keyed by the hash of its `state`, used once,
//! so any server behind the load balancer can finish it and a replayed callback cannot.

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata,
    RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::sessions::{hash_token, random_token};
use crate::config::Config;
use crate::db::{Db, now_ms};
use crate::error::{Error, Result};

/// How long a started sign-in may take at the provider.
const PENDING_MS: i64 = 10 * 60 * 1000;
/// How long the provider's discovery document is kept.
const METADATA_TTL: Duration = Duration::from_secs(300);

/// Forgets sign-ins started but never finished (housekeeping).
pub async fn purge_expired(db: &Db) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM oidc_logins WHERE created_at < $1")
        .bind(now_ms() - PENDING_MS)
        .execute(db)
        .await?
        .rows_affected())
}

/// The one discovery field the core metadata lacks: where to sign out at the provider.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LogoutMetadata {
    end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// What the provider vouches for about the person signing in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    /// The name on the sign-in button.
    pub name: String,
    http: openidconnect::reqwest::Client,
    metadata: RwLock<Option<(Metadata, Instant)>>,
}

fn unreachable_provider(err: impl std::fmt::Display) -> Error {
    tracing::warn!(%err, "the OpenID Connect provider cannot be reached");
    Error::Unavailable(
        "the sign-in provider cannot be reached right now; try again later, or sign in with your password".into(),
    )
}

fn refused(reason: impl std::fmt::Display) -> Error {
    tracing::warn!(%reason, "OpenID Connect sign-in refused");
    Error::Unauthorized(format!(
        "the sign-in could not be verified ({reason}); please start again"
    ))
}

impl Oidc {
    /// The provider of the configuration, if one is set; `base` is where the gallery is
    /// reached (the callback is `{base}/auth/callback`).
    pub fn from_config(config: &Config, base: &str) -> anyhow::Result<Option<Self>> {
        let Some(issuer) = config.oidc_issuer.as_deref().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let client_id = config.oidc_client_id.clone().ok_or_else(|| {
            anyhow::anyhow!("GALLERY_OIDC_ISSUER is set but GALLERY_OIDC_CLIENT_ID is not")
        })?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider point the server anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Some(Self {
            issuer: IssuerUrl::new(issuer.trim_end_matches('/').to_owned())?,
            client_id: ClientId::new(client_id),
            client_secret: config.oidc_client_secret.clone().map(ClientSecret::new),
            redirect: RedirectUrl::new(format!("{}/auth/callback", base.trim_end_matches('/')))?,
            name: config
                .oidc_name
                .clone()
                .unwrap_or_else(|| "single sign-on".to_owned()),
            http,
            metadata: RwLock::new(None),
        }))
    }

    async fn metadata(&self) -> Result<Metadata> {
        if let Some((metadata, at)) = &*self.metadata.read().await
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = Metadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(unreachable_provider)?;
        *self.metadata.write().await = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    /// Starts a sign-in: the provider's authorization URL, and the `state` the browser must
    /// bring back (kept in a cookie as well, so that one browser cannot finish another's).
    pub async fn start(&self, db: &Db) -> Result<(String, String)> {
        let client = CoreClient::from_provider_metadata(
            self.metadata().await?,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                || CsrfToken::new(random_token()),
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        sqlx::query(
            "INSERT INTO oidc_logins (state_hash, verifier, nonce, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash_token(state.secret()))
        .bind(verifier.secret())
        .bind(nonce.secret())
        .bind(now_ms())
        .execute(db)
        .await?;
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in: takes the pending row of `state` (once), trades the code for
    /// tokens with the PKCE verifier and verifies the ID token and its nonce.
    pub async fn finish(&self, db: &Db, state: &str, code: &str) -> Result<Identity> {
        let invalid = || {
            Error::bad_request(
                "this sign-in link is invalid, expired or already used; please start again",
            )
        };
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING verifier, nonce, created_at",
        )
        .bind(hash_token(state))
        .fetch_optional(db)
        .await?;
        let Some((verifier, nonce, created_at)) = row else {
            return Err(invalid());
        };
        if now_ms() - created_at > PENDING_MS {
            return Err(invalid());
        }
        let client = CoreClient::from_provider_metadata(
            self.metadata().await?,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(refused)?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                openidconnect::RequestTokenError::Request(e) => unreachable_provider(e),
                other => refused(format!("the provider refused the sign-in code: {other}")),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| refused("the provider sent no ID token"))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce))
            .map_err(refused)?;
        Ok(Identity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
        })
    }

    /// Where to end the session at the provider too, when it says.
    pub async fn end_session_url(&self) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut url = openidconnect::url::Url::parse(&endpoint).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", self.client_id.as_str());
        Some(url.to_string())
    }
}
