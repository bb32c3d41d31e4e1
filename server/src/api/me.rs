//! The signed-in account's own security: where it is signed in, personal access tokens,
//! password and address changes, two-step sign-in, and leaving.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::auth::access::{self, AccessToken, SignInSession};
use crate::auth::passkeys::{self, PasskeyInfo};
use crate::auth::{self, recovery, two_step};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::leaving;
use crate::mail::Mailer;
use crate::storage::Storage;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions))
        .routes(routes!(end_session))
        .routes(routes!(end_other_sessions))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(delete_me))
        .routes(routes!(change_password))
        .routes(routes!(change_email))
        .routes(routes!(resend_verification))
        .routes(routes!(two_step_begin, two_step_off))
        .routes(routes!(two_step_confirm))
        .routes(routes!(list_passkeys))
        .routes(routes!(remove_passkey))
}

/// My passkeys
///
/// Passkeys are added on the account page (the browser's authenticator makes them).
#[utoipa::path(get, path = "/me/passkeys", tag = "account",
    responses((status = 200, body = Vec<PasskeyInfo>), (status = "default", body = ErrorBody)))]
async fn list_passkeys(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
) -> Result<Json<Vec<PasskeyInfo>>> {
    Ok(Json(passkeys::list(&db, &session.user.id).await?))
}

/// Remove a passkey
#[utoipa::path(delete, path = "/me/passkeys/{id}", tag = "account",
    params(("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = "default", body = ErrorBody)))]
async fn remove_passkey(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    passkeys::remove(&db, &session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where I am signed in
///
/// Sign-ins of this account (browsers and API sign-ins), the newest use first; `current`
/// marks the one of this request. Personal access tokens are listed at `/me/tokens`.
#[utoipa::path(get, path = "/me/sessions", tag = "account",
    responses((status = 200, body = Vec<SignInSession>), (status = "default", body = ErrorBody)))]
async fn list_sessions(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
) -> Result<Json<Vec<SignInSession>>> {
    Ok(Json(access::list_sessions(&db, &session).await?))
}

/// Sign one session out
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "account",
    params(("id" = String, Path)),
    responses((status = 204, description = "Signed out"), (status = "default", body = ErrorBody)))]
async fn end_session(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    access::end_session(&db, &session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Ended {
    ended: u64,
}

/// Sign out everywhere else
///
/// Ends every sign-in of this account but this request's; personal access tokens stay.
#[utoipa::path(post, path = "/me/sessions/end-others", tag = "account",
    responses((status = 200, body = Ended), (status = "default", body = ErrorBody)))]
async fn end_other_sessions(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
) -> Result<Json<Ended>> {
    let ended = access::end_other_sessions(&db, &session).await?;
    Ok(Json(Ended { ended }))
}

/// My personal access tokens (without their secrets)
#[utoipa::path(get, path = "/me/tokens", tag = "account",
    responses((status = 200, body = Vec<AccessToken>), (status = "default", body = ErrorBody)))]
async fn list_tokens(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
) -> Result<Json<Vec<AccessToken>>> {
    Ok(Json(access::list_tokens(&db, &session).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    #[schema(max_length = 100)]
    name: String,
    /// `read` (may look, gets 403 on every change) or `write`.
    #[schema(pattern = "^(read|write)$")]
    scope: String,
    /// When it stops working (RFC 3339 or a date); none: until revoked.
    expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MadeToken {
    id: String,
    /// The token, shown this once: send it as `Authorization: Bearer TOKEN`.
    token: String,
}

/// Make a personal access token for a script
///
/// Only a sign-in (not another token) may make one; at most 100 per account.
#[utoipa::path(post, path = "/me/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, body = MadeToken), (status = "default", body = ErrorBody)))]
async fn create_token(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<MadeToken>)> {
    if session.personal {
        return Err(Error::Forbidden(
            "a token cannot make tokens; sign in to make one".into(),
        ));
    }
    let (id, token) = access::create_token(
        &db,
        &session,
        &body.name,
        &body.scope,
        body.expires_at.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(MadeToken { id, token })))
}

/// Revoke a personal access token
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "account",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = "default", body = ErrorBody)))]
async fn revoke_token(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    access::revoke_token(&db, &session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct Leave {
    /// The account's password (accounts that have one).
    password: Option<String>,
    /// The account's address typed out (accounts without a password).
    email: Option<String>,
    /// A TOTP or recovery code (accounts with an authenticator app).
    code: Option<String>,
}

/// Delete my account and everything of it
///
/// Asks for the password again (an account without one types its address), and the second
/// step when the account has one. Folders, photos, stored objects, sessions and tokens are
/// all gone. The last enabled admin cannot leave (409); a token cannot (403).
#[utoipa::path(delete, path = "/me", tag = "account", request_body = Leave,
    responses((status = 204, description = "Deleted"), (status = "default", body = ErrorBody)))]
async fn delete_me(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<Leave>,
) -> Result<StatusCode> {
    let confirm = leaving::Confirmation {
        password: body.password.as_deref(),
        email: body.email.as_deref(),
        code: body.code.as_deref(),
        passkey: false,
    };
    leaving::delete_own_account(&db, &storage, &session, confirm).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NewPassword {
    /// The current password (not needed by an account that has none yet).
    current_password: Option<String>,
    #[schema(min_length = 8, max_length = 256)]
    new_password: String,
}

/// Change my password
///
/// Every other session and token of the account ends; this one stays.
#[utoipa::path(post, path = "/me/password", tag = "account", request_body = NewPassword,
    responses((status = 204, description = "Changed"), (status = "default", body = ErrorBody)))]
async fn change_password(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<StatusCode> {
    let current = body.current_password.unwrap_or_default();
    auth::change_password(&db, &session, &current, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NewEmail {
    #[schema(format = "email", max_length = 254)]
    email: String,
    /// The current password (accounts that have one).
    password: Option<String>,
}

/// Change my address
///
/// Sends a link to the new address; the change happens when it is opened (the old address
/// is then told). Limited per account.
#[utoipa::path(post, path = "/me/email", tag = "account", request_body = NewEmail,
    responses((status = 202, description = "A link was sent to the new address"), (status = "default", body = ErrorBody)))]
async fn change_email(
    State(db): State<Db>,
    State(mailer): State<Arc<Mailer>>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<NewEmail>,
) -> Result<StatusCode> {
    let password = body.password.unwrap_or_default();
    recovery::change_email(&db, &mailer, &session, &body.email, &password).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Send the link that confirms my address again
#[utoipa::path(post, path = "/me/email/verify", tag = "account",
    responses((status = 202, description = "Sent"), (status = "default", body = ErrorBody)))]
async fn resend_verification(
    State(db): State<Db>,
    State(mailer): State<Arc<Mailer>>,
    ApiUser(session): ApiUser,
) -> Result<StatusCode> {
    recovery::resend_verification(&db, &mailer, &session).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Serialize, ToSchema)]
pub struct TwoStepSetup {
    /// The secret in base32, to type into an authenticator app.
    secret: String,
    /// The `otpauth://` address (what the QR code holds).
    url: String,
    /// The QR code as SVG.
    qr_svg: String,
}

/// Start setting up two-step sign-in (TOTP)
///
/// Returns a new secret; it takes effect once `POST /me/two-step/confirm` sends a right code.
#[utoipa::path(post, path = "/me/two-step", tag = "account",
    responses((status = 200, body = TwoStepSetup), (status = "default", body = ErrorBody)))]
async fn two_step_begin(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
) -> Result<Json<TwoStepSetup>> {
    let setup = two_step::begin(&db, &session).await?;
    Ok(Json(TwoStepSetup {
        secret: setup.secret,
        url: setup.url,
        qr_svg: setup.qr_svg,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct Code {
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the app is lost, shown this once.
    recovery_codes: Vec<String>,
}

/// Confirm two-step sign-in with a code from the app
#[utoipa::path(post, path = "/me/two-step/confirm", tag = "account", request_body = Code,
    responses((status = 200, body = RecoveryCodes), (status = "default", body = ErrorBody)))]
async fn two_step_confirm(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<Code>,
) -> Result<Json<RecoveryCodes>> {
    let recovery_codes = two_step::confirm(&db, &session, &body.code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[derive(Deserialize, ToSchema)]
pub struct Password {
    password: Option<String>,
}

/// Turn two-step sign-in off (the password again)
#[utoipa::path(delete, path = "/me/two-step", tag = "account", request_body = Password,
    responses((status = 204, description = "Off"), (status = "default", body = ErrorBody)))]
async fn two_step_off(
    State(db): State<Db>,
    ApiUser(session): ApiUser,
    ApiJson(body): ApiJson<Password>,
) -> Result<StatusCode> {
    two_step::turn_off(&db, &session, body.password.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT)
}
