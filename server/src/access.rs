//! The one place that decides who may see or change a folder or a photo.
//!
//! A folder is its owner's; a share gives a person a role (`viewer` or `contributor`) on a
//! folder and everything below it. What someone may do with a folder is the best of what
//! its owner is (everything) and what the shares on it and on each folder above it give
//! them, found by walking up at most [`MAX_DEPTH`] folders. A photo is its owner's (who
//! added it, whatever folder it is in), and seen by whoever may see its folder. Nothing in
//! the Trash is seen by anyone but its owner, and nothing of a disabled account by anyone. Every read and write of folders and photos
//! asks here first; listings use the same rules as SQL ([`shared_tree`], [`Scope`]).

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{Error, Result};

/// How deep folders may nest (a folder at the top level is at depth 1); every walk of the
/// tree stops there, loop or not.
pub const MAX_DEPTH: i64 = 64;

/// What a person may do with a folder: see it (and search and download), also add photos
/// to it, or everything (its owner).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Contributor,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Contributor => "contributor",
            Role::Owner => "owner",
        }
    }

    /// A role a share may give (`viewer` or `contributor`), as people write it.
    pub fn shared(text: &str) -> Result<Self> {
        match text.trim().to_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "contributor" => Ok(Role::Contributor),
            _ => Err(Error::bad_request(
                "a folder is shared as \"viewer\" or \"contributor\"",
            )),
        }
    }

    /// The rank SQL computes for the best share ([`BEST_SHARE`]).
    fn ranked(rank: Option<i64>) -> Option<Self> {
        match rank {
            Some(2) => Some(Role::Contributor),
            Some(1) => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// Whose photos a listing or a search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One's own photos, wherever they are.
    #[default]
    Mine,
    /// The photos in shared folders: shared with one, or one's own shared with others.
    Shared,
    /// Both.
    All,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Mine => "mine",
            Scope::Shared => "shared",
            Scope::All => "all",
        }
    }

    pub fn named(text: &str) -> Option<Self> {
        match text {
            "mine" => Some(Scope::Mine),
            "shared" => Some(Scope::Shared),
            "all" | "both" => Some(Scope::All),
            _ => None,
        }
    }

    /// The `WITH RECURSIVE` parts this scope needs (with a leading comma, to follow other
    /// parts), for the user bound at `$user`.
    pub fn with(self, user: usize) -> String {
        match self {
            Scope::Mine => String::new(),
            Scope::Shared | Scope::All => format!(", {}", shared_tree(user)),
        }
    }

    /// The whole `WITH RECURSIVE` clause this scope needs (none for one's own).
    pub fn with_clause(self, user: usize) -> String {
        match self {
            Scope::Mine => String::new(),
            Scope::Shared | Scope::All => format!("WITH RECURSIVE {}", shared_tree(user)),
        }
    }

    /// The condition on an image `i` that this scope covers, for the user at `$user`.
    pub fn condition(self, user: usize) -> String {
        match self {
            Scope::Mine => format!("i.owner_id = ${user}"),
            Scope::Shared => "i.folder_id IN (SELECT id FROM shared_tree)".to_owned(),
            Scope::All => {
                format!("(i.owner_id = ${user} OR i.folder_id IN (SELECT id FROM shared_tree))")
            }
        }
    }
}

/// `shared_tree(id, depth)`: the shared folders of the user bound at `$user` (shared with
/// them, or theirs shared with others) and every folder below them, none in the Trash; at
/// most [`MAX_DEPTH`] deep, loop or not.
pub fn shared_tree(user: usize) -> String {
    format!(
        "shared_tree(id, depth) AS (
            SELECT f.id, 1 FROM folder_shares s JOIN folders f ON f.id = s.folder_id
              JOIN users u ON u.id = f.owner_id
             WHERE (s.user_id = ${user} OR f.owner_id = ${user}) AND f.trashed_at IS NULL
               AND (u.disabled_at IS NULL OR f.owner_id = ${user})
            UNION
            SELECT f.id, t.depth + 1 FROM folders f JOIN shared_tree t ON f.parent_id = t.id
             WHERE t.depth < {MAX_DEPTH} AND f.trashed_at IS NULL)"
    )
}

/// The condition on an image `i` that the user at `$1` may see it (with [`shared_tree`]
/// of `$1`): theirs, in a folder of theirs, or in a folder shared with them.
pub const VISIBLE: &str = "(i.owner_id = $1 OR i.folder_id IN (SELECT id FROM shared_tree)
    OR i.folder_id IN (SELECT id FROM folders WHERE owner_id = $1 AND trashed_at IS NULL))";

/// `up(id, parent_id, depth)`: the folder (not in the Trash) that `start` selects, and each
/// folder above it, at most [`MAX_DEPTH`].
fn walk_up(start: &str) -> String {
    format!(
        "WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT f.id, f.parent_id, 1 FROM folders f WHERE f.trashed_at IS NULL AND f.id = ({start})
            UNION ALL
            SELECT f.id, f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.id = up.parent_id
             WHERE up.depth < {MAX_DEPTH})"
    )
}

/// The best role the shares on the walked folders give the user at `$2`: 2 contributor,
/// 1 viewer, NULL none.
const BEST_SHARE: &str =
    "(SELECT CAST(MAX(CASE s.role WHEN 'contributor' THEN 2 ELSE 1 END) AS BIGINT)
      FROM folder_shares s JOIN up ON s.folder_id = up.id WHERE s.user_id = $2)";

/// 1 when the owner of folder `f` is disabled (an admin suspended the account), else 0.
const OWNER_DISABLED: &str =
    "(SELECT COUNT(*) FROM users u WHERE u.id = f.owner_id AND u.disabled_at IS NOT NULL)";

/// What `user` may do with folder `id`: None when they may not see it (or it is in the
/// Trash, or does not exist), which callers answer as 404.
pub async fn folder(db: &Db, user: &str, id: &str) -> Result<Option<Role>> {
    let sql = format!(
        "{} SELECT f.owner_id, {OWNER_DISABLED}, {BEST_SHARE} FROM folders f
             WHERE f.id = $1 AND f.trashed_at IS NULL",
        walk_up("$1")
    );
    let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(user)
        .fetch_optional(db)
        .await?;
    Ok(row.and_then(|(owner, disabled, shared)| {
        if owner == user {
            Some(Role::Owner)
        } else if disabled != 0 {
            // What a disabled account shared is out of reach with it.
            None
        } else {
            Role::ranked(shared)
        }
    }))
}

/// The user's role on a folder when it is at least `need`: 404 when they may not see it,
/// 403 when they may see it but not do this.
pub async fn require_folder(db: &Db, user: &str, id: &str, need: Role) -> Result<Role> {
    let role = folder(db, user, id).await?.ok_or(Error::NotFound)?;
    if role >= need {
        return Ok(role);
    }
    Err(Error::Forbidden(match need {
        Role::Owner => "only the folder's owner can do that".into(),
        _ => "this folder was shared with you to view; you cannot add to it".into(),
    }))
}

/// What a person may do with a photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Who added it: theirs wherever it is (their quota, their Trash).
    pub owner_id: String,
    pub folder_id: Option<String>,
    pub trashed: bool,
    /// The person's role on the photo's folder (None at the root, or without one).
    pub folder_role: Option<Role>,
    pub mine: bool,
}

impl Photo {
    /// Whether the person may see it: their own, or in a folder they may see.
    pub fn visible(&self) -> bool {
        self.mine || (!self.trashed && self.folder_role.is_some())
    }

    /// 404 unless visible; 403 unless it is theirs (only who added a photo changes it).
    pub fn require_mine(&self) -> Result<()> {
        if self.mine {
            Ok(())
        } else if self.visible() {
            Err(Error::Forbidden(
                "only the person who added this photo can change it".into(),
            ))
        } else {
            Err(Error::NotFound)
        }
    }
}

/// What `user` may do with photo `id`, or None when it does not exist.
pub async fn photo(db: &Db, user: &str, id: &str) -> Result<Option<Photo>> {
    let sql = format!(
        "{} SELECT i.owner_id, i.folder_id, i.trashed_at,
                (SELECT f.owner_id FROM folders f JOIN users u ON u.id = f.owner_id
                  WHERE f.id = i.folder_id AND f.trashed_at IS NULL
                    AND (u.disabled_at IS NULL OR f.owner_id = $2)),
                {BEST_SHARE}
           FROM images i WHERE i.id = $1",
        walk_up("SELECT folder_id FROM images WHERE id = $1")
    );
    type Row = (
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<i64>,
    );
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(user)
        .fetch_optional(db)
        .await?;
    Ok(
        row.map(|(owner_id, folder_id, trashed, folder_owner, shared)| {
            let folder_role = if folder_owner.as_deref() == Some(user) {
                Some(Role::Owner)
            } else if folder_owner.is_some() {
                Role::ranked(shared)
            } else {
                None
            };
            Photo {
                mine: owner_id == user,
                owner_id,
                folder_id,
                trashed: trashed.is_some(),
                folder_role,
            }
        }),
    )
}

/// A photo `user` may see, or 404.
pub async fn visible_photo(db: &Db, user: &str, id: &str) -> Result<Photo> {
    photo(db, user, id)
        .await?
        .filter(Photo::visible)
        .ok_or(Error::NotFound)
}

/// Gives an account the pending shares of its address once the address is verified:
/// called wherever an address becomes verified (a link opened, a change of address
/// confirmed, a password reset through a letter, an OpenID provider vouching).
pub async fn claim<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user: &str,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE folder_shares SET user_id = $1 WHERE user_id IS NULL
            AND email = (SELECT email FROM users WHERE id = $1 AND email_verified_at IS NOT NULL)",
    )
    .bind(user)
    .execute(db)
    .await?
    .rows_affected())
}

/// A link for anyone, as its token opens it.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub owner_id: String,
    /// The folder it shows (with everything below it); none: a selection of photos.
    pub folder_id: Option<String>,
    pub password_hash: Option<String>,
    pub allow_download: bool,
    pub hide_place: bool,
}

/// The link a token opens: None when there is none, it was revoked, it expired, its
/// folder is in the Trash or its owner's account is disabled (the same answer for each).
pub async fn link(db: &Db, token: &str) -> Result<Option<Link>> {
    // A token is 64 hexadecimal digits; anything else opens nothing (and costs no query).
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = token_hash(token);
    type Row = (String, String, Option<String>, Option<String>, i64, i64);
    let row: Option<Row> = sqlx::query_as(
        "SELECT l.id, l.owner_id, l.folder_id, l.password_hash, l.allow_download, l.hide_place
           FROM links l JOIN users u ON u.id = l.owner_id AND u.disabled_at IS NULL
          WHERE l.token_hash = $1 AND (l.expires_at IS NULL OR l.expires_at > $2)
            AND (l.folder_id IS NULL
                 OR EXISTS (SELECT 1 FROM folders f WHERE f.id = l.folder_id AND f.trashed_at IS NULL))",
    )
    .bind(hash)
    .bind(crate::db::now_ms())
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(id, owner_id, folder_id, password_hash, download, hide)| Link {
            id,
            owner_id,
            folder_id,
            password_hash,
            allow_download: download != 0,
            hide_place: hide != 0,
        },
    ))
}

impl Link {
    /// The `WITH RECURSIVE` clause and the condition on an image `i` that it is one of the
    /// link's photos, with the link's id bound at `$1`: in its folder or below (whoever
    /// added them), or of its selection and still its owner's; none in the Trash.
    pub fn photos(&self) -> (String, &'static str) {
        match self.folder_id {
            Some(_) => (
                format!(
                    "WITH RECURSIVE linked(id, depth) AS (
                        SELECT f.id, 1 FROM links l JOIN folders f ON f.id = l.folder_id
                         WHERE l.id = $1 AND f.trashed_at IS NULL
                        UNION
                        SELECT f.id, t.depth + 1 FROM folders f JOIN linked t ON f.parent_id = t.id
                         WHERE t.depth < {MAX_DEPTH} AND f.trashed_at IS NULL)"
                ),
                "i.trashed_at IS NULL AND i.folder_id IN (SELECT id FROM linked)",
            ),
            None => (
                String::new(),
                "i.trashed_at IS NULL AND i.id IN (SELECT li.image_id FROM link_images li
                    JOIN links l ON l.id = li.link_id WHERE li.link_id = $1 AND l.owner_id = i.owner_id)",
            ),
        }
    }
}

/// Whether photo `image` is one the link shows.
pub async fn link_photo(db: &Db, link: &Link, image: &str) -> Result<bool> {
    let (with, condition) = link.photos();
    let sql = format!("{with} SELECT COUNT(*) FROM images i WHERE i.id = $2 AND {condition}");
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&link.id)
        .bind(image)
        .fetch_one(db)
        .await?;
    Ok(n > 0)
}

/// How a link's token is kept: its SHA-256, in hexadecimal (of the lower-case token).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.to_ascii_lowercase().as_bytes()))
}
