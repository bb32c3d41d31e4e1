//! Accounts: sign up, sign in for a bearer token, sign out, who am I.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiUser, ErrorBody, St};
use crate::auth::{self, User, sessions};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::net::ClientIp;
use axum_extra::TypedHeader;
use axum_extra::headers::UserAgent;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub struct SignUp {
    #[schema(format = "email", max_length = 254)]
    email: String,
    #[schema(min_length = 8, max_length = 256)]
    password: String,
    #[schema(max_length = 100)]
    display_name: Option<String>,
    /// The token of an invitation link (needed when sign-up is by invitation).
    invite: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    user: User,
}

/// Create an account
///
/// Follows the gallery's sign-up setting: open, by invitation (send `invite`) or closed; a
/// refused sign-up answers 403 with the reason. Sign-ups are limited per client address
/// (429 with Retry-After). The first account of a gallery is its admin.
#[utoipa::path(post, path = "/auth/signup", tag = "account", security(()), request_body = SignUp,
    responses((status = 201, body = Created), (status = "default", body = ErrorBody)))]
async fn signup(
    State(db): State<Db>,
    State(config): State<std::sync::Arc<Config>>,
    State(mailer): State<std::sync::Arc<Mailer>>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<Created>)> {
    let form = auth::SignUp {
        email: &body.email,
        password: &body.password,
        display_name: body.display_name.as_deref(),
        invite: body.invite.as_deref(),
    };
    let user = auth::sign_up(&db, &config, &mailer, form, client).await?;
    Ok((StatusCode::CREATED, Json(Created { user })))
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    email: String,
    password: String,
    /// The second step, for an account with two-step sign-in: the authenticator app's
    /// six digits, or one of the recovery codes.
    code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    token: String,
    user: User,
}

/// Sign in; returns a bearer token
///
/// The same 401 for an unknown email as for a wrong password. Attempts are limited per
/// account and per client address (429 with Retry-After); an email longer than 254
/// characters is a 400. An account with two-step sign-in also sends `code` (without it,
/// 401 says so); codes are limited per account. With `GALLERY_REQUIRE_VERIFIED_EMAIL`, an
/// account whose address is not confirmed gets 403.
#[utoipa::path(post, path = "/auth/login", tag = "account", security(()), request_body = Login,
    responses((status = 200, body = SignedIn), (status = "default", body = ErrorBody)))]
async fn login(
    State(db): State<Db>,
    State(config): State<std::sync::Arc<Config>>,
    ClientIp(client): ClientIp,
    user_agent: Option<TypedHeader<UserAgent>>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Json<SignedIn>> {
    let user = auth::sign_in(&db, &config, &body.email, &body.password, client).await?;
    if user.two_factor {
        let code = body.code.as_deref().filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            Error::Unauthorized(
                "this account signs in in two steps: send the code of your authenticator app (or a recovery code) as \"code\"".into(),
            )
        })?;
        auth::two_step::check(&db, &user.id, code).await?;
    }
    let origin = sessions::Origin::new(user_agent.as_ref().map(|h| h.as_str()), client);
    let token = sessions::create(
        &db,
        &user.id,
        sessions::Kind::Api,
        config.session_hours,
        &origin,
    )
    .await?;
    Ok(Json(SignedIn { token, user }))
}

/// Sign out: the token stops working
#[utoipa::path(post, path = "/auth/logout", tag = "account",
    responses((status = 204, description = "Signed out"), (status = "default", body = ErrorBody)))]
async fn logout(State(db): State<Db>, ApiUser(session): ApiUser) -> Result<StatusCode> {
    sessions::end(&db, &session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user
#[utoipa::path(get, path = "/me", tag = "account",
    responses((status = 200, body = User), (status = "default", body = ErrorBody)))]
async fn me(ApiUser(session): ApiUser) -> Json<User> {
    Json(session.user)
}
