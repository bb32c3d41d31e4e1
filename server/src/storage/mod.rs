//! Where originals and thumbnails live, behind one trait. Keys are made by the server from
//! random ids (`u/{user}/{uuid}`), never from a user's file or folder name.

mod fs;
mod s3;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use fs::FsStore;
pub use s3::S3Store;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no object at {0}")]
    NotFound(String),
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

impl From<StorageError> for crate::error::Error {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound(key) => {
                tracing::error!(%key, "object missing from storage");
                Self::NotFound
            }
            StorageError::Unavailable(detail) => {
                tracing::error!(%detail, "storage failed");
                Self::Unavailable("image storage is unavailable right now; please try again".into())
            }
        }
    }
}

/// An object's bytes as they are read.
pub type ByteStream = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// How an object reaches the browser: streamed through the server, or (for stores that
/// can sign URLs) a redirect.
pub enum Delivery {
    Stream { stream: ByteStream, len: u64 },
    Redirect(String),
}

#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    async fn put(&self, key: &str, data: Bytes, content_type: &str) -> Result<(), StorageError>;
    /// Stores a file's contents, streamed from disk (in parts, where the store has them).
    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        len: u64,
        content_type: &str,
    ) -> Result<(), StorageError>;
    async fn get(&self, key: &str) -> Result<Bytes, StorageError>;
    /// An object's bytes as they are read, with its length: for readers that must not hold
    /// a whole original in memory (exports).
    async fn stream(&self, key: &str) -> Result<(ByteStream, u64), StorageError>;
    async fn deliver(&self, key: &str) -> Result<Delivery, StorageError>;
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// Every object whose key starts with `prefix` (`u/` for all users', `u/ID/` for one
    /// user's), with when it was last written (epoch ms).
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StorageError>;
    /// The bucket and full key of an object, for stores others (the Lambda) can read.
    fn s3_location(&self, _key: &str) -> Option<(String, String)> {
        None
    }
}

pub type Storage = Arc<dyn ObjectStore>;

/// An object as a listing shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: String,
    pub modified_ms: i64,
    pub bytes: u64,
}

/// The prefix of every object of one user.
pub fn user_prefix(user_id: &str) -> String {
    format!("u/{user_id}/")
}

/// A fresh random key for one of a user's objects.
pub fn new_key(user_id: &str) -> String {
    format!("u/{user_id}/{}", uuid::Uuid::new_v4().simple())
}

/// Removes objects whose rows are gone. A failure here leaves an unreferenced object,
/// never a row without its object, so it is logged rather than reported.
pub async fn delete_all(storage: &Storage, keys: impl IntoIterator<Item = String>) {
    for key in keys {
        if let Err(err) = storage.delete(&key).await {
            tracing::warn!(%key, %err, "could not delete an object whose row was deleted");
        }
    }
}

/// A deleted photo's row as `DELETE … RETURNING {PHOTO_OBJECTS}, bytes` gives it: its
/// objects' keys (original, thumbnail, and the viewer's and the classifier's renditions
/// where it has them), then its size.
pub type DeletedPhoto = (String, String, Option<String>, Option<String>, i64);

/// The columns of a photo's objects, in [`DeletedPhoto`]'s order.
pub const PHOTO_OBJECTS: &str = "object_key, thumb_key, display_key, input_key";

/// The keys of deleted photos' objects, one after the other.
pub fn photo_objects(rows: Vec<DeletedPhoto>) -> impl Iterator<Item = String> {
    rows.into_iter()
        .flat_map(|(original, thumb, display, input, _)| {
            [Some(original), Some(thumb), display, input]
        })
        .flatten()
}
