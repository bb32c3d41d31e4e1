//! Writing an export's ZIP, front to back, into any `Write` that cannot seek (each entry's
//! sizes and CRC follow its bytes in a data descriptor). Originals are stored as they are
//! (photos do not compress); an entry of 4 GiB or more, and an archive past 4 GiB, use
//! ZIP64. Runs on a blocking thread: it blocks on the sink and on the originals' chunks.

use std::io::{self, Write};

use bytes::Bytes;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::{INDEX_NAME, PhotoRow, Plan, SIDECAR_SUFFIX, index, sidecar};

/// An original as it is read: its length, then its bytes in chunks.
pub struct Original {
    pub len: u64,
    pub chunks: Box<dyn Iterator<Item = io::Result<Bytes>> + Send>,
}

/// Writes the archive of `plan` into `out`, then flushes it: the directories, then each
/// photo (and its sidecar), then `gallery.json`. `open` gives a photo's original, or
/// `None` when it is gone: that photo is left out (and out of `gallery.json`).
pub fn write<W: Write>(
    plan: &Plan,
    mut open: impl FnMut(&PhotoRow) -> io::Result<Option<Original>>,
    out: W,
) -> io::Result<()> {
    let mut zip = ZipWriter::new_stream(out);
    // Directories and the index are dated now (an export does not read when folders were
    // made).
    let now = crate::db::now_ms();
    for folder in &plan.folders {
        zip.add_directory(folder.path.as_str(), options(now, 0))
            .map_err(io::Error::other)?;
    }
    let mut written = vec![false; plan.photos.len()];
    for (entry, done) in plan.photos.iter().zip(written.iter_mut()) {
        let photo = &entry.photo;
        let Some(original) = open(photo)? else {
            continue;
        };
        let when = photo.taken_at.unwrap_or(photo.created_at);
        zip.start_file(entry.path.as_str(), options(when, original.len))
            .map_err(io::Error::other)?;
        let mut copied = 0u64;
        for chunk in original.chunks {
            let chunk = chunk?;
            copied += chunk.len() as u64;
            zip.write_all(&chunk)?;
        }
        if copied != original.len {
            return Err(io::Error::other(format!(
                "{}: storage gave {copied} bytes of {}",
                photo.object_key, original.len
            )));
        }
        if plan.metadata {
            let xmp = sidecar::render(entry).map_err(io::Error::other)?;
            let name = format!("{}{SIDECAR_SUFFIX}", entry.path);
            zip.start_file(name, options(when, xmp.len() as u64))
                .map_err(io::Error::other)?;
            zip.write_all(xmp.as_bytes())?;
        }
        *done = true;
    }
    if plan.metadata {
        // Its size is not known beforehand: ZIP64 sizes, whatever it comes to.
        zip.start_file(INDEX_NAME, options(now, u64::MAX))
            .map_err(io::Error::other)?;
        index::write(plan, &written, &mut zip)?;
    }
    let mut out = zip.finish().map_err(io::Error::other)?.into_inner();
    out.flush()
}

/// An entry stored as it is, dated `at_ms`, with ZIP64 sizes when it is `len` bytes or
/// more than the 32-bit fields hold.
fn options(at_ms: i64, len: u64) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(len >= u64::from(u32::MAX))
        .last_modified_time(zip_time(at_ms))
        .unix_permissions(0o644)
}

/// A time as ZIP keeps it (to the even second, no time zone: the stored UTC time, which
/// for a photo's EXIF time is the camera's clock); ZIP's own epoch when out of its range.
fn zip_time(ms: i64) -> DateTime {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_outside_zips_range_fall_back_to_its_epoch() {
        let t = super::zip_time(1_689_330_600_000); // 2023-07-14T10:30:00Z
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (2023, 7, 14, 10, 30)
        );
        assert_eq!(super::zip_time(-1_000).year(), 1980);
    }
}
