//! The page of a link for anyone (`/s/TOKEN`): the photos it shows in a grid, each opening
//! larger, downloads when its owner allows them; a password form first when it has one.
//! No account, no session and no cookie but the password's (kept for that link's path).
//! Every answer for a token that opens nothing (never was, revoked, expired) is the same
//! 404, and such tokens from one client meet a limit. Pages are `noindex`.

use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::frame::PageResult;
use crate::access::{self, Link};
use crate::auth::limits::{self, Rate, Subject};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::images::{self, Image, Variant};
use crate::net::ClientIp;
use crate::paging::PageQuery;
use crate::state::AppState;
use crate::storage::Storage;

const COOKIE: &str = "gallery_link";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(page).post(unlock))
        .route("/s/{token}/images", get(photos))
        .route("/s/{token}/images/{id}/{variant}", get(photo))
}

/// What proves the password was given for this link: no one without the stored hash can
/// make it, and it changes with the password.
fn proof(link: &Link, token: &str) -> Option<String> {
    let hash = link.password_hash.as_deref()?;
    Some(hex::encode(sha2::Sha256::digest(
        format!("{hash}\n{}", token.to_ascii_lowercase()).as_bytes(),
    )))
}

/// The link a token opens, or 404 (counted against the client: guessing meets a limit).
async fn open(db: &Db, client: IpAddr, token: &str) -> Result<Link> {
    match access::link(db, token).await? {
        Some(link) => Ok(link),
        None => {
            limits::hit(db, Subject::LinkGuess(client), Rate::per_minute(30)).await?;
            Err(Error::NotFound)
        }
    }
}

/// The link, when its password (if any) was given in this browser.
async fn unlocked(db: &Db, client: IpAddr, token: &str, jar: &CookieJar) -> Result<Link> {
    let link = open(db, client, token).await?;
    match proof(&link, token) {
        Some(expected) if jar.get(COOKIE).map(Cookie::value) != Some(expected.as_str()) => Err(
            Error::Unauthorized("this link needs its password; open it and give it first".into()),
        ),
        _ => Ok(link),
    }
}

fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[derive(Template, WebTemplate)]
#[template(path = "link.html")]
struct LinkPage {
    token: String,
    images: Vec<Image>,
    more: Option<String>,
    allow_download: bool,
    /// Asks for the password first (with why, after a wrong one).
    locked: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct After {
    #[serde(default)]
    after: Option<String>,
}

async fn page(
    State(db): State<Db>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
    Query(after): Query<After>,
    jar: CookieJar,
) -> PageResult {
    let link = open(&db, client, &token).await?;
    if proof(&link, &token).is_some_and(|p| jar.get(COOKIE).map(Cookie::value) != Some(&p)) {
        return Ok(private(locked(token, None, StatusCode::OK)));
    }
    if after.after.is_none() {
        crate::links::opened(&db, &link).await?;
    }
    let page = PageQuery {
        limit: Some(super::folders::PAGE_SIZE.to_string()),
        after: after.after,
    };
    let listing = images::linked(&db, &link, &page).await?;
    let more = listing
        .next
        .map(|cursor| super::frame::with_query(&format!("/s/{token}"), "after", &cursor));
    Ok(private(
        LinkPage {
            token,
            images: listing.images,
            more,
            allow_download: link.allow_download,
            locked: false,
            error: None,
        }
        .into_response(),
    ))
}

fn locked(token: String, error: Option<String>, status: StatusCode) -> Response {
    let page = LinkPage {
        token,
        images: Vec::new(),
        more: None,
        allow_download: false,
        locked: true,
        error,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

impl PasswordForm {
    /// The password as a form sends it, or as JSON (`{"password"}`) from a script.
    fn read(headers: &HeaderMap, body: &[u8]) -> Result<Self> {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        let read = if json {
            serde_json::from_slice(body).map_err(|e| e.to_string())
        } else {
            serde_urlencoded::from_bytes(body).map_err(|e| e.to_string())
        };
        read.map_err(|e| Error::bad_request(format!("send the link's password (password): {e}")))
    }
}

async fn unlock(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
    jar: CookieJar,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult {
    let link = open(&db, client, &token).await?;
    let form = PasswordForm::read(&headers, &body)?;
    let Some(expected) = proof(&link, &token) else {
        return Ok(Redirect::to(&format!("/s/{token}")).into_response());
    };
    // Each client's tries count; the link's own budget only its wrong ones (someone who has
    // the link but not the password must not lock out those who have both).
    limits::hit(
        &db,
        Subject::LinkPasswordAddress(client),
        Rate::per_minute(10),
    )
    .await?;
    let right = crate::auth::password::verify(form.password, link.password_hash.clone()).await;
    if !right {
        limits::hit(&db, Subject::LinkPassword(&link.id), Rate::per_minute(10)).await?;
        let said = Some("That is not the link's password.".to_owned());
        return Ok(private(locked(token, said, StatusCode::UNAUTHORIZED)));
    }
    let cookie = Cookie::build((COOKIE, expected))
        .path(format!("/s/{token}"))
        .http_only(true)
        .secure(config.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(1))
        .build();
    Ok((jar.add(cookie), Redirect::to(&format!("/s/{token}"))).into_response())
}

/// A photo as a link shows it: no labels, camera or place.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkedPhoto {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub taken_at: Option<String>,
}

async fn photos(
    State(db): State<Db>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
    uri: OriginalUri,
    Query(page): Query<PageQuery>,
    jar: CookieJar,
) -> std::result::Result<Response, Error> {
    let link = unlocked(&db, client, &token, &jar).await?;
    let listing = images::linked(&db, &link, &page).await?;
    let photos: Vec<LinkedPhoto> = listing
        .images
        .into_iter()
        .map(|i| LinkedPhoto {
            id: i.id,
            filename: i.filename,
            content_type: i.content_type,
            width: i.width,
            height: i.height,
            taken_at: i.taken_at,
        })
        .collect();
    let mut response = Json(photos).into_response();
    if let Some(cursor) = listing.next {
        let link = crate::paging::next_link(uri.path(), uri.query(), &cursor);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(private(response))
}

async fn photo(
    State(db): State<Db>,
    State(storage): State<Storage>,
    ClientIp(client): ClientIp,
    Path((token, id, variant)): Path<(String, String, String)>,
    headers: HeaderMap,
    jar: CookieJar,
) -> std::result::Result<Response, Error> {
    let link = unlocked(&db, client, &token, &jar).await?;
    let asked = Variant::named(&variant).ok_or(Error::NotFound)?;
    if !access::link_photo(&db, &link, &id).await? {
        return Err(Error::NotFound);
    }
    let restricted = link.hide_place || !link.allow_download;
    let variant = match asked {
        Variant::Original if !link.allow_download => {
            return Err(Error::Forbidden(
                "the owner of this link does not allow downloads".into(),
            ));
        }
        Variant::Original if !link.hide_place => Variant::Original,
        Variant::Thumbnail => Variant::Thumbnail,
        Variant::Display if !restricted => Variant::Display,
        // The original with its place hidden, or the rendition where the original may not
        // go out: the rendition, made from the pixels alone (no EXIF); a photo stored
        // before renditions has none (its "display" is the original), so the thumbnail.
        _ if images::has_display(&db, &id).await? => Variant::Display,
        _ => Variant::Thumbnail,
    };
    let seen = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let download = images::download::linked_download(&db, &storage, &id, variant, seen).await?;
    Ok(private(download.into_response()))
}
