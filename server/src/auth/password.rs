//! argon2id password hashes and the rules a new password must meet.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

pub const MIN_LEN: usize = 8;
// argon2 costs the same for any length, but bounding it keeps request bodies honest.
pub const MAX_LEN: usize = 256;

const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "11111111",
    "00000000",
    "abcdefgh",
    "abc12345",
    "letmein1",
    "welcome1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "passw0rd",
    "trustno1",
];

/// Refuses passwords that are short, common, or just the email again.
pub fn check_strength(password: &str, email: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(Error::bad_request(format!(
            "the password is too weak: use at least {MIN_LEN} characters"
        )));
    }
    if chars > MAX_LEN {
        return Err(Error::bad_request(format!(
            "the password is too long (at most {MAX_LEN} characters)"
        )));
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    let one_repeated = lower.chars().all(|c| Some(c) == first);
    if one_repeated || COMMON.contains(&lower.as_str()) || lower == email.to_lowercase() {
        return Err(Error::bad_request(
            "the password is too weak: it is too easy to guess; choose a longer or less common one",
        ));
    }
    Ok(())
}

/// Hashes computed at once: at most one per core. Each takes 19 MiB and a core for tens of
/// milliseconds, so a burst of sign-ins waits its turn instead of taking the memory (the
/// allocator keeps what it got) and every core, and with them every other request.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

async fn argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(e.into()))
}

pub async fn hash(password: String) -> Result<String> {
    argon2(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(anyhow::anyhow!("hashing failed: {e}")))
    })
    .await?
}

/// Verifies against a stored hash; with no hash it still does the work, so that an
/// unknown email takes as long to refuse as a wrong password.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    argon2(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"not a real password")
        .map(|h| h.to_string())
        .unwrap_or_default()
});
