//! Where an upload's bytes wait while they are checked and stored: in memory up to
//! [`SPOOL_BYTES`], then in a temporary file; hashed (SHA-256) as they stream in.

use std::io::{BufRead, BufReader, Cursor, Seek};

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Uploads above this size wait in a temporary file rather than in memory, and go to S3
/// from there in parts.
pub const SPOOL_BYTES: usize = 8 << 20;

/// Where an upload's bytes wait while they are checked and stored.
pub enum Original {
    Memory(Bytes),
    /// A temporary file, removed when this is dropped.
    File {
        path: tempfile::TempPath,
        len: u64,
    },
}

/// What the decoders read from: the bytes in memory, or the file through a buffer.
pub trait Source: BufRead + Seek {}
impl<T: BufRead + Seek> Source for T {}

impl Original {
    pub fn len(&self) -> u64 {
        match self {
            Self::Memory(data) => data.len() as u64,
            Self::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn reader(&self) -> std::io::Result<Box<dyn Source + '_>> {
        Ok(match self {
            Self::Memory(data) => Box::new(Cursor::new(&data[..])),
            Self::File { path, .. } => Box::new(BufReader::with_capacity(
                1 << 16,
                std::fs::File::open(path)?,
            )),
        })
    }

    /// The whole upload in memory: the bytes it is kept in, or the file read back. `None`
    /// for a file too large to read whole.
    pub fn bytes(&self) -> std::io::Result<Option<Bytes>> {
        match self {
            Self::Memory(data) => Ok(Some(data.clone())),
            Self::File { path, len } if *len <= 64 << 20 => Ok(Some(std::fs::read(path)?.into())),
            Self::File { .. } => Ok(None),
        }
    }
}

/// An upload as received: its bytes and their SHA-256, computed as they arrived.
pub struct Received {
    pub original: Original,
    pub sha256: String,
}

impl Received {
    /// Bytes already in memory (the seeding tool), hashed in one pass.
    pub fn memory(bytes: Bytes) -> Self {
        Self {
            sha256: hex::encode(Sha256::digest(&bytes)),
            original: Original::Memory(bytes),
        }
    }
}

/// Collects an upload as it streams in: in memory up to [`SPOOL_BYTES`], then in a
/// temporary file, so a large file never sits in memory whole.
pub struct Spool {
    memory: bytes::BytesMut,
    /// The temporary file; it is removed when dropped (also when the request is dropped
    /// half-way, its client gone).
    file: Option<(tokio::fs::File, tempfile::TempPath)>,
    len: u64,
    dir: Option<std::path::PathBuf>,
    /// The SHA-256 of what came so far: the upload is hashed while it streams in.
    hasher: Sha256,
}

impl Spool {
    pub fn new(dir: Option<std::path::PathBuf>) -> Self {
        Self {
            memory: bytes::BytesMut::new(),
            file: None,
            len: 0,
            dir,
            hasher: Sha256::new(),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.len += chunk.len() as u64;
        self.hasher.update(chunk);
        if self.file.is_none() && self.memory.len() + chunk.len() <= SPOOL_BYTES {
            self.memory.extend_from_slice(chunk);
            return Ok(());
        }
        if self.file.is_none() {
            let temp = match &self.dir {
                Some(dir) => tempfile::Builder::new()
                    .prefix("upload-")
                    .tempfile_in(dir)?,
                None => tempfile::Builder::new()
                    .prefix("gallery-upload-")
                    .tempfile()?,
            };
            let (file, path) = temp.into_parts();
            let mut file = tokio::fs::File::from_std(file);
            file.write_all(&self.memory).await?;
            self.memory = bytes::BytesMut::new();
            self.file = Some((file, path));
        }
        let (file, _) = self.file.as_mut().expect("just made");
        file.write_all(chunk).await
    }

    pub async fn finish(self) -> std::io::Result<Received> {
        use tokio::io::AsyncWriteExt;
        let sha256 = hex::encode(self.hasher.finalize());
        let original = match self.file {
            None => Original::Memory(self.memory.freeze()),
            Some((mut file, path)) => {
                file.flush().await?;
                Original::File {
                    path,
                    len: self.len,
                }
            }
        };
        Ok(Received { original, sha256 })
    }
}
