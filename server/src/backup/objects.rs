//! A gallery's objects as backup, restore and check reach them. Listing goes through the
//! storage trait; reading goes around it, because the trait hands out whole objects
//! (`get`) or, for S3, a link for the browser (`deliver`), and these commands read every
//! object of the gallery: a file store's files are copied and hashed as files (the
//! kernel's copy, large reads in a blocking thread), an S3 store's objects as the
//! `GetObject` body arrives. Neither holds an object whole in memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::config::{Config, StorageKind};
use crate::storage::{FsStore, Listed, ObjectStore, S3Store, Storage, StorageError};

/// The prefixes of everything rows refer to: photos' objects and registered models'.
pub const PREFIXES: [&str; 2] = ["u/", "models/"];

/// How much of a file is hashed at a time.
const READ_CHUNK: usize = 1 << 20;

/// The configured store, and how to read it whole without going through memory.
pub struct Objects {
    store: Storage,
    place: Place,
}

enum Place {
    Files(PathBuf),
    S3(Arc<S3Store>),
}

impl Objects {
    /// The store `GALLERY_STORAGE` names, as the servers open it.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        Ok(match config.storage_kind()? {
            StorageKind::Fs(root) => {
                let store = FsStore::open(&root).map_err(|e| {
                    anyhow::anyhow!("cannot use {} for image storage: {e}", root.display())
                })?;
                Self {
                    store: Arc::new(store),
                    place: Place::Files(root),
                }
            }
            StorageKind::S3(url) => {
                let store = Arc::new(
                    S3Store::connect(&url, config.s3_endpoint.as_deref(), config.s3_path_style)
                        .await?,
                );
                Self {
                    store: store.clone(),
                    place: Place::S3(store),
                }
            }
        })
    }

    /// Every object under [`PREFIXES`], in key order.
    pub async fn list(&self) -> Result<Vec<Listed>, StorageError> {
        let mut all = Vec::new();
        for prefix in PREFIXES {
            all.extend(self.store.list(prefix).await?);
        }
        Ok(all)
    }

    /// Whether the store holds nothing at all (a file store: its folder is missing or
    /// empty, temporary files included).
    pub async fn is_empty(&self) -> anyhow::Result<bool> {
        match &self.place {
            Place::Files(root) => Ok(std::fs::read_dir(root)
                .map(|mut entries| entries.next().is_none())
                .unwrap_or(true)),
            Place::S3(_) => Ok(self.list().await?.is_empty()),
        }
    }

    /// An object's SHA-256 (hex) and length, read as a stream.
    pub async fn sha256(&self, key: &str) -> Result<(String, u64), StorageError> {
        match &self.place {
            Place::Files(root) => {
                let path = local_path(root, key)?;
                let key = key.to_owned();
                tokio::task::spawn_blocking(move || hash_file(&path).map_err(|e| io(&key, e)))
                    .await
                    .map_err(|e| StorageError::Unavailable(e.to_string()))?
            }
            Place::S3(s3) => {
                let mut body = s3_body(s3, key).await?;
                let mut hasher = Sha256::new();
                let mut len = 0u64;
                while let Some(chunk) = body.next().await {
                    let chunk = chunk.map_err(|e| unavailable(key, e))?;
                    len += chunk.len() as u64;
                    hasher.update(&chunk);
                }
                Ok((hex::encode(hasher.finalize()), len))
            }
        }
    }

    /// Copies an object into a file of its own at `to` (written beside it, synced to disk,
    /// then renamed into place, so `to` is whole or absent). Returns its length.
    pub async fn copy_out(&self, key: &str, to: &Path) -> Result<u64, StorageError> {
        let partial = partial_path(to);
        let written = match &self.place {
            Place::Files(root) => {
                let from = local_path(root, key)?;
                copy_file(from, partial.clone())
                    .await
                    .map_err(|e| io(key, e))
            }
            Place::S3(s3) => {
                let mut body = s3_body(s3, key).await?;
                async {
                    use tokio::io::AsyncWriteExt;
                    if let Some(parent) = partial.parent() {
                        tokio::fs::create_dir_all(parent).await?;
                    }
                    let mut file = tokio::fs::File::create(&partial).await?;
                    let mut len = 0u64;
                    while let Some(chunk) = body.next().await {
                        let chunk = chunk.map_err(std::io::Error::other)?;
                        len += chunk.len() as u64;
                        file.write_all(&chunk).await?;
                    }
                    file.sync_all().await?;
                    Ok::<_, std::io::Error>(len)
                }
                .await
                .map_err(|e| unavailable(key, e))
            }
        };
        let len = match written {
            Ok(len) => len,
            Err(err) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(err);
            }
        };
        tokio::fs::rename(&partial, to)
            .await
            .map_err(|e| unavailable(key, e))?;
        Ok(len)
    }

    /// Stores the file at `from` under `key` (a file store: copied, synced, renamed into
    /// place; S3: uploaded as the servers upload).
    pub async fn copy_in(
        &self,
        key: &str,
        from: &Path,
        len: u64,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match &self.place {
            Place::Files(root) => {
                let to = local_path(root, key)?;
                let partial = partial_path(&to);
                let copied = copy_file(from.to_path_buf(), partial.clone()).await;
                if let Err(err) = copied {
                    let _ = tokio::fs::remove_file(&partial).await;
                    return Err(io(key, err));
                }
                tokio::fs::rename(&partial, &to)
                    .await
                    .map_err(|e| io(key, e))
            }
            Place::S3(_) => self.store.put_file(key, from, len, content_type).await,
        }
    }
}

/// The path of `key` below `root`, for keys as the server makes them: `/`-separated parts
/// of letters, digits, `-` and `_` (so no key reaches outside `root`, whatever a database
/// says). Others are reported as not found, as the file store does.
pub fn local_path(root: &Path, key: &str) -> Result<PathBuf, StorageError> {
    let safe = !key.is_empty()
        && key.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if safe {
        Ok(root.join(key))
    } else {
        Err(StorageError::NotFound(key.to_owned()))
    }
}

/// Where a copy to `to` is written first: the same name with `.partial`, which no key has
/// (listings skip names with a dot), and the same each time, so an interrupted copy is
/// written over by the next rather than left beside it.
fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Copies a file (the kernel's copy where it has one) and syncs the copy to disk.
async fn copy_file(from: PathBuf, to: PathBuf) -> std::io::Result<u64> {
    tokio::task::spawn_blocking(move || {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let len = std::fs::copy(&from, &to)?;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&to)?
            .sync_all()?;
        Ok(len)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// A file's SHA-256 (hex) and length, read a megabyte at a time.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        len += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), len))
}

async fn s3_body(
    s3: &S3Store,
    key: &str,
) -> Result<aws_sdk_s3::primitives::ByteStream, StorageError> {
    let (bucket, full) = s3
        .s3_location(key)
        .ok_or_else(|| StorageError::NotFound(key.to_owned()))?;
    let out = s3
        .client()
        .get_object()
        .bucket(bucket)
        .key(full)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                StorageError::NotFound(key.to_owned())
            } else {
                unavailable(key, aws_sdk_s3::error::DisplayErrorContext(e))
            }
        })?;
    Ok(out.body)
}

fn io(key: &str, err: std::io::Error) -> StorageError {
    if err.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound(key.to_owned())
    } else {
        unavailable(key, err)
    }
}

fn unavailable(key: &str, err: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(format!("{key}: {err}"))
}
