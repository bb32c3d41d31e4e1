//! Links for anyone: a folder (with everything below it) or a selection of photos, opened
//! at `/s/TOKEN` by whoever has the link, without an account. The token (256 random bits)
//! is shown once and kept only as its SHA-256; a link may expire, ask for a password
//! (argon2, attempts limited), forbid downloads of the originals, and hide place and camera.
//! Revoking deletes it: its next request is answered as for a token that never was. Which
//! photos a link shows is [`crate::access`]'s to say.

use serde::Serialize;

use crate::access;
use crate::admin::{self, Actor};
use crate::auth::{self, User};
use crate::db::{Db, new_id, now_ms, placeholders, rfc3339};
use crate::error::{Error, Result};
use crate::images;

/// At most this many links per account.
pub const MAX_LINKS: i64 = 1000;

/// What a new link shows, and how.
#[derive(Debug, Default)]
pub struct NewLink<'a> {
    pub folder_id: Option<&'a str>,
    pub image_ids: Vec<String>,
    /// An RFC 3339 time or a date; none: it never expires.
    pub expires_at: Option<&'a str>,
    pub password: Option<&'a str>,
    pub allow_download: bool,
    pub hide_place: bool,
}

/// A link as its owner sees it (never its token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkInfo {
    pub id: String,
    pub folder_id: Option<String>,
    /// The folder's name, for a folder's link.
    pub folder_name: Option<String>,
    /// How many photos it shows now.
    pub image_count: i64,
    pub expires_at: Option<String>,
    pub has_password: bool,
    pub allow_download: bool,
    pub hide_place: bool,
    /// How often its page was opened.
    pub opened: i64,
    pub created_at: String,
}

/// Makes a link: its id and token. A folder's link is its owner's to make; a selection's
/// photos must be one's own.
pub async fn create(db: &Db, owner: &User, new: NewLink<'_>) -> Result<(String, String)> {
    let expires_at = new.expires_at.map(auth::access::parse_time).transpose()?;
    if expires_at.is_some_and(|at| at <= now_ms()) {
        return Err(Error::bad_request("expires_at must be in the future"));
    }
    let password_hash = match new.password.filter(|p| !p.is_empty()) {
        Some(p) if p.chars().count() > 200 => {
            return Err(Error::bad_request(
                "a link's password has at most 200 characters",
            ));
        }
        Some(p) => Some(auth::password::hash(p.to_owned()).await?),
        None => None,
    };
    let mut what = String::new();
    let selection = match (new.folder_id, new.image_ids.is_empty()) {
        (Some(folder), true) => {
            let folder = crate::folders::owned(db, &owner.id, folder).await?;
            what = format!("folder “{}”", folder.name);
            None
        }
        (None, false) => {
            let ids = images::selection(&new.image_ids)?;
            let own = own_photos(db, &owner.id, &ids).await?;
            if own != ids.len() as i64 {
                // 404 for a photo one may not see, 403 for one shared with one.
                for id in &ids {
                    access::visible_photo(db, &owner.id, id)
                        .await?
                        .require_mine()?;
                }
                return Err(Error::NotFound);
            }
            Some(ids)
        }
        _ => {
            return Err(Error::bad_request(
                "a link is for a folder (folder_id) or for photos (image_ids), not both",
            ));
        }
    };
    auth::limits::hit(
        db,
        auth::limits::Subject::Sharing(&owner.id),
        auth::limits::Rate::per_hour(1000),
    )
    .await?;
    let token = auth::sessions::random_token();
    let id = new_id();
    let mut tx = db.begin().await?;
    crate::db::lock_owner(&mut tx, &owner.id).await?;
    let (links,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM links WHERE owner_id = $1")
        .bind(&owner.id)
        .fetch_one(&mut *tx)
        .await?;
    if links >= MAX_LINKS {
        return Err(Error::Conflict(format!(
            "you have {MAX_LINKS} links; revoke some first"
        )));
    }
    sqlx::query(
        "INSERT INTO links (id, token_hash, owner_id, folder_id, expires_at, password_hash,
                            allow_download, hide_place, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(access::token_hash(&token))
    .bind(&owner.id)
    .bind(new.folder_id)
    .bind(expires_at)
    .bind(password_hash)
    .bind(i64::from(new.allow_download))
    .bind(i64::from(new.hide_place))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    for image in selection.iter().flatten() {
        sqlx::query("INSERT INTO link_images (link_id, image_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(image)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(ids) = &selection {
        what = format!("{} photos", ids.len());
    }
    admin::log(
        &mut tx,
        &Actor::admin(owner),
        "make link",
        Some((&id, &what)),
        expires_at
            .map(rfc3339)
            .map(|at| format!("until {at}"))
            .as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

async fn own_photos(db: &Db, owner: &str, ids: &[String]) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM images WHERE owner_id = $1 AND trashed_at IS NULL AND id IN ({})",
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(owner);
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_one(db).await?.0)
}

/// One's links, newest first.
pub async fn list(db: &Db, owner: &str) -> Result<Vec<LinkInfo>> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.id, l.folder_id, f.name, l.expires_at, l.password_hash, l.allow_download,
                l.hide_place, l.opened, l.created_at,
                (SELECT COUNT(*) FROM link_images li JOIN images i ON i.id = li.image_id
                  WHERE li.link_id = l.id AND i.trashed_at IS NULL)
           FROM links l LEFT JOIN folders f ON f.id = l.folder_id
          WHERE l.owner_id = $1 ORDER BY l.created_at DESC, l.id",
    )
    .bind(owner)
    .fetch_all(db)
    .await?;
    let mut links = Vec::with_capacity(rows.len());
    for (id, folder_id, folder_name, expires, password, download, hide, opened, created, n) in rows
    {
        let image_count = match &folder_id {
            Some(folder) => folder_photos(db, folder).await?,
            None => n,
        };
        links.push(LinkInfo {
            id,
            folder_id,
            folder_name,
            image_count,
            expires_at: expires.map(rfc3339),
            has_password: password.is_some(),
            allow_download: download != 0,
            hide_place: hide != 0,
            opened,
            created_at: rfc3339(created),
        });
    }
    Ok(links)
}

/// The photos in a folder and below it, none in the Trash.
async fn folder_photos(db: &Db, folder: &str) -> Result<i64> {
    let sql = format!(
        "{} SELECT COUNT(*) FROM images WHERE trashed_at IS NULL AND folder_id IN (SELECT id FROM subtree)",
        crate::folders::SUBTREE_OF_ANYONE
    );
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folder)
        .fetch_one(db)
        .await?;
    Ok(n)
}

/// Revokes one of one's links, at once.
pub async fn revoke(db: &Db, owner: &User, id: &str) -> Result<()> {
    let named: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT f.name FROM links l LEFT JOIN folders f ON f.id = l.folder_id
          WHERE l.id = $1 AND l.owner_id = $2",
    )
    .bind(id)
    .bind(&owner.id)
    .fetch_optional(db)
    .await?;
    let what = match named {
        Some((Some(name),)) => format!("folder “{name}”"),
        Some((None,)) => "selected photos".to_owned(),
        None => return Err(Error::NotFound),
    };
    let mut tx = db.begin().await?;
    let gone = sqlx::query("DELETE FROM links WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(&owner.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(Error::NotFound);
    }
    admin::log(
        &mut tx,
        &Actor::admin(owner),
        "revoke link",
        Some((id, &what)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Counts one opening of a link's page.
pub async fn opened(db: &Db, link: &access::Link) -> Result<()> {
    sqlx::query("UPDATE links SET opened = opened + 1 WHERE id = $1")
        .bind(&link.id)
        .execute(db)
        .await?;
    Ok(())
}
