//! What a gallery's rows name in storage: each photo's objects (original, thumbnail, the
//! viewer's and the classifier's renditions, where it has them) and each registered
//! model's (description, labels, ONNX file), with the hash and size its row keeps of the
//! first of them. Photos in the Trash keep their rows and objects, so they are here too.

use std::fmt;

use classifier::protocol::ModelRef;
use sqlx::AnyConnection;

use crate::storage::PHOTO_OBJECTS;

/// The row an object belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    Photo(String),
    Model(String),
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Photo(id) => write!(f, "photo {id}"),
            Self::Model(id) => write!(f, "model {id}"),
        }
    }
}

/// One row's objects, the one its hash is of first.
#[derive(Debug, Clone)]
pub struct Owned {
    pub owner: Owner,
    /// `(key, content type)`.
    pub objects: Vec<(String, String)>,
    /// The SHA-256 (hex) the row keeps of its first object (a photo's original, a model's
    /// ONNX file).
    pub sha256: String,
    /// That object's length.
    pub bytes: u64,
}

impl Owned {
    /// The object the row's hash and size are of.
    pub fn hashed(&self) -> &str {
        &self.objects[0].0
    }

    /// What each of its objects is, for messages.
    pub fn role(&self, index: usize) -> &'static str {
        match (&self.owner, index) {
            (Owner::Photo(_), 0) => "original",
            (Owner::Photo(_), 1) => "thumbnail",
            (Owner::Photo(_), 2) => "viewer's rendition",
            (Owner::Photo(_), _) => "classifier's rendition",
            (Owner::Model(_), 0) => "ONNX file",
            (Owner::Model(_), 1) => "description",
            (Owner::Model(_), _) => "labels",
        }
    }
}

type PhotoRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
);

/// Every photo's and every registered model's objects.
pub async fn read(conn: &mut AnyConnection) -> sqlx::Result<Vec<Owned>> {
    let sql = format!("SELECT id, {PHOTO_OBJECTS}, content_type, sha256, bytes FROM images");
    let photos: Vec<PhotoRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    let models: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT id, storage_key, sha256, bytes FROM models")
            .fetch_all(&mut *conn)
            .await?;
    let mut owned = Vec::with_capacity(photos.len() + models.len());
    for (id, original, thumb, display, input, content_type, sha256, bytes) in photos {
        let mut objects = vec![(original, content_type), (thumb, "image/jpeg".to_owned())];
        objects.extend(display.map(|k| (k, "image/jpeg".to_owned())));
        objects.extend(input.map(|k| (k, "image/png".to_owned())));
        owned.push(Owned {
            owner: Owner::Photo(id),
            objects,
            sha256,
            bytes: bytes.max(0) as u64,
        });
    }
    for (id, folder, sha256, bytes) in models {
        let object =
            |name: &str, content_type: &str| (format!("{folder}{name}"), content_type.to_owned());
        owned.push(Owned {
            owner: Owner::Model(id),
            objects: vec![
                object(ModelRef::ONNX, "application/octet-stream"),
                object(ModelRef::DESCRIPTION, "application/json"),
                object(ModelRef::LABELS, "application/json"),
            ],
            sha256,
            bytes: bytes.max(0) as u64,
        });
    }
    Ok(owned)
}

/// Whether the row is still in the database.
pub async fn exists(conn: &mut AnyConnection, owner: &Owner) -> sqlx::Result<bool> {
    let (sql, id) = match owner {
        Owner::Photo(id) => ("SELECT COUNT(*) FROM images WHERE id = $1", id),
        Owner::Model(id) => ("SELECT COUNT(*) FROM models WHERE id = $1", id),
    };
    let (n,): (i64,) = sqlx::query_as(sql).bind(id).fetch_one(conn).await?;
    Ok(n > 0)
}
