//! An admin helping someone back in, or out: sending an account a reset link (from the
//! dashboard or `gallery admin reset EMAIL`), and ending all of its sessions and tokens.

use super::{Actor, get, log};
use crate::auth::recovery;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::mail::Mailer;

/// Mails the account a link to choose a new password, written to the audit log.
pub async fn send_reset(db: &Db, mailer: &Mailer, actor: &Actor, id: &str) -> Result<()> {
    let account = get(db, id).await?;
    if account.disabled {
        return Err(Error::Conflict(
            "this account is disabled; enable it first, then send the link".into(),
        ));
    }
    if !recovery::send_reset(db, mailer, &account.email).await? {
        return Err(Error::NotFound);
    }
    let mut tx = db.begin().await?;
    log(
        &mut tx,
        actor,
        "reset",
        Some((&account.id, &account.email)),
        Some("reset link sent"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session and token of an account, written to the audit log.
pub async fn end_sessions(db: &Db, actor: &Actor, id: &str) -> Result<u64> {
    let account = get(db, id).await?;
    let mut tx = db.begin().await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(&account.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let detail = format!("{ended} sessions and tokens ended");
    log(
        &mut tx,
        actor,
        "sign-out",
        Some((&account.id, &account.email)),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}
