use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tokio_util::io::ReaderStream;

use super::{ByteStream, Delivery, Listed, ObjectStore, StorageError};

/// The size of the reads of [`ObjectStore::stream`].
const STREAM_CHUNK: usize = 256 * 1024;

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

    async fn stream(&self, key: &str) -> Result<(ByteStream, u64), StorageError> {
        let path = self.path(key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error(key, e))?;
        let len = file.metadata().await.map_err(|e| io_error(key, e))?.len();
        // Large reads: each is a trip to the blocking pool.
        let stream = ReaderStream::with_capacity(file, STREAM_CHUNK);
        Ok((Box::pin(stream), len))
    }

    async fn deliver(&self, key: &str) -> Result<Delivery, StorageError> {
        let path = self.path(key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error(key, e))?;
        let len = file.metadata().await.map_err(|e| io_error(key, e))?.len();
        Ok(Delivery::Stream {
            stream: Box::pin(ReaderStream::new(file)),
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

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StorageError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || list_below(&root, &prefix))
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?
    }
}

/// The files below `root` whose keys start with `prefix` (not the temporary files of
/// writes under way, whose names have a dot no key has).
fn list_below(root: &Path, prefix: &str) -> Result<Vec<Listed>, StorageError> {
    // Walk only the folder the prefix names (`u/ID/` → root/u/ID).
    let start = match prefix.rfind('/') {
        Some(end) => root.join(&prefix[..end]),
        None => root.to_path_buf(),
    };
    let mut found = Vec::new();
    let mut dirs = vec![start];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == ErrorKind::NotFound => continue,
            Err(err) => {
                return Err(StorageError::Unavailable(format!(
                    "{}: {err}",
                    dir.display()
                )));
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(path);
                continue;
            }
            let Some(key) = path
                .strip_prefix(root)
                .ok()
                .and_then(|p| p.to_str())
                .map(|k| k.replace(std::path::MAIN_SEPARATOR, "/"))
            else {
                continue;
            };
            if !key.starts_with(prefix) || key.contains('.') {
                continue;
            }
            let modified_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as i64);
            found.push(Listed {
                key,
                modified_ms,
                bytes: meta.len(),
            });
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}
