//! The account page: the address (confirmed or not, and changing it), the password,
//! two-step sign-in, where one is signed in, personal access tokens, one's data, and
//! leaving.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;

use super::account::SESSION_COOKIE;
use super::frame::{Chrome, PageResult, SignedIn};
use crate::auth::access::{self, AccessToken, SignInSession};
use crate::auth::two_step::{self, Setup};
use crate::auth::{self, Session, recovery};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::leaving;
use crate::mail::Mailer;
use crate::state::AppState;
use crate::storage::Storage;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/email", post(change_email))
        .route("/account/email/verify", post(resend_verification))
        .route("/account/two-step", post(two_step_begin))
        .route("/account/two-step/confirm", post(two_step_confirm))
        .route("/account/two-step/off", post(two_step_off))
        .route("/account/sessions/{id}/end", post(end_session))
        .route("/account/sessions/end-others", post(end_other_sessions))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route("/account/delete", post(delete_account))
}

/// What the account page's handlers need of the gallery.
#[derive(Clone)]
pub(super) struct Account {
    pub db: Db,
    config: Arc<Config>,
    passkeys_on: bool,
}

impl axum::extract::FromRef<AppState> for Account {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            config: state.config.clone(),
            passkeys_on: state.passkeys.get().is_some(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    message: Option<String>,
    error: Option<String>,
    has_password: bool,
    min_len: usize,
    email: String,
    verified: bool,
    two_factor: bool,
    /// The gallery asks this account for two-step sign-in, and it is not set up yet.
    must_set_up: bool,
    recovery_left: i64,
    sessions: Vec<SignInSession>,
    tokens: Vec<AccessToken>,
    passkeys: Vec<crate::auth::passkeys::PasskeyInfo>,
    /// Whether the gallery's address lets passkeys be added.
    passkeys_on: bool,
    /// An authenticator app is set up (two-step sign-in may be on by passkeys alone).
    app: bool,
    /// A token just made, shown this once.
    new_token: Option<String>,
    /// Two-step sign-in being set up: the secret and its QR code.
    setup: Option<Setup>,
    /// Recovery codes just made, shown this once.
    recovery_codes: Vec<String>,
}

impl AccountPage {
    async fn load(a: &Account, session: &Session) -> Result<Self> {
        let (db, config, passkeys_on) = (&a.db, &a.config, a.passkeys_on);
        let user = &session.user;
        Ok(Self {
            chrome: Chrome::of(session),
            message: None,
            error: None,
            has_password: user.has_password,
            min_len: auth::password::MIN_LEN,
            email: user.email.clone(),
            verified: user.email_verified,
            two_factor: user.two_factor,
            must_set_up: two_step::must_set_up(config, session),
            recovery_left: two_step::recovery_codes_left(db, &user.id).await?,
            sessions: access::list_sessions(db, session).await?,
            tokens: access::list_tokens(db, session).await?,
            passkeys: crate::auth::passkeys::list(db, &user.id).await?,
            passkeys_on,
            app: two_step::has_app(db, &user.id).await?,
            new_token: None,
            setup: None,
            recovery_codes: Vec::new(),
        })
    }
}

/// The account page again after a form: what happened, or why it did not.
pub(super) async fn after(a: &Account, session: &Session, outcome: Result<String>) -> PageResult {
    let db = &a.db;
    // The session itself may have changed (a new address, two-step sign-in turned on).
    let session = match auth::find_user(db, &session.user.id).await? {
        Some(user) => Session {
            user,
            ..session.clone()
        },
        None => return Ok(Redirect::to("/login").into_response()),
    };
    let mut page = AccountPage::load(a, &session).await?;
    Ok(match outcome {
        Ok(message) => {
            page.message = Some(message);
            page.into_response()
        }
        Err(err) => {
            let (status, _, message) = err.parts();
            page.error = Some(message);
            (status, page).into_response()
        }
    })
}

async fn account(State(a): State<Account>, SignedIn(session): SignedIn) -> PageResult {
    Ok(AccountPage::load(&a, &session).await?.into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(a): State<Account>,
    SignedIn(session): SignedIn,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let done = auth::change_password(&a.db, &session, &form.current_password, &form.new_password)
        .await
        .map(|()| "Your password has been changed. You are signed out everywhere else.".to_owned());
    after(&a, &session, done).await
}

#[derive(Deserialize)]
struct EmailForm {
    email: String,
    #[serde(default)]
    current_password: String,
}

async fn change_email(
    State(a): State<Account>,
    State(mailer): State<Arc<Mailer>>,
    SignedIn(session): SignedIn,
    Form(form): Form<EmailForm>,
) -> PageResult {
    let done = recovery::change_email(
        &a.db,
        &mailer,
        &session,
        &form.email,
        &form.current_password,
    )
    .await
    .map(|()| {
        "We sent a link to the new address. Your address changes when you open it.".to_owned()
    });
    after(&a, &session, done).await
}

async fn resend_verification(
    State(a): State<Account>,
    State(mailer): State<Arc<Mailer>>,
    SignedIn(session): SignedIn,
) -> PageResult {
    let done = recovery::resend_verification(&a.db, &mailer, &session)
        .await
        .map(|()| format!("We sent a new link to {}.", session.user.email));
    after(&a, &session, done).await
}

async fn two_step_begin(State(a): State<Account>, SignedIn(session): SignedIn) -> PageResult {
    match two_step::begin(&a.db, &session).await {
        Ok(setup) => {
            let mut page = AccountPage::load(&a, &session).await?;
            page.setup = Some(setup);
            Ok(page.into_response())
        }
        Err(err) => after(&a, &session, Err(err)).await,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn two_step_confirm(
    State(a): State<Account>,
    SignedIn(session): SignedIn,
    Form(form): Form<CodeForm>,
) -> PageResult {
    match two_step::confirm(&a.db, &session, &form.code).await {
        Ok(codes) => {
            let mut session = session;
            session.user.two_factor = true;
            let mut page = AccountPage::load(&a, &session).await?;
            page.message = Some(
                "Two-step sign-in is on. Keep these recovery codes somewhere safe: each works once, when your app is not at hand. They are shown only now.".into(),
            );
            page.recovery_codes = codes;
            Ok(page.into_response())
        }
        Err(err) => after(&a, &session, Err(err)).await,
    }
}

#[derive(Deserialize)]
struct PasswordOnly {
    #[serde(default)]
    password: String,
}

async fn two_step_off(
    State(a): State<Account>,
    SignedIn(session): SignedIn,
    Form(form): Form<PasswordOnly>,
) -> PageResult {
    let done = two_step::turn_off(&a.db, &session, &form.password)
        .await
        .map(|()| "Two-step sign-in is off.".to_owned());
    after(&a, &session, done).await
}

async fn end_session(
    State(a): State<Account>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    if id == session.id {
        return Err(Error::bad_request("to end this session, sign out").into());
    }
    let done = access::end_session(&a.db, &session, &id)
        .await
        .map(|()| "That session is signed out.".to_owned());
    after(&a, &session, done).await
}

async fn end_other_sessions(State(a): State<Account>, SignedIn(session): SignedIn) -> PageResult {
    let done = access::end_other_sessions(&a.db, &session).await.map(|n| {
        format!(
            "Signed out everywhere else ({}).",
            super::frame::plural(n as usize, "session")
        )
    });
    after(&a, &session, done).await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    scope: String,
    #[serde(default)]
    expires_at: String,
}

async fn create_token(
    State(a): State<Account>,
    SignedIn(session): SignedIn,
    Form(form): Form<TokenForm>,
) -> PageResult {
    match access::create_token(
        &a.db,
        &session,
        &form.name,
        &form.scope,
        Some(&form.expires_at),
    )
    .await
    {
        Ok((_, token)) => {
            let mut page = AccountPage::load(&a, &session).await?;
            page.message =
                Some("Your new token is below. Copy it now: it is shown only once.".into());
            page.new_token = Some(token);
            Ok(page.into_response())
        }
        Err(err) => after(&a, &session, Err(err)).await,
    }
}

async fn revoke_token(
    State(a): State<Account>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let done = access::revoke_token(&a.db, &session, &id)
        .await
        .map(|()| "The token is revoked.".to_owned());
    after(&a, &session, done).await
}

#[derive(Deserialize)]
struct LeaveForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
}

async fn delete_account(
    State(a): State<Account>,
    State(storage): State<Storage>,
    jar: CookieJar,
    SignedIn(session): SignedIn,
    Form(form): Form<LeaveForm>,
) -> PageResult {
    let confirm = leaving::Confirmation {
        password: Some(&form.password),
        email: Some(&form.email),
        code: Some(&form.code),
        passkey: false,
    };
    match leaving::delete_own_account(&a.db, &storage, &session, confirm).await {
        Ok(()) => Ok((
            [(HeaderName::from_static("clear-site-data"), "\"cache\"")],
            jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
            Redirect::to("/login?deleted=1"),
        )
            .into_response()),
        Err(err) => after(&a, &session, Err(err)).await,
    }
}

/// Whether a signed-in browser must set up two-step sign-in before anything else: every
/// page but the account page (and signing out, and the page's assets) sends it there.
pub fn must_set_up_first(config: &Config, session: &Session, path: &str) -> Option<Response> {
    let allowed = path == "/account"
        || path.starts_with("/account/two-step")
        || path.starts_with("/account/passkeys/")
        || path == "/logout"
        || path.starts_with("/static/")
        || path.starts_with("/assets/");
    (two_step::must_set_up(config, session) && !allowed)
        .then(|| Redirect::to("/account").into_response())
}
