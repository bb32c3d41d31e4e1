//! Originals, thumbnails and renditions on their way to the browser: a stream, a signed
//! URL, or "unchanged".

use super::*;

/// An original or thumbnail on its way to its owner's browser: streamed, or a redirect to
/// a signed URL; or "unchanged" when the browser already has it.
///
/// Browsers keep them only privately: an original is checked with the server each time it
/// is shown again (a 304 when unchanged, so nothing is sent twice), so that after signing
/// out it is not shown from the cache; a thumbnail for ten minutes.
pub struct Download {
    pub etag: String,
    pub cache: &'static str,
    pub content_type: String,
    pub delivery: Option<Delivery>,
}

/// Finds an owner's original or thumbnail; `if_none_match` is what the browser has.
pub async fn download(
    db: &Db,
    storage: &Storage,
    owner: &str,
    id: &str,
    variant: Variant,
    if_none_match: Option<&str>,
) -> Result<Download> {
    let found = object(db, owner, id, variant).await?;
    deliver(storage, found, variant, if_none_match).await
}

/// The bytes of a photo a link shows (checked by the caller).
pub async fn linked_download(
    db: &Db,
    storage: &Storage,
    id: &str,
    variant: Variant,
    if_none_match: Option<&str>,
) -> Result<Download> {
    let found = super::object_checked(db, id, variant).await?;
    deliver(storage, found, variant, if_none_match).await
}

async fn deliver(
    storage: &Storage,
    (key, content_type): (String, String),
    variant: Variant,
    if_none_match: Option<&str>,
) -> Result<Download> {
    // Keys are random and an object never changes under its key.
    let etag = format!("\"{}\"", key.rsplit('/').next().unwrap_or(&key));
    let cache = match variant {
        Variant::Original => "private, no-cache",
        Variant::Thumbnail | Variant::Display => "private, max-age=600",
    };
    let unchanged = if_none_match.is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let delivery = if unchanged {
        None
    } else {
        Some(storage.deliver(&key).await?)
    };
    Ok(Download {
        etag,
        cache,
        content_type,
        delivery,
    })
}
