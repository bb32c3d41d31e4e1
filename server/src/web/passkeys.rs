//! Passkeys in the pages: adding one on the account page and removing it, and signing in
//! with a passkey alone from the sign-in page. The page's script (`static/passkeys.js`)
//! talks to the authenticator; these routes hold the ceremonies' other half.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    CreationChallengeResponse, RegisterPublicKeyCredential, RequestChallengeResponse,
};

use super::account::{Gallery, Origin, start_web_session};
use super::frame::{ScriptSession, SignedIn};
use super::second_step::{Assertion, Ceremony};
use crate::api::ApiJson;
use crate::auth;
use crate::auth::limits::{self, Rate, Subject};
use crate::auth::passkeys::{self, Passkeys};
use crate::error::Result;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/passkeys/start", post(register_start))
        .route("/account/passkeys/finish", post(register_finish))
        .route("/account/passkeys/{id}/remove", post(remove))
        .route("/account/delete/passkey/start", post(leave_start))
        .route("/account/delete/passkey/finish", post(leave_finish))
        .route("/login/passkey/start", post(sign_in_start))
        .route("/login/passkey/finish", post(sign_in_finish))
}

fn relying_party(g: &Gallery) -> Result<&Passkeys> {
    super::second_step::relying_party(&g.passkeys)
}

async fn register_start(
    State(g): State<Gallery>,
    ScriptSession(session): ScriptSession,
) -> Result<Json<Ceremony<CreationChallengeResponse>>> {
    let (challenge, options) =
        passkeys::register_start(&g.db, relying_party(&g)?, &session).await?;
    Ok(Json(Ceremony { challenge, options }))
}

#[derive(Deserialize)]
struct Registration {
    challenge: String,
    name: String,
    credential: RegisterPublicKeyCredential,
}

#[derive(Serialize)]
struct Registered {
    /// Recovery codes made now (the account's first way of two-step sign-in), shown once.
    recovery_codes: Vec<String>,
}

async fn register_finish(
    State(g): State<Gallery>,
    ScriptSession(session): ScriptSession,
    ApiJson(body): ApiJson<Registration>,
) -> Result<Json<Registered>> {
    let pk = relying_party(&g)?;
    let recovery_codes = passkeys::register_finish(
        &g.db,
        pk,
        &session,
        &body.challenge,
        &body.name,
        &body.credential,
    )
    .await?;
    Ok(Json(Registered { recovery_codes }))
}

async fn remove(
    State(a): State<super::security::Account>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> super::frame::PageResult {
    let done = passkeys::remove(&a.db, &session, &id)
        .await
        .map(|()| "The passkey is removed.".to_owned());
    super::security::after(&a, &session, done).await
}

/// Starting a sign-in counts against the client's sign-in budget (each keeps a row).
async fn sign_in_start(
    State(g): State<Gallery>,
    origin: Origin,
) -> Result<Json<Ceremony<RequestChallengeResponse>>> {
    limits::hit(
        &g.db,
        Subject::SignInAddress(origin.client),
        Rate::per_minute(g.config.login_per_ip),
    )
    .await?;
    let (challenge, options) = passkeys::sign_in_start(&g.db, relying_party(&g)?).await?;
    Ok(Json(Ceremony { challenge, options }))
}

/// A passkey alone signs in: it is the account's, and the authenticator verified its user.
async fn sign_in_finish(
    State(g): State<Gallery>,
    origin: Origin,
    jar: CookieJar,
    ApiJson(body): ApiJson<Assertion>,
) -> Result<Response> {
    let user =
        passkeys::sign_in_finish(&g.db, relying_party(&g)?, &body.challenge, &body.credential)
            .await?;
    auth::admit(&g.db, &g.config, &user).await?;
    let signed_in = start_web_session(&g, jar, &user, &origin.session).await?;
    // The script follows the redirect itself.
    Ok(if signed_in.status().is_redirection() {
        signed_in
    } else {
        Redirect::to("/gallery").into_response()
    })
}

/// "Delete my account" confirmed with one of the account's passkeys: its ceremony.
async fn leave_start(
    State(g): State<Gallery>,
    ScriptSession(session): ScriptSession,
) -> Result<Json<Ceremony<RequestChallengeResponse>>> {
    let (challenge, options) =
        passkeys::second_step_start(&g.db, relying_party(&g)?, &session.user.id).await?;
    Ok(Json(Ceremony { challenge, options }))
}

/// Only a passkey of this account confirms; then the account and everything of it go.
async fn leave_finish(
    State(g): State<Gallery>,
    State(storage): State<crate::storage::Storage>,
    jar: CookieJar,
    ScriptSession(session): ScriptSession,
    ApiJson(body): ApiJson<Assertion>,
) -> Result<Response> {
    let pk = relying_party(&g)?;
    passkeys::second_step_finish(
        &g.db,
        pk,
        &session.user.id,
        &body.challenge,
        &body.credential,
    )
    .await?;
    let confirm = crate::leaving::Confirmation {
        password: None,
        email: None,
        code: None,
        passkey: true,
    };
    crate::leaving::delete_own_account(&g.db, &storage, &session, confirm).await?;
    let signed_out =
        jar.remove(axum_extra::extract::cookie::Cookie::build(super::SESSION_COOKIE).path("/"));
    Ok((signed_out, Redirect::to("/login?deleted=1")).into_response())
}
