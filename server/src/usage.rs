//! Each user's photos and bytes, kept on their account row in the same transaction as the
//! photos that change them, so that quotas and the admin's figures never sum the photos.

use sqlx::{Any, Transaction};

use crate::error::Result;

/// Adds `images` photos of `bytes` bytes to an owner's usage (negative to take away).
pub async fn add(
    tx: &mut Transaction<'_, Any>,
    owner: &str,
    images: i64,
    bytes: i64,
) -> Result<()> {
    if images == 0 && bytes == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE users SET image_count = image_count + $1, bytes_used = bytes_used + $2 WHERE id = $3",
    )
    .bind(images)
    .bind(bytes)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
