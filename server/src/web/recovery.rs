//! The pages of getting back in: "Forgot password?", the reset link's page, and the page a
//! confirmation link opens. Links open a page with a button (a mail scanner that fetches
//! the link uses nothing up).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::account::{Gallery, anonymous_csrf};
use super::frame::Chrome;
use crate::auth::{self, recovery};
use crate::net::ClientIp;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forgot-password", get(forgot_form).post(forgot))
        .route("/reset-password", get(reset_form).post(reset))
        .route("/verify-email", get(verify_form).post(verify))
}

/// One page for each step: a title, words, the form (if any) and what happened.
#[derive(Template, WebTemplate)]
#[template(path = "recovery.html")]
struct RecoveryPage {
    chrome: Chrome,
    title: &'static str,
    intro: String,
    /// The form's action, and the token it carries along.
    action: Option<&'static str>,
    token: String,
    /// Which fields the form asks for: `email`, `password`, or none (a button).
    field: &'static str,
    button: &'static str,
    message: Option<String>,
    error: Option<String>,
    min_len: usize,
}

impl RecoveryPage {
    fn new(csrf: String, title: &'static str, intro: &str) -> Self {
        Self {
            chrome: Chrome::anonymous(csrf),
            title,
            intro: intro.to_owned(),
            action: None,
            token: String::new(),
            field: "",
            button: "",
            message: None,
            error: None,
            min_len: auth::password::MIN_LEN,
        }
    }

    fn forgot(csrf: String) -> Self {
        let mut page = Self::new(
            csrf,
            "Forgot your password?",
            "Enter your account's email address and we will send you a link to choose a new password.",
        );
        page.action = Some("/forgot-password");
        page.field = "email";
        page.button = "Send the link";
        page
    }
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn forgot_form(State(g): State<Gallery>, jar: CookieJar) -> Response {
    let (jar, csrf) = anonymous_csrf(jar, &g.config);
    (jar, RecoveryPage::forgot(csrf)).into_response()
}

#[derive(Deserialize)]
struct EmailForm {
    email: String,
}

async fn forgot(
    State(g): State<Gallery>,
    ClientIp(client): ClientIp,
    jar: CookieJar,
    Form(form): Form<EmailForm>,
) -> Response {
    let (jar, csrf) = anonymous_csrf(jar, &g.config);
    let mut page = RecoveryPage::forgot(csrf);
    match recovery::forgot_password(
        &g.db,
        &g.mailer,
        g.config.reset_per_hour,
        &form.email,
        client,
    )
    .await
    {
        Ok(()) => {
            page.action = None;
            page.message = Some(
                "If an account has this address, a link to choose a new password is on its way. It works for 30 minutes."
                    .into(),
            );
            (jar, page).into_response()
        }
        Err(err) => {
            let (status, _, message) = err.parts();
            page.error = Some(message);
            (status, jar, page).into_response()
        }
    }
}

fn reset_page(csrf: String, token: String) -> RecoveryPage {
    let mut page = RecoveryPage::new(
        csrf,
        "Choose a new password",
        "Choose a new password for your account. You will be signed out everywhere.",
    );
    page.action = Some("/reset-password");
    page.token = token.chars().take(128).collect();
    page.field = "password";
    page.button = "Set the new password";
    page
}

/// The page a mailed link opens: its form, and no `Referer` that would carry the token.
fn link_page(
    g: &Gallery,
    jar: CookieJar,
    token: String,
    page: fn(String, String) -> RecoveryPage,
) -> Response {
    let (jar, csrf) = anonymous_csrf(jar, &g.config);
    (
        [(axum::http::header::REFERRER_POLICY, "no-referrer")],
        jar,
        page(csrf, token),
    )
        .into_response()
}

/// What a link's form did: `done` (a title and words), or its page again with the reason.
fn outcome(
    g: &Gallery,
    jar: CookieJar,
    result: crate::error::Result<()>,
    done: (&'static str, &str),
    token: String,
    again: fn(String, String) -> RecoveryPage,
) -> Response {
    let (jar, csrf) = anonymous_csrf(jar, &g.config);
    match result {
        Ok(()) => {
            let mut page = RecoveryPage::new(csrf, done.0, "");
            page.message = Some(done.1.to_owned());
            (jar, page).into_response()
        }
        Err(err) => {
            let (status, _, message) = err.parts();
            let mut page = again(csrf, token);
            page.error = Some(message);
            (status, jar, page).into_response()
        }
    }
}

async fn reset_form(
    State(g): State<Gallery>,
    jar: CookieJar,
    Query(query): Query<TokenQuery>,
) -> Response {
    link_page(&g, jar, query.token, reset_page)
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    password: String,
}

async fn reset(State(g): State<Gallery>, jar: CookieJar, Form(form): Form<ResetForm>) -> Response {
    let result = recovery::reset_password(&g.db, &form.token, &form.password).await;
    let done = (
        "Your password is set",
        "Your new password is set. Sign in with it.",
    );
    outcome(&g, jar, result, done, form.token, reset_page)
}

fn verify_page(csrf: String, token: String) -> RecoveryPage {
    let mut page = RecoveryPage::new(
        csrf,
        "Confirm your email address",
        "Confirm that this address is yours.",
    );
    page.action = Some("/verify-email");
    page.token = token.chars().take(128).collect();
    page.button = "Confirm";
    page
}

async fn verify_form(
    State(g): State<Gallery>,
    jar: CookieJar,
    Query(query): Query<TokenQuery>,
) -> Response {
    link_page(&g, jar, query.token, verify_page)
}

#[derive(Deserialize)]
struct VerifyForm {
    token: String,
}

async fn verify(
    State(g): State<Gallery>,
    jar: CookieJar,
    Form(form): Form<VerifyForm>,
) -> Response {
    let result = recovery::verify_email(&g.db, &g.mailer, &form.token).await;
    let done = (
        "Your address is confirmed",
        "Thank you: your email address is confirmed.",
    );
    outcome(&g, jar, result, done, form.token, verify_page)
}
