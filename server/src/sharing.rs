//! Sharing: a folder, with everything below it, shared with people by their address, as
//! viewers or contributors. Who may see or change what is decided in [`crate::access`], for
//! shares and for everything else.
//!
//! A share names an address. An account with that address gets it at once (its owner sees
//! the account's name in the list). An address without an account keeps it pending until
//! an account proves the address is its own ([`access::claim`], called wherever an address
//! becomes verified): pending, it gives nothing to anyone, so signing up with someone
//! else's address gains nothing.

use serde::Serialize;

use crate::admin::{self, Actor};
use crate::auth::{self, User};
use crate::db::{Db, now_ms};
use crate::error::{Error, Result};
use crate::folders::{self, Folder};
use crate::mail::{Letter, Mailer};

use crate::access::{self, Role};

/// At most this many people per folder.
pub const MAX_PEOPLE: i64 = 500;

/// Someone a folder is shared with, as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Share {
    pub email: String,
    /// The account's name, once the share reached one.
    pub display_name: Option<String>,
    pub role: Role,
    /// `active` (it reached an account) or `pending` (no account has the address verified).
    pub state: String,
}

/// A folder someone shared with me.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SharedFolder {
    #[serde(flatten)]
    pub folder: Folder,
    pub owner: Owner,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Owner {
    pub display_name: String,
}

/// Who a folder is shared with (its owner only).
pub async fn shares(db: &Db, owner: &str, folder: &str) -> Result<Vec<Share>> {
    access::require_folder(db, owner, folder, Role::Owner).await?;
    let rows: Vec<(String, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT s.email, u.display_name, s.role, s.user_id FROM folder_shares s
           LEFT JOIN users u ON u.id = s.user_id
          WHERE s.folder_id = $1 ORDER BY s.created_at, s.email",
    )
    .bind(folder)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(email, display_name, role, user_id)| Share {
            email,
            display_name,
            role: Role::shared(&role).unwrap_or(Role::Viewer),
            state: if user_id.is_some() {
                "active"
            } else {
                "pending"
            }
            .into(),
        })
        .collect())
}

/// Shares a folder with an address as `role`, or changes the role of someone it is shared
/// with. A new share sends the address a letter. Only the owner may; not with themselves;
/// at most [`MAX_PEOPLE`] people.
pub async fn share(
    db: &Db,
    mailer: &Mailer,
    owner: &User,
    folder_id: &str,
    email: &str,
    role: Role,
) -> Result<Share> {
    let folder = folders::owned(db, &owner.id, folder_id).await?;
    let email = auth::normalize_email(email)?;
    if role == Role::Owner {
        return Err(Error::bad_request(
            "a folder is shared as \"viewer\" or \"contributor\"",
        ));
    }
    if email == owner.email {
        return Err(Error::bad_request(
            "this folder is yours already: share it with someone else",
        ));
    }
    let account: Option<(String, String)> =
        sqlx::query_as("SELECT id, display_name FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(db)
            .await?;
    if account.as_ref().is_some_and(|(id, _)| *id == owner.id) {
        return Err(Error::bad_request(
            "this folder is yours already: share it with someone else",
        ));
    }
    // An account that has the address gets it at once (its owner sees whose name it is);
    // an address without one waits for an account to prove it is theirs.
    let reached = account.as_ref().cloned();
    let (shared_before,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM folder_shares WHERE folder_id = $1 AND email = $2")
            .bind(folder_id)
            .bind(&email)
            .fetch_one(db)
            .await?;
    if shared_before == 0 {
        // Each new share sends a letter: an account makes at most so many an hour.
        auth::limits::hit(
            db,
            auth::limits::Subject::Sharing(&owner.id),
            auth::limits::Rate::per_hour(1000),
        )
        .await?;
    }
    let mut tx = db.begin().await?;
    crate::db::lock_owner(&mut tx, &owner.id).await?;
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT role FROM folder_shares WHERE folder_id = $1 AND email = $2")
            .bind(folder_id)
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    if existing.is_none() {
        let (people,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM folder_shares WHERE folder_id = $1")
                .bind(folder_id)
                .fetch_one(&mut *tx)
                .await?;
        if people >= MAX_PEOPLE {
            return Err(Error::Conflict(format!(
                "a folder can be shared with at most {MAX_PEOPLE} people"
            )));
        }
        sqlx::query(
            "INSERT INTO folder_shares (folder_id, email, user_id, role, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(folder_id)
        .bind(&email)
        .bind(reached.as_ref().map(|(id, _)| id.as_str()))
        .bind(role.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let letter = invitation(mailer, owner, &folder, role, reached.is_some());
        let name = reached.as_ref().map_or("", |(_, n)| n.as_str());
        mailer.send_in(&mut tx, &email, name, &letter).await?;
    } else {
        sqlx::query("UPDATE folder_shares SET role = $3 WHERE folder_id = $1 AND email = $2")
            .bind(folder_id)
            .bind(&email)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let action = if existing.is_none() {
        "share"
    } else {
        "change share"
    };
    let detail = format!("{email} as {}", role.as_str());
    admin::log(
        &mut tx,
        &Actor::admin(owner),
        action,
        Some((folder_id, &folder.name)),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    mailer.nudge();
    Ok(Share {
        email,
        display_name: reached.map(|(_, name)| name),
        role,
        state: if account.is_some() {
            "active"
        } else {
            "pending"
        }
        .into(),
    })
}

/// The letter that tells an address a folder was shared with it.
fn invitation(
    mailer: &Mailer,
    owner: &User,
    folder: &Folder,
    role: Role,
    has_account: bool,
) -> Letter {
    let what = match role {
        Role::Contributor => "see it and add photos to it",
        _ => "see it",
    };
    let (button, path, after) = if has_account {
        ("Open it", format!("/gallery/{}", folder.id), Vec::new())
    } else {
        (
            "Sign up",
            "/signup".to_owned(),
            vec![
                "Sign up with this address and confirm it: the folder will be under “Shared with me”."
                    .to_owned(),
            ],
        )
    };
    Letter {
        subject: format!("{} shared “{}” with you", owner.display_name, folder.name),
        paragraphs: vec![format!(
            "{} ({}) shared the folder “{}” with you: you can {what}.",
            owner.display_name, owner.email, folder.name
        )],
        action: Some((button.into(), mailer.link(&path))),
        after,
    }
}

/// Stops sharing a folder with an address (its owner), effective at once everywhere.
pub async fn unshare(db: &Db, owner: &User, folder_id: &str, email: &str) -> Result<()> {
    let folder = folders::owned(db, &owner.id, folder_id).await?;
    let email = auth::sign_in_email(email)?;
    let mut tx = db.begin().await?;
    let gone = sqlx::query("DELETE FROM folder_shares WHERE folder_id = $1 AND email = $2")
        .bind(folder_id)
        .bind(&email)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(Error::NotFound);
    }
    admin::log(
        &mut tx,
        &Actor::admin(owner),
        "unshare",
        Some((folder_id, &folder.name)),
        Some(&email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Leaves a folder someone shared with me (the share on that very folder).
pub async fn leave(db: &Db, user: &User, folder_id: &str) -> Result<()> {
    let gone = sqlx::query("DELETE FROM folder_shares WHERE folder_id = $1 AND user_id = $2")
        .bind(folder_id)
        .bind(&user.id)
        .execute(db)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The folders shared with me (each share's own folder), by name, with their owners'
/// names and my role.
pub async fn shared_with(db: &Db, user: &str) -> Result<Vec<SharedFolder>> {
    type Row = (String, String, i64, Option<String>, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT f.id, f.name,
                (SELECT COUNT(*) FROM images i WHERE i.folder_id = f.id AND i.trashed_at IS NULL),
                f.model_id, u.display_name, s.role
           FROM folder_shares s JOIN folders f ON f.id = s.folder_id JOIN users u ON u.id = f.owner_id
          WHERE s.user_id = $1 AND f.trashed_at IS NULL AND u.disabled_at IS NULL
          ORDER BY lower(f.name), f.id",
    )
    .bind(user)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, image_count, model_id, owner, role)| SharedFolder {
                folder: Folder {
                    id,
                    name,
                    // What is above a shared folder is its owner's alone.
                    parent_id: None,
                    image_count,
                    model_id,
                },
                owner: Owner {
                    display_name: owner,
                },
                role: Role::shared(&role).unwrap_or(Role::Viewer),
            },
        )
        .collect())
}

/// The name of a folder's owner (shown to those it is shared with).
pub async fn owner_name(db: &Db, folder: &str) -> Result<String> {
    let (name,): (String,) = sqlx::query_as(
        "SELECT u.display_name FROM folders f JOIN users u ON u.id = f.owner_id WHERE f.id = $1",
    )
    .bind(folder)
    .fetch_optional(db)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(name)
}
