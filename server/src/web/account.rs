//! Signing up, in (by password or with the OpenID Connect provider) and out, and the
//! account page.

use std::sync::{Arc, OnceLock};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::frame::{Chrome, PageError, PageResult, WebSession, cookie};
use crate::auth::limits::{self, Rate, Subject};
use crate::auth::oidc::Oidc;
use crate::auth::{self, User, csrf, sessions};
use crate::config::{Config, SignupMode};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::net::ClientIp;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "gallery_session";
/// The cookie that ties a sign-in at the provider to this browser.
const OIDC_COOKIE: &str = "gallery_oidc_state";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/signup", get(signup_form).post(signup))
        .route("/logout", post(logout))
        .route("/auth/oidc", get(oidc_start))
        .route("/auth/callback", get(oidc_callback))
}

/// The cookie of a sign-in waiting for its second step (a password was right).
pub(super) const SECOND_STEP_COOKIE: &str = "gallery_second_step";

/// What the sign-in and sign-up pages need to know of the gallery.
#[derive(Clone)]
pub(super) struct Gallery {
    pub db: Db,
    pub config: Arc<Config>,
    oidc: Arc<OnceLock<Oidc>>,
    pub mailer: Arc<Mailer>,
    pub passkeys: Arc<OnceLock<crate::auth::passkeys::Passkeys>>,
}

impl axum::extract::FromRef<AppState> for Gallery {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            config: state.config.clone(),
            oidc: state.oidc.clone(),
            mailer: state.mailer.clone(),
            passkeys: state.passkeys.clone(),
        }
    }
}

async fn home(session: Option<WebSession>) -> Redirect {
    Redirect::to(if session.is_some() {
        "/gallery"
    } else {
        "/login"
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    /// Whether the page offers to create an account.
    signup_open: bool,
    /// The name of the OpenID Connect provider, when one is configured.
    provider: Option<String>,
    /// Just signed out: say so, and offer to sign out at the provider too.
    signed_out: bool,
    end_session: Option<String>,
}

impl LoginPage {
    fn new(g: &Gallery, csrf: String, email: String, error: Option<String>) -> Self {
        Self {
            chrome: Chrome::anonymous(csrf),
            email,
            error,
            signup_open: g.config.signup == SignupMode::Open,
            provider: g.oidc.get().map(|o| o.name.clone()),
            signed_out: false,
            end_session: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    email: String,
    display_name: String,
    error: Option<String>,
    min_len: usize,
    /// The invitation the form carries along, if any.
    invite: String,
    /// Why nobody can sign up here without (or at all), said before they fill in the form.
    notice: Option<&'static str>,
}

impl SignupPage {
    fn new(config: &Config, csrf: String, invite: String) -> Self {
        let notice = match config.signup {
            SignupMode::Open => None,
            SignupMode::Invite if !invite.is_empty() => None,
            SignupMode::Invite => {
                Some("This gallery is by invitation only: open the invitation link you were sent.")
            }
            SignupMode::Closed => {
                Some("Sign-up is closed on this gallery; ask its admin for an account.")
            }
        };
        Self {
            chrome: Chrome::anonymous(csrf),
            email: String::new(),
            display_name: String::new(),
            error: None,
            min_len: auth::password::MIN_LEN,
            invite,
            notice,
        }
    }
}

/// The token for forms shown before sign-in, kept in a cookie the form must repeat.
pub(super) fn anonymous_csrf(jar: CookieJar, config: &Config) -> (CookieJar, String) {
    if let Some(existing) = jar.get(csrf::COOKIE) {
        let token = existing.value().to_owned();
        return (jar, token);
    }
    let token = sessions::random_token();
    let csrf = cookie(
        config,
        csrf::COOKIE,
        token.clone(),
        SameSite::Strict,
        "/",
        None,
    );
    (jar.add(csrf), token)
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    #[serde(default)]
    signed_out: Option<String>,
}

async fn login_form(
    State(g): State<Gallery>,
    jar: CookieJar,
    session: Option<WebSession>,
    Query(query): Query<LoginQuery>,
) -> Response {
    if session.is_some() {
        return Redirect::to("/gallery").into_response();
    }
    let (jar, token) = anonymous_csrf(jar, &g.config);
    let mut page = LoginPage::new(&g, token, String::new(), None);
    if query.signed_out.is_some() {
        page.signed_out = true;
        if let Some(oidc) = g.oidc.get() {
            page.end_session = oidc.end_session_url().await;
        }
    }
    (jar, page).into_response()
}

/// `GET /auth/oidc`: off to the provider, with PKCE, `state` and `nonce`. Each start keeps
/// a row until it is finished or expires, so starts are limited per client address.
async fn oidc_start(
    State(g): State<Gallery>,
    ClientIp(client): ClientIp,
    jar: CookieJar,
) -> PageResult {
    let oidc = g.oidc.get().ok_or(Error::NotFound)?;
    limits::hit(
        &g.db,
        Subject::ProviderStartAddress(client),
        Rate::per_minute(g.config.login_per_ip),
    )
    .await?;
    let (url, login_state) = oidc.start(&g.db).await?;
    // Sent on the top-level GET back from the provider, not on cross-site posts.
    let ten_minutes = Some(time::Duration::minutes(10));
    let tie = cookie(
        &g.config,
        OIDC_COOKIE,
        login_state,
        SameSite::Lax,
        "/auth",
        ten_minutes,
    );
    Ok((jar.add(tie), Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
struct OidcCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: checks `state` against this browser's, finishes the code flow
/// and signs in; any refusal is a page that says why, and no session.
async fn oidc_callback(
    State(g): State<Gallery>,
    origin: Origin,
    jar: CookieJar,
    Query(callback): Query<OidcCallback>,
) -> PageResult {
    let oidc = g.oidc.get().ok_or(Error::NotFound)?;
    let expected = jar.get(OIDC_COOKIE).map(|c| c.value().to_owned());
    let jar = jar.remove(Cookie::build(OIDC_COOKIE).path("/auth"));
    if let Some(error) = callback.error {
        let detail = callback.error_description.unwrap_or(error);
        return Err(
            Error::Unauthorized(format!("{} did not sign you in: {detail}", oidc.name)).into(),
        );
    }
    let (Some(code), Some(given)) = (callback.code, callback.state) else {
        return Err(Error::bad_request(
            "this sign-in link is incomplete (no code or state); please start again",
        )
        .into());
    };
    let same_browser = expected
        .is_some_and(|e| subtle::ConstantTimeEq::ct_eq(e.as_bytes(), given.as_bytes()).into());
    if !same_browser {
        return Err(Error::bad_request(
            "this sign-in was not started in this browser, or it has expired; please start again",
        )
        .into());
    }
    let identity = oidc.finish(&g.db, &given, &code).await?;
    let user = auth::sign_in_with(&g.db, &identity, &oidc.name, g.config.signup).await?;
    Ok(start_web_session(&g, jar, &user, &origin.session).await?)
}

/// The user agent and address of a request, for the session it starts.
pub(super) struct Origin {
    /// The client's address, as the sign-in limits count it.
    pub client: std::net::IpAddr,
    /// What the session keeps of it.
    pub session: sessions::Origin,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Origin
where
    crate::net::TrustedProxies: axum::extract::FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self> {
        let ClientIp(client) = ClientIp::from_request_parts(parts, state).await?;
        let agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        Ok(Self {
            client,
            session: sessions::Origin::new(agent, client),
        })
    }
}

pub(super) async fn start_web_session(
    g: &Gallery,
    jar: CookieJar,
    user: &User,
    origin: &sessions::Origin,
) -> Result<Response> {
    let hours = g.config.session_hours;
    let token = sessions::create(&g.db, &user.id, sessions::Kind::Web, hours, origin).await?;
    let session = cookie(
        &g.config,
        SESSION_COOKIE,
        token,
        SameSite::Lax,
        "/",
        Some(time::Duration::hours(hours)),
    );
    Ok((jar.add(session), Redirect::to("/gallery")).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(
    State(g): State<Gallery>,
    origin: Origin,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    match auth::sign_in(&g.db, &g.config, &form.email, &form.password, origin.client).await {
        Ok(user) if user.two_factor => super::second_step::ask(&g, jar, &user)
            .await
            .unwrap_or_else(|e| PageError(e).into_response()),
        Ok(user) => start_web_session(&g, jar, &user, &origin.session)
            .await
            .unwrap_or_else(|e| PageError(e).into_response()),
        Err(err) => {
            let (status, _, message) = err.parts();
            let (jar, token) = anonymous_csrf(jar, &g.config);
            let email: String = form.email.chars().take(auth::MAX_EMAIL_LEN).collect();
            let page = LoginPage::new(&g, token, email, Some(message));
            (status, jar, page).into_response()
        }
    }
}

#[derive(Deserialize, Default)]
struct SignupQuery {
    #[serde(default)]
    invite: Option<String>,
}

async fn signup_form(
    State(g): State<Gallery>,
    jar: CookieJar,
    Query(query): Query<SignupQuery>,
) -> Response {
    let (jar, token) = anonymous_csrf(jar, &g.config);
    let invite = query.invite.unwrap_or_default().chars().take(128).collect();
    (jar, SignupPage::new(&g.config, token, invite)).into_response()
}

#[derive(Deserialize)]
struct SignupForm {
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    invite: String,
}

async fn signup(
    State(g): State<Gallery>,
    origin: Origin,
    jar: CookieJar,
    Form(form): Form<SignupForm>,
) -> Response {
    let attempt = auth::SignUp {
        email: &form.email,
        password: &form.password,
        display_name: Some(&form.display_name),
        invite: Some(&form.invite),
    };
    match auth::sign_up(&g.db, &g.config, &g.mailer, attempt, origin.client).await {
        Ok(user) => start_web_session(&g, jar, &user, &origin.session)
            .await
            .unwrap_or_else(|e| PageError(e).into_response()),
        Err(err) => {
            let (status, _, message) = err.parts();
            let (jar, token) = anonymous_csrf(jar, &g.config);
            let invite = form.invite.chars().take(128).collect();
            let mut page = SignupPage::new(&g.config, token, invite);
            page.email = form.email.chars().take(auth::MAX_EMAIL_LEN).collect();
            page.display_name = form.display_name.chars().take(100).collect();
            page.error = Some(message);
            (status, jar, page).into_response()
        }
    }
}

async fn logout(State(db): State<Db>, jar: CookieJar, session: Option<WebSession>) -> PageResult {
    if let Some(WebSession(s)) = session {
        sessions::end(&db, &s.token_hash).await?;
    }
    Ok((
        // Photos seen in this browser are not left in its cache for the next person.
        [(HeaderName::from_static("clear-site-data"), "\"cache\"")],
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login?signed_out=1"),
    )
        .into_response())
}
