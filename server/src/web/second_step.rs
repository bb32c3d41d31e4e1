//! The second step of a sign-in, after a right password: a code (the authenticator app's or
//! a recovery code) or one of the account's passkeys. Until then the browser holds only a
//! short-lived, single-use token in a cookie of its own for `/login`, which no page and no
//! API route accepts.

use std::sync::{Arc, OnceLock};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{PublicKeyCredential, RequestChallengeResponse};

use super::account::{Gallery, Origin, SECOND_STEP_COOKIE, anonymous_csrf, start_web_session};
use super::frame::{Chrome, PageResult, cookie};
use crate::api::ApiJson;
use crate::auth::passkeys::{self, Passkeys};
use crate::auth::tokens::{self, Purpose};
use crate::auth::{self, User, two_step};
use crate::error::{Error, Result};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/code", post(second_step))
        .route("/login/passkey/second/start", post(passkey_start))
        .route("/login/passkey/second/finish", post(passkey_finish))
}

#[derive(Template, WebTemplate)]
#[template(path = "second_step.html")]
struct SecondStepPage {
    chrome: Chrome,
    error: Option<String>,
    /// The account uses an authenticator app (else recovery codes are the only codes).
    app: bool,
    /// The account has passkeys (and the gallery's address can use them).
    passkey: bool,
}

impl SecondStepPage {
    async fn of(g: &Gallery, csrf: String, user_id: &str, error: Option<String>) -> Result<Self> {
        let passkey =
            g.passkeys.get().is_some() && !passkeys::list(&g.db, user_id).await?.is_empty();
        Ok(Self {
            chrome: Chrome::anonymous(csrf),
            error,
            app: two_step::has_app(&g.db, user_id).await?,
            passkey,
        })
    }
}

/// The password was right and the account has two-step sign-in: a short-lived, single-use
/// token in a cookie of its own (no session yet: no page or API route accepts it) and the
/// page that asks for the second step.
pub(super) async fn ask(g: &Gallery, jar: CookieJar, user: &User) -> Result<Response> {
    let token = tokens::issue_now(&g.db, &user.id, Purpose::SecondStep).await?;
    let step = cookie(
        &g.config,
        SECOND_STEP_COOKIE,
        token,
        SameSite::Strict,
        "/login",
        Some(time::Duration::minutes(5)),
    );
    let (jar, csrf) = anonymous_csrf(jar.add(step), &g.config);
    let page = SecondStepPage::of(g, csrf, &user.id, None).await?;
    Ok((jar, page).into_response())
}

fn expired() -> Error {
    Error::Unauthorized("this sign-in has expired; enter your email and password again".into())
}

/// The account whose sign-in waits for its second step in this browser.
async fn waiting(g: &Gallery, jar: &CookieJar) -> Result<(String, User)> {
    let token = jar
        .get(SECOND_STEP_COOKIE)
        .map(|c| c.value().to_owned())
        .ok_or_else(expired)?;
    let user_id = tokens::peek(&g.db, &token, Purpose::SecondStep)
        .await?
        .ok_or_else(expired)?;
    let user = auth::find_user(&g.db, &user_id)
        .await?
        .ok_or_else(expired)?;
    Ok((token, user))
}

/// The second step passed: the waiting token is used up and the session starts.
async fn finish(
    g: &Gallery,
    jar: CookieJar,
    token: &str,
    user: &User,
    origin: &Origin,
) -> Result<Response> {
    tokens::take_now(&g.db, token, Purpose::SecondStep)
        .await?
        .filter(|taken| *taken == user.id)
        .ok_or_else(expired)?;
    let jar = jar.remove(Cookie::build(SECOND_STEP_COOKIE).path("/login"));
    start_web_session(g, jar, user, &origin.session).await
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

/// `POST /login/code`: a right code turns the waiting sign-in into a session, a wrong one
/// asks again (each try counts against the account's budget).
async fn second_step(
    State(g): State<Gallery>,
    origin: Origin,
    jar: CookieJar,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let (token, user) = waiting(&g, &jar).await?;
    if let Err(err) = two_step::check(&g.db, &user.id, &form.code).await {
        let (status, _, message) = err.parts();
        let (jar, csrf) = anonymous_csrf(jar, &g.config);
        let page = SecondStepPage::of(&g, csrf, &user.id, Some(message)).await?;
        return Ok((status, jar, page).into_response());
    }
    Ok(finish(&g, jar, &token, &user, &origin).await?)
}

/// A passkey ceremony's start: its id and the options for `navigator.credentials`.
#[derive(Serialize)]
pub(super) struct Ceremony<T> {
    pub challenge: String,
    pub options: T,
}

pub(super) fn relying_party(passkeys: &Arc<OnceLock<Passkeys>>) -> Result<&Passkeys> {
    passkeys.get().ok_or_else(|| {
        Error::Unsupported(
            "passkeys need the gallery to be reached by a name, not an address".into(),
        )
    })
}

async fn passkey_start(
    State(g): State<Gallery>,
    jar: CookieJar,
) -> Result<Json<Ceremony<RequestChallengeResponse>>> {
    let (_, user) = waiting(&g, &jar).await?;
    let pk = relying_party(&g.passkeys)?;
    let (challenge, options) = passkeys::second_step_start(&g.db, pk, &user.id).await?;
    Ok(Json(Ceremony { challenge, options }))
}

#[derive(Deserialize)]
pub(super) struct Assertion {
    pub challenge: String,
    pub credential: PublicKeyCredential,
}

/// `POST /login/passkey/second/finish`: only a passkey of the waiting account passes.
async fn passkey_finish(
    State(g): State<Gallery>,
    origin: Origin,
    jar: CookieJar,
    ApiJson(body): ApiJson<Assertion>,
) -> Result<Response> {
    let (token, user) = waiting(&g, &jar).await?;
    let pk = relying_party(&g.passkeys)?;
    passkeys::second_step_finish(&g.db, pk, &user.id, &body.challenge, &body.credential).await?;
    finish(&g, jar, &token, &user, &origin).await
}
