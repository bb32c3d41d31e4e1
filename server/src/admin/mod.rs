//! What an admin does to accounts (list, disable and enable, promote and demote, quotas,
//! delete), each written to the audit log in the same transaction; the dashboard's figures
//! and charts; and the housekeeping every server runs.

pub mod access;
pub mod charts;
pub mod dashboard;
pub mod housekeeping;

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::auth::invitations::{self, Invitation};
use crate::db::{Db, new_id, now_ms, rfc3339};
use crate::error::{Error, Result};
use crate::paging::{self, Key, Kind, Page, PageQuery, SortColumn};
use crate::storage::{self, Storage};

/// Who did an admin action: an admin signed in, or someone at the server's command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub email: String,
}

impl Actor {
    pub fn admin(user: &crate::auth::User) -> Self {
        Self {
            id: Some(user.id.clone()),
            email: user.email.clone(),
        }
    }

    pub fn command_line() -> Self {
        Self {
            id: None,
            email: "the command line".into(),
        }
    }
}

/// An account as admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// `user` or `admin`.
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    /// Photos stored.
    pub images: i64,
    /// Bytes of the originals stored.
    pub bytes: i64,
    /// Their own quota in bytes; `null`: the server's default.
    pub quota_bytes: Option<i64>,
}

type AccountRow = (
    String,
    String,
    String,
    String,
    Option<i64>,
    i64,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
);

const ACCOUNT_COLUMNS: &str = "id, email, display_name, role, disabled_at, created_at, \
    last_seen_at, image_count, bytes_used, quota_bytes";

fn account(
    (id, email, display_name, role, disabled, created, seen, images, bytes, quota): AccountRow,
) -> Account {
    Account {
        id,
        email,
        display_name,
        role,
        disabled: disabled.is_some(),
        created_at: rfc3339(created),
        last_seen_at: seen.map(rfc3339),
        images,
        bytes,
        quota_bytes: quota,
    }
}

const BY_CREATION: [SortColumn; 2] = [
    SortColumn::asc("created_at", Kind::Int),
    SortColumn::asc("id", Kind::Text),
];

/// The longest search an admin can type.
const MAX_SEARCH: usize = 254;

/// Accounts in the order they were made, a page at a time; `search` keeps those whose
/// email or name contains it.
pub async fn accounts(
    db: &Db,
    search: Option<&str>,
    page: &PageQuery,
) -> Result<(Vec<Account>, Option<String>)> {
    let search = search.map(str::trim).unwrap_or_default();
    if search.chars().count() > MAX_SEARCH {
        return Err(Error::bad_request(format!(
            "search for at most {MAX_SEARCH} characters"
        )));
    }
    let pattern = format!(
        "%{}%",
        search
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let page = Page::of(page, &BY_CREATION)?;
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM users
         WHERE ($1 = '' OR email LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\') AND {}
         ORDER BY {} LIMIT {}",
        page.condition(&BY_CREATION, 3),
        paging::order_by(&BY_CREATION),
        page.fetch()
    );
    let query = sqlx::query_as::<_, AccountRow>(sqlx::AssertSqlSafe(sql))
        .bind(search)
        .bind(pattern);
    let rows = paging::bind_keys(query, page.binds()).fetch_all(db).await?;
    let (rows, next) = paging::split(rows, &page, |r| vec![Key::Int(r.5), Key::Text(r.0.clone())]);
    Ok((rows.into_iter().map(account).collect(), next))
}

pub async fn get(db: &Db, id: &str) -> Result<Account> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    let row: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(account).ok_or(Error::NotFound)
}

pub async fn by_email(db: &Db, email: &str) -> Result<Account> {
    let email = email.trim().to_lowercase();
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(db)
        .await?;
    match row {
        Some((id,)) => get(db, &id).await,
        None => Err(Error::bad_request(format!(
            "no account has the email {email}"
        ))),
    }
}

/// What an admin changes about an account; absent fields stay as they are.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub role: Option<String>,
    pub disabled: Option<bool>,
    /// `Some(None)`: back to the server's default.
    pub quota_bytes: Option<Option<i64>>,
}

/// The largest quota one can set: a petabyte.
const MAX_QUOTA: i64 = 1 << 50;

/// Changes an account. Refused (409) where it would leave the gallery without an enabled
/// admin. Disabling ends the account's sessions and tokens at once.
pub async fn change(db: &Db, actor: &Actor, id: &str, change: &Change) -> Result<Account> {
    if let Some(role) = change.role.as_deref()
        && role != "user"
        && role != "admin"
    {
        return Err(Error::bad_request("role must be user or admin"));
    }
    if let Some(Some(q)) = change.quota_bytes
        && !(0..=MAX_QUOTA).contains(&q)
    {
        return Err(Error::bad_request(format!(
            "quota_bytes must be between 0 and {MAX_QUOTA} (or null for the default)"
        )));
    }
    let mut tx = db.begin().await?;
    let before = admins_locked(&mut tx, id).await?;
    let loses_admin = change.role.as_deref() == Some("user") || change.disabled == Some(true);
    if loses_admin {
        keep_an_admin(
            &mut tx,
            &before,
            "this is the last enabled admin: make another account an admin first, so the gallery is never left without one",
        )
        .await?;
    }
    let now = now_ms();
    if let Some(role) = change.role.as_deref()
        && role != before.role
    {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let action = if role == "admin" { "promote" } else { "demote" };
        record(&mut tx, actor, action, &before, None).await?;
    }
    if let Some(disabled) = change.disabled
        && disabled != before.disabled
    {
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
            .bind(disabled.then_some(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let action = if disabled { "disable" } else { "enable" };
        record(&mut tx, actor, action, &before, None).await?;
    }
    if let Some(quota) = change.quota_bytes
        && quota != before.quota_bytes
    {
        sqlx::query("UPDATE users SET quota_bytes = $1 WHERE id = $2")
            .bind(quota)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let detail = quota.map_or_else(|| "the default".to_owned(), |q| format!("{q} bytes"));
        record(&mut tx, actor, "quota", &before, Some(&detail)).await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// The account `id`, after every enabled admin's row was written: on PostgreSQL two admins
/// demoting, disabling or deleting each other at once take turns here, so the second sees
/// the first's change; SQLite has one writer at a time anyway.
async fn admins_locked(tx: &mut Transaction<'_, Any>, id: &str) -> Result<Account> {
    sqlx::query("UPDATE users SET role = role WHERE role = 'admin' AND disabled_at IS NULL")
        .execute(&mut **tx)
        .await?;
    get_in(tx, id).await
}

/// Refuses (409, with `refusal`) to take `account` away when it is the last enabled admin.
async fn keep_an_admin(
    tx: &mut Transaction<'_, Any>,
    account: &Account,
    refusal: &str,
) -> Result<()> {
    if account.role != "admin" || account.disabled {
        return Ok(());
    }
    let (others,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
    )
    .bind(&account.id)
    .fetch_one(&mut **tx)
    .await?;
    if others == 0 {
        return Err(Error::Conflict(refusal.into()));
    }
    Ok(())
}

async fn get_in(tx: &mut Transaction<'_, Any>, id: &str) -> Result<Account> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
    let row: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(account).ok_or(Error::NotFound)
}

/// Deletes an account with everything it has: its rows in one transaction (folders,
/// photos, labels, jobs, sessions and tokens go with the account), then every object
/// stored under its prefix. An object that cannot be deleted now is left to the sweep.
/// The last enabled admin cannot be deleted.
pub async fn delete(db: &Db, storage: &Storage, actor: &Actor, id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let before = admins_locked(&mut tx, id).await?;
    keep_an_admin(
        &mut tx,
        &before,
        "this is the last enabled admin and cannot be deleted",
    )
    .await?;
    // What others added to its folders (shared with them) stays theirs, at their roots.
    // Then its photos go, in one statement (their labels and jobs cascade), then the
    // folders and the account: SQLite's cascades then have no deep tree to walk.
    sqlx::query(
        "UPDATE images SET folder_id = NULL WHERE owner_id <> $1
           AND folder_id IN (SELECT id FROM folders WHERE owner_id = $1)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM images WHERE owner_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM folders WHERE owner_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("{} photos, {} bytes", before.images, before.bytes);
    record(&mut tx, actor, "delete", &before, Some(&detail)).await?;
    tx.commit().await?;
    let prefix = storage::user_prefix(id);
    match storage.list(&prefix).await {
        Ok(objects) => storage::delete_all(storage, objects.into_iter().map(|o| o.key)).await,
        Err(err) => {
            tracing::warn!(%err, user = %id, "cannot list a deleted user's objects; the sweep will remove them")
        }
    }
    Ok(())
}

/// A new invitation link: the invitation, its token (shown once; only its hash is kept)
/// and the sign-up URL to send.
pub struct Invited {
    pub invitation: Invitation,
    pub token: String,
    pub url: String,
}

/// Makes a single-use invitation link valid for `days`, written to the audit log.
pub async fn invite(
    db: &Db,
    actor: &Actor,
    note: Option<&str>,
    days: i64,
    public_url: Option<&str>,
) -> Result<Invited> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let (invitation, token) = invitations::create(db, actor.id.as_deref(), note, days).await?;
    let detail = format!(
        "invitation {}{}",
        invitation.id,
        note.map(|n| format!(" ({n})")).unwrap_or_default()
    );
    log_alone(db, actor, "invite", Some(&detail)).await?;
    let path = invitations::signup_path(&token);
    let url = match public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    Ok(Invited {
        invitation,
        token,
        url,
    })
}

/// Withdraws an unused invitation, written to the audit log.
pub async fn revoke_invitation(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    invitations::revoke(db, id).await?;
    log_alone(db, actor, "revoke", Some(&format!("invitation {id}"))).await
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    /// `promote`, `demote`, `disable`, `enable`, `quota`, `delete`, `retry`, `invite`,
    /// `revoke`.
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// Writes an action on an account to the audit log.
async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    target: &Account,
    detail: Option<&str>,
) -> Result<()> {
    log(tx, actor, action, Some((&target.id, &target.email)), detail).await
}

/// Writes an action to the audit log: who, what, on whom, and any detail.
pub async fn log(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    target: Option<(&str, &str)>,
    detail: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, actor_email, action, target_id, target, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(now_ms())
    .bind(actor.id.as_deref())
    .bind(&actor.email)
    .bind(action)
    .bind(target.map(|t| t.0))
    .bind(target.map(|t| t.1))
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    tracing::info!(actor = %actor.email, action, target = ?target.map(|t| t.1), detail, "admin action");
    Ok(())
}

/// Writes an action that touches no one account (retries, invitations) on its own.
pub async fn log_alone(db: &Db, actor: &Actor, action: &str, detail: Option<&str>) -> Result<()> {
    let mut tx = db.begin().await?;
    log(&mut tx, actor, action, None, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// The newest entries of the audit log.
pub async fn audit_log(db: &Db, limit: i64) -> Result<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT at, actor_email, action, target, detail FROM audit_log ORDER BY at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}

type AuditRow = (i64, String, String, Option<String>, Option<String>);

impl From<AuditRow> for AuditEntry {
    fn from((at, actor, action, target, detail): AuditRow) -> Self {
        AuditEntry {
            at: rfc3339(at),
            actor,
            action,
            target,
            detail,
        }
    }
}

/// What one account did with sharing (shares, role changes, links made and revoked), as
/// the audit log has it, newest first: its owner's activity.
pub async fn sharing_activity(db: &Db, user: &str, limit: i64) -> Result<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT at, actor_email, action, target, detail FROM audit_log
          WHERE actor_id = $1 AND action IN ('share', 'change share', 'unshare', 'make link', 'revoke link')
          ORDER BY at DESC, id LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}
