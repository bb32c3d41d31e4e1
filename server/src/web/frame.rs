//! What every page shares: its frame (who is signed in, the CSRF token), errors shown as
//! pages, the signed-in extractors, the cookies, the confirmation page, and the words and
//! addresses several pages use.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::auth::{Session, User, csrf};
use crate::config::Config;
use crate::error::Error;

/// What every page's frame needs: who is signed in, the CSRF token for its forms, and a
/// toast to show (what a delete or a move just did, with Undo).
pub struct Chrome {
    pub user: Option<User>,
    pub csrf: String,
    pub toast: Option<Toast>,
}

/// A short note at the foot of the page: what just happened, and Undo while it can be.
pub struct Toast {
    pub said: String,
    /// The remembered change Undo puts back.
    pub undo: Option<String>,
    /// The page to come back to after Undo.
    pub back: String,
}

/// The query parameters a page reads its toast from: `undo=ID` after a change (the
/// change's words come from the database, never from the address), `undone=1` after Undo.
#[derive(Debug, Default, serde::Deserialize)]
pub struct AfterChange {
    #[serde(default)]
    pub undo: Option<String>,
    #[serde(default)]
    pub undone: Option<String>,
}

impl Chrome {
    pub fn of(session: &Session) -> Self {
        Self {
            user: Some(session.user.clone()),
            csrf: csrf::masked(&session.csrf_token),
            toast: None,
        }
    }

    /// The frame of a page that says what just changed (see [`AfterChange`]); `back` is
    /// the page itself, where Undo returns.
    pub async fn with_toast(
        session: &Session,
        db: &crate::db::Db,
        after: &AfterChange,
        back: &str,
    ) -> Self {
        let mut chrome = Self::of(session);
        let back = back.to_owned();
        if let Some(id) = after.undo.as_deref() {
            if let Ok(Some(change)) = crate::undo::find(db, &session.user.id, id).await {
                chrome.toast = Some(Toast {
                    said: change.said,
                    undo: Some(change.id),
                    back,
                });
            }
        } else if after.undone.is_some() {
            chrome.toast = Some(Toast {
                said: "Undone: everything is back where it was.".into(),
                undo: None,
                back,
            });
        }
        chrome
    }

    /// The frame of a page shown before sign-in, with the token of its form.
    pub fn anonymous(token: String) -> Self {
        let csrf = if token.is_empty() {
            token
        } else {
            csrf::masked(&token)
        };
        Self {
            user: None,
            csrf,
            toast: None,
        }
    }
}

/// An error shown as a page, with the status of the error.
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

pub type PageResult<T = Response> = std::result::Result<T, PageError>;

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, _, message) = self.0.parts();
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let message = if status == StatusCode::NOT_FOUND {
            "There is nothing here. It may have been deleted, or the address is wrong.".to_owned()
        } else {
            message
        };
        let page = ErrorPage {
            chrome: Chrome::anonymous(String::new()),
            title,
            message,
        };
        (status, page).into_response()
    }
}

/// The browser's session, found by the session middleware (`Option<WebSession>` in a
/// handler: signed in or not).
#[derive(Clone)]
pub struct WebSession(pub Session);

impl<S: Send + Sync> OptionalFromRequestParts<S> for WebSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<WebSession>().cloned())
    }
}

/// The signed-in session of a page; signed out, the browser goes to the sign-in page.
pub struct SignedIn(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<WebSession>()
            .map(|s| Self(s.0.clone()))
            .ok_or_else(|| Redirect::to("/login"))
    }
}

/// The session of an admin's page: signed out, the browser goes to the sign-in page;
/// signed in as anyone else, 403.
pub struct WebAdmin(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for WebAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(WebSession(session)) = parts.extensions.get::<WebSession>().cloned() else {
            return Err(Redirect::to("/login").into_response());
        };
        if !session.user.is_admin() {
            return Err(PageError(Error::Forbidden(
                "only an admin of this gallery can open this page".into(),
            ))
            .into_response());
        }
        Ok(Self(session))
    }
}

/// The signed-in session of a request the page's scripts make (uploads, voice); signed
/// out, a 401 in JSON that the script shows.
pub struct ScriptSession(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for ScriptSession {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<WebSession>()
            .map(|s| Self(s.0.clone()))
            .ok_or_else(|| Error::Unauthorized("your session has ended; sign in again".into()))
    }
}

/// A cookie of the gallery's: never readable by scripts, `Secure` behind https.
pub fn cookie(
    config: &Config,
    name: &'static str,
    value: String,
    same_site: SameSite,
    path: &'static str,
    max_age: Option<time::Duration>,
) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, value))
        .http_only(true)
        .same_site(same_site)
        .secure(config.secure_cookies())
        .path(path);
    if let Some(age) = max_age {
        cookie = cookie.max_age(age);
    }
    cookie.build()
}

/// A page that asks before something is deleted; its form repeats the request with
/// `confirmed=yes`.
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    pub message: String,
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
    pub button: &'static str,
    pub cancel_href: String,
}

/// The page of a folder (the top level when `None`).
pub fn folder_href(id: Option<&str>) -> String {
    id.map_or_else(|| "/gallery".to_owned(), |id| format!("/gallery/{id}"))
}

/// "1 photo", "3 photos".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `href` with one more query parameter.
pub fn with_query(href: &str, name: &str, value: &str) -> String {
    let separator = if href.contains('?') { '&' } else { '?' };
    let pair = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
    format!("{href}{separator}{pair}")
}
