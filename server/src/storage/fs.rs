use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use axum::body::Body;
use bytes::Bytes;
use tokio_util::io::ReaderStream;

use super::{Delivery, ObjectStore, StorageError};

/// Objects as files below one folder; writes go to a temporary file that is renamed into
/// place, so a reader never sees half an object.
pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        let safe = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !safe {
            return Err(StorageError::NotFound(key.to_owned()));
        }
        Ok(self.root.join(key))
    }
}

fn io_error(key: &str, err: std::io::Error) -> StorageError {
    if err.kind() == ErrorKind::NotFound {
        StorageError::NotFound(key.to_owned())
    } else {
        StorageError::Unavailable(format!("{key}: {err}"))
    }
}

/// Where the bytes of a new object come from.
enum Content<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

async fn write_atomically(path: &Path, content: Content<'_>) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = match content {
        Content::Bytes(data) => tokio::fs::write(&tmp, data).await,
        Content::File(from) => tokio::fs::copy(from, &tmp).await.map(|_| ()),
    };
    if let Err(err) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(err);
    }
    tokio::fs::rename(&tmp, path).await
}

#[async_trait]
impl ObjectStore for FsStore {
    async fn put(&self, key: &str, data: Bytes, _content_type: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        write_atomically(&path, Content::Bytes(&data))
            .await
            .map_err(|e| StorageError::Unavailable(format!("{key}: {e}")))
    }

    async fn put_file(
        &self,
        key: &str,
        from: &Path,
        _len: u64,
        _content_type: &str,
    ) -> Result<(), StorageError> {
        let path = self.path(key)?;
        write_atomically(&path, Content::File(from))
            .await
            .map_err(|e| StorageError::Unavailable(format!("{key}: {e}")))
    }

    async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let path = self.path(key)?;
        tokio::fs::read(&path)
            .await
            .map(Bytes::from)
            .map_err(|e| io_error(key, e))
    }

    async fn deliver(&self, key: &str) -> Result<Delivery, StorageError> {
        let path = self.path(key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error(key, e))?;
        let len = file.metadata().await.map_err(|e| io_error(key, e))?.len();
        Ok(Delivery::Stream {
            body: Body::from_stream(ReaderStream::new(file)),
            len,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(StorageError::Unavailable(format!("{key}: {err}"))),
        }
    }
}
