//! Getting back in without a session: "forgot password?", the reset link's new password,
//! and the link that confirms an address.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ErrorBody, St};
use crate::auth::recovery;
use crate::db::Db;
use crate::error::Result;
use crate::mail::Mailer;
use crate::net::ClientIp;

pub fn router() -> OpenApiRouter<St> {
    OpenApiRouter::new()
        .routes(routes!(forgot))
        .routes(routes!(reset))
        .routes(routes!(verify))
}

#[derive(Deserialize, ToSchema)]
pub struct Forgot {
    #[schema(format = "email", max_length = 254)]
    email: String,
}

/// Forgot password: mail a reset link
///
/// Always 202 with no body, at once, whether or not the address has an account; the link
/// (single-use, 30 minutes) goes to the address if it does. Limited per client address and
/// per address (429).
#[utoipa::path(post, path = "/auth/password/forgot", tag = "account", security(()), request_body = Forgot,
    responses((status = 202, description = "If the address has an account, a link is on its way"), (status = "default", body = ErrorBody)))]
async fn forgot(
    State(db): State<Db>,
    State(config): State<Arc<crate::config::Config>>,
    State(mailer): State<Arc<Mailer>>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<Forgot>,
) -> Result<StatusCode> {
    recovery::forgot_password(&db, &mailer, config.reset_per_hour, &body.email, client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct Reset {
    #[schema(max_length = 128)]
    token: String,
    #[schema(min_length = 8, max_length = 256)]
    password: String,
}

/// Choose a new password with a reset link's token
///
/// The token works once; every session and token of the account ends.
#[utoipa::path(post, path = "/auth/password/reset", tag = "account", security(()), request_body = Reset,
    responses((status = 204, description = "The password is set"), (status = "default", body = ErrorBody)))]
async fn reset(State(db): State<Db>, ApiJson(body): ApiJson<Reset>) -> Result<StatusCode> {
    recovery::reset_password(&db, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct Verify {
    #[schema(max_length = 128)]
    token: String,
}

/// Confirm an address with the token of a mailed link
///
/// The sign-up's link confirms the address; a change-of-address link moves the account to
/// the new address (and tells the old one).
#[utoipa::path(post, path = "/auth/email/verify", tag = "account", security(()), request_body = Verify,
    responses((status = 204, description = "Confirmed"), (status = "default", body = ErrorBody)))]
async fn verify(
    State(db): State<Db>,
    State(mailer): State<Arc<Mailer>>,
    ApiJson(body): ApiJson<Verify>,
) -> Result<StatusCode> {
    recovery::verify_email(&db, &mailer, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
