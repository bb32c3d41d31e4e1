//! "Delete my account": the password again (or, for an account without one, its address
//! typed out) and a code when the account uses an authenticator app, or one of the
//! account's passkeys; then everything of the account goes as when an admin deletes it.
//! The last enabled admin cannot leave.

use crate::admin::{self, Actor};
use crate::auth::{self, Session};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::storage::Storage;

/// What someone leaving confirms with.
pub struct Confirmation<'a> {
    pub password: Option<&'a str>,
    /// The account's address, typed out (accounts without a password).
    pub email: Option<&'a str>,
    /// A TOTP or recovery code, when the account uses an authenticator app.
    pub code: Option<&'a str>,
    /// One of the account's passkeys was used just now to confirm (it verified its user:
    /// it stands for the password and the code).
    pub passkey: bool,
}

pub async fn delete_own_account(
    db: &Db,
    storage: &Storage,
    session: &Session,
    confirm: Confirmation<'_>,
) -> Result<()> {
    let user = &session.user;
    if session.personal {
        return Err(Error::Forbidden(
            "an access token cannot delete its account; sign in to do that".into(),
        ));
    }
    if confirm.passkey {
        // Confirmed with a passkey of this account.
    } else if user.has_password {
        let password = confirm.password.unwrap_or_default();
        auth::authenticate(db, &user.email, password)
            .await
            .map_err(|_| Error::Forbidden("the password is wrong".into()))?;
    } else {
        let typed = confirm.email.map(|e| e.trim().to_lowercase());
        if typed.as_deref() != Some(user.email.as_str()) {
            return Err(Error::bad_request(
                "type your email address to confirm that this account is to be deleted",
            ));
        }
    }
    if !confirm.passkey && auth::two_step::has_app(db, &user.id).await? {
        let code = confirm.code.unwrap_or_default();
        auth::two_step::check(db, &user.id, code).await?;
    }
    let actor = Actor::admin(user);
    admin::delete(db, storage, &actor, &user.id).await?;
    tracing::info!(user = %user.id, "an account deleted itself");
    Ok(())
}
