//! Page handlers and their templates.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::SESSION_COOKIE;
use crate::app::AppState;
use crate::auth::limits::{self, Rate, Subject};
use crate::auth::{self, User, WebSession, csrf, sessions};
use crate::config::SignupMode;
use crate::error::{Error, Result};
use crate::folders::{self, Crumb, Folder};
use crate::images::{self, Image, Order, SortKey, Variant};
use crate::net::ClientIp;
use crate::paging::{self, PageQuery};

type St = State<Arc<AppState>>;

/// What every page's frame needs: who is signed in and the CSRF token for its forms.
pub struct Chrome {
    pub user: Option<User>,
    pub csrf: String,
}

impl Chrome {
    fn of(session: &WebSession) -> Self {
        Self {
            user: Some(session.0.user.clone()),
            csrf: session.0.csrf_token.clone(),
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
        (
            status,
            ErrorPage {
                chrome: Chrome {
                    user: None,
                    csrf: String::new(),
                },
                title,
                message,
            },
        )
            .into_response()
    }
}

type PageResult<T = Response> = std::result::Result<T, PageError>;

/// The page's session, or (signed out) a redirect to the sign-in page.
macro_rules! require_session {
    ($session:expr) => {
        match $session {
            Some(s) => s,
            None => return Ok(Redirect::to("/login").into_response()),
        }
    };
}

pub async fn home(session: Option<WebSession>) -> Redirect {
    Redirect::to(if session.is_some() {
        "/gallery"
    } else {
        "/login"
    })
}

// ---- Signing in and out ----

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
    fn new(state: &AppState, csrf: String, email: String, error: Option<String>) -> Self {
        Self {
            chrome: anonymous_chrome(csrf),
            email,
            error,
            signup_open: state.config.signup == SignupMode::Open,
            provider: state.oidc.get().map(|o| o.name.clone()),
            signed_out: false,
            end_session: None,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    signed_out: Option<String>,
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
    fn new(state: &AppState, csrf: String, invite: String) -> Self {
        let notice = match state.config.signup {
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
            chrome: anonymous_chrome(csrf),
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
fn anonymous_csrf(jar: CookieJar, state: &AppState) -> (CookieJar, String) {
    if let Some(existing) = jar.get(csrf::COOKIE) {
        let token = existing.value().to_owned();
        return (jar, token);
    }
    let token = sessions::random_token();
    let cookie = Cookie::build((csrf::COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies())
        .path("/");
    (jar.add(cookie), token)
}

fn anonymous_chrome(csrf: String) -> Chrome {
    Chrome { user: None, csrf }
}

pub async fn login_form(
    State(state): St,
    jar: CookieJar,
    session: Option<WebSession>,
    Query(query): Query<LoginQuery>,
) -> Response {
    if session.is_some() {
        return Redirect::to("/gallery").into_response();
    }
    let (jar, token) = anonymous_csrf(jar, &state);
    let mut page = LoginPage::new(&state, token, String::new(), None);
    if query.signed_out.is_some() {
        page.signed_out = true;
        if let Some(oidc) = state.oidc.get() {
            page.end_session = oidc.end_session_url().await;
        }
    }
    (jar, page).into_response()
}

/// The cookie that ties a sign-in at the provider to this browser.
const OIDC_COOKIE: &str = "gallery_oidc_state";

/// `GET /auth/oidc`: off to the provider, with PKCE, `state` and `nonce`. Each start keeps
/// a row until it is finished or expires, so starts are limited per client address.
pub async fn oidc_start(
    State(state): St,
    ClientIp(client): ClientIp,
    jar: CookieJar,
) -> PageResult {
    let oidc = state.oidc.get().ok_or(Error::NotFound)?;
    limits::hit(
        &state.db,
        Subject::ProviderStartAddress(client),
        Rate::per_minute(state.config.login_per_ip),
    )
    .await?;
    let (url, login_state) = oidc.start(&state.db).await?;
    let cookie = Cookie::build((OIDC_COOKIE, login_state))
        .http_only(true)
        // Sent on the top-level GET back from the provider, not on cross-site posts.
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path("/auth")
        .max_age(time::Duration::minutes(10))
        .build();
    Ok((jar.add(cookie), Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
pub struct OidcCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: checks `state` against this browser's, finishes the code flow
/// and signs in; any refusal is a page that says why, and no session.
pub async fn oidc_callback(
    State(state): St,
    jar: CookieJar,
    Query(callback): Query<OidcCallback>,
) -> PageResult {
    let oidc = state.oidc.get().ok_or(Error::NotFound)?;
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
    let identity = oidc.finish(&state.db, &given, &code).await?;
    let user = auth::sign_in_with(&state.db, &identity, &oidc.name, state.config.signup).await?;
    Ok(start_web_session(&state, jar, &user).await?)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path("/")
        .max_age(time::Duration::hours(state.config.session_hours))
        .build()
}

async fn start_web_session(state: &AppState, jar: CookieJar, user: &User) -> Result<Response> {
    let token = sessions::create(
        &state.db,
        &user.id,
        sessions::Kind::Web,
        state.config.session_hours,
    )
    .await?;
    Ok((
        jar.add(session_cookie(state, token)),
        Redirect::to("/gallery"),
    )
        .into_response())
}

pub async fn login(
    State(state): St,
    ClientIp(client): ClientIp,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let attempt = auth::sign_in(
        &state.db,
        &state.config,
        &form.email,
        &form.password,
        client,
    );
    match attempt.await {
        Ok(user) => start_web_session(&state, jar, &user)
            .await
            .unwrap_or_else(|e| PageError(e).into_response()),
        Err(err) => {
            let (status, _, message) = err.parts();
            let (jar, token) = anonymous_csrf(jar, &state);
            let email: String = form.email.chars().take(auth::MAX_EMAIL_LEN).collect();
            let page = LoginPage::new(&state, token, email, Some(message));
            (status, jar, page).into_response()
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SignupQuery {
    #[serde(default)]
    invite: Option<String>,
}

pub async fn signup_form(
    State(state): St,
    jar: CookieJar,
    Query(query): Query<SignupQuery>,
) -> Response {
    let (jar, token) = anonymous_csrf(jar, &state);
    let invite = query.invite.unwrap_or_default().chars().take(128).collect();
    (jar, SignupPage::new(&state, token, invite)).into_response()
}

#[derive(Deserialize)]
pub struct SignupForm {
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    invite: String,
}

pub async fn signup(
    State(state): St,
    ClientIp(client): ClientIp,
    jar: CookieJar,
    Form(form): Form<SignupForm>,
) -> Response {
    let attempt = auth::SignUp {
        email: &form.email,
        password: &form.password,
        display_name: Some(&form.display_name),
        invite: Some(&form.invite),
    };
    match auth::sign_up(&state.db, &state.config, attempt, client).await {
        Ok(user) => start_web_session(&state, jar, &user)
            .await
            .unwrap_or_else(|e| PageError(e).into_response()),
        Err(err) => {
            let (status, _, message) = err.parts();
            let (jar, token) = anonymous_csrf(jar, &state);
            let mut page = SignupPage::new(&state, token, form.invite.chars().take(128).collect());
            page.email = form.email.chars().take(auth::MAX_EMAIL_LEN).collect();
            page.display_name = form.display_name.chars().take(100).collect();
            page.error = Some(message);
            (status, jar, page).into_response()
        }
    }
}

pub async fn logout(State(state): St, jar: CookieJar, session: Option<WebSession>) -> PageResult {
    if let Some(WebSession(s)) = session {
        sessions::end(&state.db, &s.token_hash).await?;
    }
    Ok((
        // Photos seen in this browser are not left in its cache for the next person.
        [(
            axum::http::HeaderName::from_static("clear-site-data"),
            "\"cache\"",
        )],
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login?signed_out=1"),
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    message: Option<String>,
    error: Option<String>,
    has_password: bool,
    min_len: usize,
}

fn account_page(
    session: &WebSession,
    message: Option<String>,
    error: Option<String>,
) -> AccountPage {
    AccountPage {
        chrome: Chrome::of(session),
        message,
        error,
        has_password: session.0.user.has_password,
        min_len: auth::password::MIN_LEN,
    }
}

pub async fn account(session: Option<WebSession>) -> PageResult {
    let session = require_session!(session);
    Ok(account_page(&session, None, None).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): St,
    session: Option<WebSession>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let session = require_session!(session);
    Ok(
        match auth::change_password(
            &state.db,
            &session.0,
            &form.current_password,
            &form.new_password,
        )
        .await
        {
            Ok(()) => account_page(
                &session,
                Some("Your password has been changed.".into()),
                None,
            )
            .into_response(),
            Err(err) => {
                let (status, _, message) = err.parts();
                (status, account_page(&session, None, Some(message))).into_response()
            }
        },
    )
}

// ---- Folders and the gallery ----

#[derive(Template, WebTemplate)]
#[template(path = "folder.html")]
struct FolderPage {
    chrome: Chrome,
    folder: Option<Folder>,
    crumbs: Vec<Crumb>,
    subfolders: Vec<Folder>,
    images: Vec<Image>,
    destinations: Vec<Crumb>,
    sort: &'static str,
    order: &'static str,
    error: Option<String>,
    max_upload_mb: usize,
    oob: bool,
    query: Option<String>,
    /// The address of the next page of photos, when there are more than one page holds.
    more: Option<String>,
    /// Whether the search covers the whole gallery rather than this folder and below.
    everywhere: bool,
    /// Why the search could not run (too long, nothing to search for).
    search_error: Option<String>,
}

impl FolderPage {
    fn has_pending(&self) -> bool {
        self.images.iter().any(Image::is_pending)
    }

    fn folder_id(&self) -> &str {
        self.folder.as_ref().map_or("", |f| f.id.as_str())
    }

    fn parent_href(&self) -> String {
        match self.folder.as_ref().and_then(|f| f.parent_id.as_deref()) {
            Some(parent) => format!("/gallery/{parent}"),
            None => "/gallery".to_owned(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    #[serde(default)]
    q: Option<String>,
    /// `all` searches the whole gallery; otherwise this folder and everything below it.
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    sort: Option<SortKey>,
    #[serde(default)]
    order: Order,
    /// The cursor of the page of photos to show.
    #[serde(default)]
    after: Option<String>,
}

async fn folder_page(
    state: &AppState,
    session: &WebSession,
    folder_id: Option<&str>,
    view: &ViewQuery,
    error: Option<Error>,
) -> PageResult {
    let owner = &session.0.user.id;
    let folder = match folder_id {
        Some(id) => Some(folders::get(&state.db, owner, id).await?),
        None => None,
    };
    let crumbs = match folder_id {
        Some(id) => folders::breadcrumbs(&state.db, owner, id).await?,
        None => Vec::new(),
    };
    let query = view
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    let everywhere = view.scope.as_deref() == Some("all");
    let mut search_error = None;
    let page = PageQuery {
        limit: None,
        after: view.after.clone(),
    };
    let empty = || images::Listing {
        images: Vec::new(),
        next: None,
    };
    let (listing, sort) = match &query {
        Some(q) => {
            let sort = view.sort.unwrap_or(SortKey::Relevance);
            let scope = if everywhere { None } else { folder_id };
            match images::search(&state.db, owner, scope, q, sort, view.order, &page).await {
                Ok(found) => (found, sort),
                // A query that cannot be searched for is answered in the page.
                Err(Error::BadRequest(message)) => {
                    search_error = Some(message);
                    (empty(), sort)
                }
                Err(err) => return Err(err.into()),
            }
        }
        None => {
            let sort = view.sort.unwrap_or_default();
            let sort = if sort == SortKey::Relevance {
                SortKey::Date
            } else {
                sort
            };
            (
                images::list(&state.db, owner, folder_id, sort, view.order, &page).await?,
                sort,
            )
        }
    };
    let more = listing.next.map(|cursor| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(q) = &query {
            pairs.push(("q", q));
            if everywhere {
                pairs.push(("scope", "all"));
            }
        }
        pairs.push(("sort", sort.as_str()));
        pairs.push((
            "order",
            match view.order {
                Order::Asc => "asc",
                Order::Desc => "desc",
            },
        ));
        pairs.push(("after", &cursor));
        format!(
            "{}?{}",
            folder_href(folder_id),
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    });
    let images = listing.images;
    let (status, message) = match error {
        Some(err) => {
            let (status, _, message) = err.parts();
            (status, Some(message))
        }
        None => (StatusCode::OK, None),
    };
    let page = FolderPage {
        chrome: Chrome::of(session),
        subfolders: folders::children(
            &state.db,
            owner,
            folder_id,
            &PageQuery {
                limit: Some(paging::MAX_LIMIT.to_string()),
                after: None,
            },
        )
        .await?
        .0,
        images,
        query,
        more,
        destinations: folders::all_paths(&state.db, owner).await?,
        folder,
        crumbs,
        sort: sort.as_str(),
        everywhere,
        search_error,
        order: match view.order {
            Order::Asc => "asc",
            Order::Desc => "desc",
        },
        error: message,
        max_upload_mb: state.config.max_upload_bytes.div_ceil(1 << 20),
        oob: false,
    };
    Ok((status, page).into_response())
}

pub async fn root_folder(
    State(state): St,
    session: Option<WebSession>,
    Query(view): Query<ViewQuery>,
) -> PageResult {
    let session = require_session!(session);
    folder_page(&state, &session, None, &view, None).await
}

pub async fn folder(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
    Query(view): Query<ViewQuery>,
) -> PageResult {
    let session = require_session!(session);
    folder_page(&state, &session, Some(&id), &view, None).await
}

fn folder_href(id: Option<&str>) -> String {
    id.map_or_else(|| "/gallery".to_owned(), |id| format!("/gallery/{id}"))
}

/// After a form on a folder page: back to `target`, or the page again with the error.
async fn after_form(
    state: &AppState,
    session: &WebSession,
    page_folder: Option<&str>,
    result: Result<String>,
) -> PageResult {
    match result {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(Error::NotFound) => Err(PageError(Error::NotFound)),
        Err(err) => {
            folder_page(
                state,
                session,
                page_folder,
                &ViewQuery::default(),
                Some(err),
            )
            .await
        }
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
pub struct NewFolderForm {
    name: String,
    parent_id: Option<String>,
}

pub async fn create_folder(
    State(state): St,
    session: Option<WebSession>,
    Form(form): Form<NewFolderForm>,
) -> PageResult {
    let session = require_session!(session);
    let parent = non_empty(&form.parent_id);
    let result = folders::create(&state.db, &session.0.user.id, &form.name, parent)
        .await
        .map(|_| folder_href(parent));
    after_form(&state, &session, parent, result).await
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
}

pub async fn rename_folder(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> PageResult {
    let session = require_session!(session);
    let result = folders::rename(&state.db, &session.0.user.id, &id, &form.name)
        .await
        .map(|f| folder_href(Some(&f.id)));
    after_form(&state, &session, Some(&id), result).await
}

#[derive(Deserialize)]
pub struct MoveFolderForm {
    parent_id: Option<String>,
}

pub async fn move_folder(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
    Form(form): Form<MoveFolderForm>,
) -> PageResult {
    let session = require_session!(session);
    let result = folders::move_to(
        &state.db,
        &session.0.user.id,
        &id,
        non_empty(&form.parent_id),
    )
    .await
    .map(|f| folder_href(Some(&f.id)));
    after_form(&state, &session, Some(&id), result).await
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    title: String,
    message: String,
    action: String,
    fields: Vec<(&'static str, String)>,
    button: &'static str,
    cancel_href: String,
}

pub async fn confirm_delete_folder(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> PageResult {
    let session = require_session!(session);
    let owner = &session.0.user.id;
    let folder = folders::get(&state.db, owner, &id).await?;
    let inside = folders::contents(&state.db, owner, &id).await?;
    Ok(ConfirmPage {
        chrome: Chrome::of(&session),
        title: format!("Delete the folder \u{201c}{}\u{201d}?", folder.name),
        message: format!(
            "This deletes the folder with everything inside it: {} and {}. This cannot be undone.",
            plural(inside.folders, "sub-folder"),
            plural(inside.images, "photo")
        ),
        action: format!("/folders/{id}/delete"),
        fields: Vec::new(),
        button: "Delete folder",
        cancel_href: folder_href(Some(&id)),
    }
    .into_response())
}

fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub async fn delete_folder(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> PageResult {
    let session = require_session!(session);
    let owner = &session.0.user.id;
    let folder = folders::get(&state.db, owner, &id).await?;
    folders::delete(&state.db, &state.storage, owner, &id).await?;
    Ok(Redirect::to(&folder_href(folder.parent_id.as_deref())).into_response())
}

// ---- Photos ----

/// The upload endpoint of the page's script: multipart like the API, CSRF in a header.
pub async fn upload(
    State(state): St,
    session: Option<WebSession>,
    multipart: Multipart,
) -> Result<Response> {
    let Some(WebSession(session)) = session else {
        return Err(Error::Unauthorized(
            "your session has ended; sign in again".into(),
        ));
    };
    if let Err(full) = images::ingest::check_room(&state, &session.user.id).await {
        images::upload::discard(multipart).await;
        return Err(full);
    }
    let form = images::upload::read(multipart, state.upload_policy(), &state.decode_slots).await?;
    let stored = images::ingest::store(
        &state,
        &session.user.id,
        form.folder_id.as_deref(),
        form.files,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// A selection form: the chosen image ids and where they are.
#[derive(Deserialize)]
pub struct SelectionForm {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    confirmed: Option<String>,
}

fn selection_form(body: &[u8]) -> Result<SelectionForm> {
    serde_html_form::from_bytes(body)
        .map_err(|e| Error::bad_request(format!("the form is not valid: {e}")))
}

pub async fn move_images(
    State(state): St,
    session: Option<WebSession>,
    body: axum::body::Bytes,
) -> PageResult {
    let session = require_session!(session);
    let form = selection_form(&body)?;
    let from = non_empty(&form.from);
    let result = if form.ids.is_empty() {
        Err(Error::bad_request("select at least one photo to move"))
    } else {
        images::move_to(
            &state.db,
            &session.0.user.id,
            &form.ids,
            non_empty(&form.folder_id),
        )
        .await
        .map(|()| folder_href(from))
    };
    after_form(&state, &session, from, result).await
}

pub async fn delete_images(
    State(state): St,
    session: Option<WebSession>,
    body: axum::body::Bytes,
) -> PageResult {
    let session = require_session!(session);
    let form = selection_form(&body)?;
    let from = non_empty(&form.from).map(str::to_owned);
    if form.ids.is_empty() {
        let err = Error::bad_request("select at least one photo to delete");
        return after_form(&state, &session, from.as_deref(), Err(err)).await;
    }
    let owner = &session.0.user.id;
    if form.confirmed.as_deref() != Some("yes") {
        let chosen = images::get_all(&state.db, owner, &form.ids).await?;
        let names: Vec<String> = chosen.iter().map(|i| i.filename.clone()).collect();
        let mut fields: Vec<(&'static str, String)> =
            chosen.iter().map(|i| ("ids", i.id.clone())).collect();
        fields.push(("from", from.clone().unwrap_or_default()));
        fields.push(("confirmed", "yes".into()));
        let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        let more = if names.len() > 5 {
            format!(" and {} more", names.len() - 5)
        } else {
            String::new()
        };
        return Ok(ConfirmPage {
            chrome: Chrome::of(&session),
            title: format!("Delete {}?", plural(names.len() as i64, "photo")),
            message: format!("{shown}{more} will be deleted for good. This cannot be undone."),
            action: "/images/delete".into(),
            fields,
            button: "Delete",
            cancel_href: folder_href(from.as_deref()),
        }
        .into_response());
    }
    images::delete(&state.db, &state.storage, owner, &form.ids).await?;
    Ok(Redirect::to(&folder_href(from.as_deref())).into_response())
}

pub async fn original(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let session = session.ok_or(PageError(Error::NotFound))?;
    let owner = &session.0.user.id;
    Ok(crate::api::send_object(&state, owner, &id, Variant::Original, &headers).await?)
}

pub async fn thumbnail(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let session = session.ok_or(PageError(Error::NotFound))?;
    let owner = &session.0.user.id;
    Ok(crate::api::send_object(&state, owner, &id, Variant::Thumbnail, &headers).await?)
}

/// Cards of photos whose status the page is waiting for, swapped in out of band by htmx.
#[derive(Template, WebTemplate)]
#[template(
    source = "{% for image in images %}{% include \"card.html\" %}{% endfor %}",
    ext = "html"
)]
struct StatusCards {
    chrome: Chrome,
    images: Vec<Image>,
    oob: bool,
}

/// htmx stops polling when it gets this status.
const STOP_POLLING: u16 = 286;

/// The current cards of the photos the page lists as pending (`pending=ID`, repeated).
pub async fn statuses(
    State(state): St,
    session: Option<WebSession>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let session = require_session!(session);
    let wanted: Vec<(String, String)> =
        serde_html_form::from_str(query.as_deref().unwrap_or_default())
            .map_err(|e| Error::bad_request(format!("the query is not valid: {e}")))?;
    let ids: Vec<String> = wanted
        .into_iter()
        .filter(|(k, _)| k == "pending")
        .map(|(_, id)| id)
        .take(500)
        .collect();
    let images = images::get_many(&state.db, &session.0.user.id, &ids).await?;
    let status = if images.iter().any(Image::is_pending) {
        StatusCode::OK
    } else {
        StatusCode::from_u16(STOP_POLLING).unwrap_or(StatusCode::OK)
    };
    Ok((
        status,
        StatusCards {
            chrome: Chrome::of(&session),
            images,
            oob: true,
        },
    )
        .into_response())
}

/// Queues one photo for classification again (the Retry button of a failed one).
pub async fn reclassify_one(
    State(state): St,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> PageResult {
    let session = require_session!(session);
    let owner = &session.0.user.id;
    let image = images::get(&state.db, owner, &id).await?;
    images::reclassify(&state, owner, std::slice::from_ref(&id)).await?;
    Ok(Redirect::to(&folder_href(image.folder_id.as_deref())).into_response())
}

/// Queues the selected photos for classification again.
pub async fn reclassify_selected(
    State(state): St,
    session: Option<WebSession>,
    body: axum::body::Bytes,
) -> PageResult {
    let session = require_session!(session);
    let form = selection_form(&body)?;
    let from = non_empty(&form.from);
    if form.ids.is_empty() {
        let err = Error::bad_request("select at least one photo to classify again");
        return after_form(&state, &session, from, Err(err)).await;
    }
    images::reclassify(&state, &session.0.user.id, &form.ids).await?;
    Ok(Redirect::to(&folder_href(from)).into_response())
}

/// A voice (or typed) command from the page: interpreted and carried out in the page's
/// context. `answer` ("confirm"/"cancel") is a click on the confirmation dialog.
#[derive(Deserialize)]
pub struct VoiceCommand {
    #[serde(default)]
    text: String,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default, flatten)]
    context: crate::voice::Context,
}

pub async fn voice_command(
    State(state): St,
    session: Option<WebSession>,
    body: std::result::Result<Json<VoiceCommand>, axum::extract::rejection::JsonRejection>,
) -> Result<Response> {
    let Some(WebSession(session)) = session else {
        return Err(Error::Unauthorized(
            "your session has ended; sign in again".into(),
        ));
    };
    let Json(command) = body?;
    let interpretation = match command.answer.as_deref() {
        Some(answer @ ("confirm" | "cancel")) => intent::Interpretation {
            intent: answer.to_owned(),
            confidence: 1.0,
            slots: Default::default(),
        },
        Some(_) => return Err(Error::bad_request("answer must be confirm or cancel")),
        None => crate::voice::interpret(&state, &command.text).await?,
    };
    let outcome = crate::voice::act(
        &state,
        &session.token_hash,
        &session.user.id,
        interpretation,
        command.context,
    )
    .await?;
    Ok(Json(outcome).into_response())
}
