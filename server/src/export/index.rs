//! `gallery.json`: what an export of everything holds, for people and for other programs:
//! the folders with their paths, and every photo with its path in the archive, its name,
//! dates (RFC 3339), size, camera and lens, and its labels with their confidences and the
//! classifier that made them. Written as it is serialised, straight into the archive.

use std::io::{self, Write};

use serde::Serialize;

use super::{Plan, SIDECAR_SUFFIX};
use crate::db::{now_ms, rfc3339};

/// The format of the index, for readers to check.
pub const FORMAT: &str = "gallery-export/1";

#[derive(Serialize)]
struct Index<'a> {
    format: &'static str,
    exported_at: String,
    folders: Vec<Folder<'a>>,
    photos: Vec<Photo<'a>>,
}

#[derive(Serialize)]
struct Folder<'a> {
    id: &'a str,
    name: &'a str,
    parent_id: Option<&'a str>,
    /// Its directory in the archive.
    path: &'a str,
}

#[derive(Serialize)]
struct Photo<'a> {
    id: &'a str,
    /// Its file in the archive.
    path: &'a str,
    /// Its XMP sidecar in the archive.
    sidecar: String,
    /// The name it was uploaded with.
    filename: &'a str,
    folder_id: Option<&'a str>,
    content_type: &'a str,
    bytes: i64,
    sha256: &'a str,
    width: i64,
    height: i64,
    /// When it was taken (EXIF), when known.
    taken_at: Option<String>,
    uploaded_at: String,
    camera: Option<&'a str>,
    lens: Option<&'a str>,
    labels: Vec<Label<'a>>,
}

#[derive(Serialize)]
struct Label<'a> {
    label: &'a str,
    class_index: i64,
    confidence: f64,
    /// The classifier that made it.
    model: Option<&'a str>,
}

/// Writes the index of `plan` into `out`: the photos whose `written` is true (a photo
/// whose original was gone is not in the archive, nor here).
pub fn write(plan: &Plan, written: &[bool], out: impl Write) -> io::Result<()> {
    let index = Index {
        format: FORMAT,
        exported_at: rfc3339(now_ms()),
        folders: plan
            .folders
            .iter()
            .map(|f| Folder {
                id: &f.folder.id,
                name: &f.folder.name,
                parent_id: f.folder.parent_id.as_deref(),
                path: &f.path,
            })
            .collect(),
        photos: plan
            .photos
            .iter()
            .zip(written)
            .filter(|(_, written)| **written)
            .map(|(entry, _)| {
                let p = &entry.photo;
                Photo {
                    id: &p.id,
                    path: &entry.path,
                    sidecar: format!("{}{SIDECAR_SUFFIX}", entry.path),
                    filename: &p.filename,
                    folder_id: p.folder_id.as_deref(),
                    content_type: &p.content_type,
                    bytes: p.bytes,
                    sha256: &p.sha256,
                    width: p.width,
                    height: p.height,
                    taken_at: p.taken_at.map(rfc3339),
                    uploaded_at: rfc3339(p.created_at),
                    camera: p.camera.as_deref(),
                    lens: p.lens.as_deref(),
                    labels: entry
                        .labels
                        .iter()
                        .map(|l| Label {
                            label: &l.label,
                            class_index: l.class_index,
                            confidence: l.score,
                            model: p.model.as_deref(),
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    // An error of `out` comes back as itself (the client may have left).
    serde_json::to_writer_pretty(&mut out, &index).map_err(io::Error::from)?;
    out.flush()
}
