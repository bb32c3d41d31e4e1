//! Taking photos out: a folder, a selection or everything of an account as one ZIP,
//! streamed as it is made.
//!
//! [`plan`] decides, from the database and before the first byte, what goes in and under
//! which path: the folders as directories, the originals under their folder paths with
//! names made unique per directory ([`names`]), and for the export of everything an XMP
//! sidecar per photo ([`sidecar`]) and `gallery.json` ([`index`]). [`stream`] then writes
//! the archive on a blocking thread ([`archive`]), reading each original from storage as a
//! stream and handing the bytes over a bounded channel ([`sink`]): memory stays bounded
//! whatever the size, and a client that leaves or stops reading stops the writer. Never a
//! photo or folder in the Trash. How many exports run at once is bounded ([`slots`]).

mod archive;
mod catalog;
mod index;
mod names;
mod sidecar;
mod sink;
mod slots;

#[cfg(test)]
mod zip64_tests;

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::db::{Db, now_ms, rfc3339};
use crate::error::{Error, Result};
use crate::images::{self, Label};
use crate::storage::{ByteStream, Storage, StorageError};

pub use catalog::{FolderRow, PhotoRow};
pub use names::SIDECAR_SUFFIX;
pub use sink::STALL;
pub use slots::{Exports, RETRY_AFTER_SECS, Ticket};

/// The name of the index of an export of everything, at the top of the archive.
pub const INDEX_NAME: &str = "gallery.json";

/// What one export takes.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// A folder and everything below it, under the folder's own name.
    Folder(&'a str),
    /// Photos by id (at most [`images::MAX_SELECTION`]), under their folders' paths.
    Selection(&'a [String]),
    /// Every folder and photo of the account, with `gallery.json` and XMP sidecars.
    Everything,
}

/// An archive to make: its directories and photos under their paths, in the order they
/// are written.
#[derive(Debug)]
pub struct Plan {
    /// The name the download is saved under ("Trips.zip").
    pub filename: String,
    pub folders: Vec<FolderEntry>,
    pub photos: Vec<PhotoEntry>,
    /// Whether `gallery.json` and one XMP sidecar per photo go with the originals.
    pub metadata: bool,
}

/// A folder and its directory in the archive ("Trips/Hawaii").
#[derive(Debug)]
pub struct FolderEntry {
    pub folder: FolderRow,
    pub path: String,
}

/// A photo and its file in the archive ("Trips/Hawaii/IMG_1.jpg").
#[derive(Debug)]
pub struct PhotoEntry {
    pub photo: PhotoRow,
    pub path: String,
    /// Best first (read only for exports with metadata).
    pub labels: Vec<Label>,
}

/// What an export of `scope` will hold; 404 for a folder or photo its user may not see
/// (or in the Trash), 400 for an empty or too large selection.
pub async fn plan(db: &Db, owner: &str, scope: Scope<'_>) -> Result<Plan> {
    let mut names = names::Names::default();
    if let Scope::Folder(id) = scope {
        // A folder one may see: one's own, or shared with one.
        crate::access::folder(db, owner, id)
            .await?
            .ok_or(Error::NotFound)?;
    }
    let folders = match scope {
        Scope::Folder(id) => catalog::folders_below(db, id).await?,
        _ => catalog::folders(db, owner).await?,
    };
    match scope {
        Scope::Folder(id) => {
            let top = folders.iter().find(|f| f.id == id).ok_or(Error::NotFound)?;
            let filename = format!("{}.zip", names::clean(&top.name, "folder"));
            let dirs = directories(&folders, Some(id), &mut names);
            let photos = catalog::photos_below(db, id).await?;
            let photos = place(photos, &dirs, HashMap::new(), &mut names, false);
            Ok(Plan {
                filename,
                folders: dirs,
                photos,
                metadata: false,
            })
        }
        Scope::Selection(ids) => {
            let ids = images::selection(ids)?;
            let photos = catalog::photos_selected(db, owner, &ids).await?;
            let dirs = directories(&folders, None, &mut names);
            let photos = place(photos, &dirs, HashMap::new(), &mut names, false);
            Ok(Plan {
                filename: "photos.zip".into(),
                // Unpacking makes the directories the photos are in; no empty ones.
                folders: Vec::new(),
                photos,
                metadata: false,
            })
        }
        Scope::Everything => {
            names.reserve("", INDEX_NAME);
            let dirs = directories(&folders, None, &mut names);
            let photos = catalog::all_photos(db, owner).await?;
            let labels = catalog::labels(db, owner).await?;
            let photos = place(photos, &dirs, labels, &mut names, true);
            let today = rfc3339(now_ms()).chars().take(10).collect::<String>();
            Ok(Plan {
                filename: format!("gallery-export-{today}.zip"),
                folders: dirs,
                photos,
                metadata: true,
            })
        }
    }
}

/// The folders of the tree below `top` (`top` itself included, under its own name) or,
/// without one, the whole tree: each with its directory, from the top down, names made
/// unique among their siblings. A folder in a loop (repaired at start-up) is never reached.
fn directories(
    folders: &[FolderRow],
    top: Option<&str>,
    names: &mut names::Names,
) -> Vec<FolderEntry> {
    let mut children: HashMap<Option<&str>, Vec<&FolderRow>> = HashMap::new();
    for folder in folders {
        children
            .entry(folder.parent_id.as_deref())
            .or_default()
            .push(folder);
    }
    for siblings in children.values_mut() {
        siblings.sort_by_cached_key(|f| (f.name.to_lowercase(), f.id.clone()));
    }
    let mut queue: std::collections::VecDeque<(&FolderRow, String)> = match top {
        Some(id) => folders
            .iter()
            .filter(|f| f.id == id)
            .map(|f| (f, String::new()))
            .collect(),
        None => children
            .get(&None)
            .into_iter()
            .flatten()
            .map(|f| (*f, String::new()))
            .collect(),
    };
    let mut entries = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while let Some((folder, parent_dir)) = queue.pop_front() {
        if !seen.insert(folder.id.as_str()) {
            continue;
        }
        let name = names.unique(&parent_dir, &names::clean(&folder.name, "folder"), false);
        let path = names::join(&parent_dir, &name);
        for child in children
            .get(&Some(folder.id.as_str()))
            .into_iter()
            .flatten()
        {
            queue.push_back((child, path.clone()));
        }
        entries.push(FolderEntry {
            folder: folder.clone(),
            path,
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

/// The photos under their folders' directories (the top of the archive for photos at the
/// top level, or whose folder is not in it), sorted by directory and name; the older of
/// two photos with one name keeps it.
fn place(
    photos: Vec<PhotoRow>,
    dirs: &[FolderEntry],
    mut labels: HashMap<String, Vec<Label>>,
    names: &mut names::Names,
    sidecars: bool,
) -> Vec<PhotoEntry> {
    let dir_of: HashMap<&str, &str> = dirs
        .iter()
        .map(|d| (d.folder.id.as_str(), d.path.as_str()))
        .collect();
    let mut placed: Vec<(String, PhotoRow)> = photos
        .into_iter()
        .map(|p| {
            let dir = p
                .folder_id
                .as_deref()
                .and_then(|f| dir_of.get(f))
                .map_or_else(String::new, |d| (*d).to_owned());
            (dir, p)
        })
        .collect();
    placed.sort_by_cached_key(|(dir, p)| {
        (
            dir.clone(),
            p.filename.to_lowercase(),
            p.created_at,
            p.id.clone(),
        )
    });
    placed
        .into_iter()
        .map(|(dir, photo)| {
            let name = names.unique(&dir, &names::clean(&photo.filename, "photo"), sidecars);
            PhotoEntry {
                path: names::join(&dir, &name),
                labels: labels.remove(&photo.id).unwrap_or_default(),
                photo,
            }
        })
        .collect()
}

/// Chunks of the archive handed over at once, each about [`sink::CHUNK`] bytes: what one
/// export holds in memory at most, beside the chunk being filled and the one being read.
const QUEUED_CHUNKS: usize = 4;

/// The archive of `plan`, made as it is read. The export holds `ticket` (its place among
/// the running exports) until it ends: finished, failed, or its reader gone or stalled
/// for [`STALL`]. An export that did not finish ends its stream with an error, so that
/// the client sees a broken download rather than a short one.
pub fn stream(plan: Plan, storage: Storage, ticket: Ticket) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUED_CHUNKS);
    let runtime = tokio::runtime::Handle::current();
    let written = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let out = sink::ChannelSink::new(tx, runtime.clone(), STALL);
        let open = |photo: &PhotoRow| open_original(&runtime, &storage, photo);
        let result = archive::write(&plan, open, out);
        match &result {
            Ok(()) => tracing::info!(
                photos = plan.photos.len(),
                name = %plan.filename,
                "export finished"
            ),
            Err(err) if sink::client_gone(err) => {
                tracing::info!(%err, name = %plan.filename, "export stopped: the client left or stopped reading")
            }
            Err(err) => tracing::error!(%err, name = %plan.filename, "export failed"),
        }
        result
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok(chunk), rx))
    });
    let end = futures_util::stream::once(async move {
        match written.await {
            Ok(Ok(())) => None,
            _ => Some(Err(std::io::Error::other(
                "the export stopped before its end",
            ))),
        }
    })
    .filter_map(std::future::ready);
    Box::pin(chunks.chain(end))
}

/// An original's bytes as they are read from storage, chunk by chunk, on the blocking
/// thread of the writer; `None` when it is gone (purged since the plan was made).
fn open_original(
    runtime: &tokio::runtime::Handle,
    storage: &Storage,
    photo: &PhotoRow,
) -> std::io::Result<Option<archive::Original>> {
    match runtime.block_on(storage.stream(&photo.object_key)) {
        Ok((mut stream, len)) => {
            let runtime = runtime.clone();
            let chunks = std::iter::from_fn(move || runtime.block_on(stream.next()));
            Ok(Some(archive::Original {
                len,
                chunks: Box::new(chunks),
            }))
        }
        Err(StorageError::NotFound(key)) => {
            tracing::warn!(%key, photo = %photo.id, "an exported photo's original is gone; left out");
            Ok(None)
        }
        Err(StorageError::Unavailable(detail)) => Err(std::io::Error::other(detail)),
    }
}
