//! Extractors of the API: the caller (by bearer token), JSON bodies and queries, each
//! refusing in the API's `{"error": …}` form.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Deserializer};

use crate::auth::sessions::{self, Session};
use crate::auth::two_step;
use crate::config::Config;
use crate::db::Db;
use crate::error::Error;

/// The signed-in caller of the JSON API, from `Authorization: Bearer TOKEN`.
pub struct ApiUser(pub Session);

/// What a read-only token may still ask with POST: a ZIP of photos it may see, and to end
/// itself.
const READING_POSTS: &[&str] = &["/api/v1/images/zip", "/api/v1/auth/logout"];

/// What someone who must set up two-step sign-in may still do: see who they are, set it
/// up, sign out.
fn setting_up(path: &str) -> bool {
    path == "/api/v1/me" || path.starts_with("/api/v1/me/two-step") || path == "/api/v1/auth/logout"
}

impl<S> FromRequestParts<S> for ApiUser
where
    Db: FromRef<S>,
    std::sync::Arc<Config>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::Unauthorized("sign in first: send Authorization: Bearer TOKEN".into())
            })?;
        let session = sessions::find(&Db::from_ref(state), token, sessions::Kind::Api)
            .await?
            .ok_or_else(|| {
                Error::Unauthorized("the token is invalid or has expired; sign in again".into())
            })?;
        // Under `/api/v1`, the router sees the path without it; the rules name whole paths.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |o| o.path().to_owned());
        let path = path.as_str();
        let writes = !parts.method.is_safe() && !READING_POSTS.contains(&path);
        if session.read_only && writes {
            return Err(Error::Forbidden(
                "this token may only read; make a token with the write scope to change things"
                    .into(),
            ));
        }
        let config = std::sync::Arc::<Config>::from_ref(state);
        if two_step::must_set_up(&config, &session) && !setting_up(path) {
            return Err(Error::Forbidden(
                "this gallery asks you to set up two-step sign-in first (POST /api/v1/me/two-step)"
                    .into(),
            ));
        }
        Ok(Self(session))
    }
}

/// A signed-in admin of the JSON API; anyone else gets 403.
pub struct ApiAdmin(pub Session);

impl<S> FromRequestParts<S> for ApiAdmin
where
    Db: FromRef<S>,
    std::sync::Arc<Config>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let ApiUser(session) = ApiUser::from_request_parts(parts, state).await?;
        if !session.user.is_admin() {
            return Err(Error::Forbidden("only an admin can do this".into()));
        }
        Ok(Self(session))
    }
}

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Error::Unsupported("send a JSON body with Content-Type: application/json".into())
            }
            other => Error::bad_request(format!(
                "the request body is not valid: {}",
                other.body_text()
            )),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::bad_request(format!("the query is not valid: {}", rejection.body_text()))
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
