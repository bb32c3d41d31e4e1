//! Taking in an upload: the real format from the content, the pixel budget checked from
//! the header before decoding, EXIF orientation and date, SHA-256 and a thumbnail; then
//! objects in storage and rows in one transaction, or nothing at all.

use std::io::Cursor;

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use super::Image;
use crate::app::AppState;
use crate::db::{Db, new_id, now_ms};
use crate::error::{Error, Result};
use crate::storage::{self, Storage};
use crate::{folders, jobs};

/// Thumbnails fit this box: rows of the grid are about 200 CSS pixels high, twice that
/// for high-density screens.
const THUMB_MAX_WIDTH: u32 = 800;
const THUMB_MAX_HEIGHT: u32 = 400;
const THUMB_QUALITY: u8 = 82;
const MAX_FILENAME_CHARS: usize = 255;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_bytes: usize,
    pub max_pixels: u64,
}

/// A checked upload, ready to be stored.
pub struct Prepared {
    pub filename: String,
    pub content_type: &'static str,
    pub data: Bytes,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
    pub taken_at: Option<i64>,
    pub thumbnail: Bytes,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

/// The last path component of a client's file name, without control characters.
pub fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILENAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "photo".to_owned()
    } else {
        cleaned.to_owned()
    }
}

fn content_type(format: ImageFormat) -> Option<&'static str> {
    match format {
        ImageFormat::Jpeg => Some("image/jpeg"),
        ImageFormat::Png => Some("image/png"),
        ImageFormat::WebP => Some("image/webp"),
        ImageFormat::Gif => Some("image/gif"),
        _ => None,
    }
}

/// Checks and decodes one file. CPU-bound: call it from a blocking thread.
pub fn prepare(filename: String, data: Bytes, policy: Policy) -> Result<Prepared> {
    if data.is_empty() {
        return Err(Error::bad_request(format!("{filename} is empty (0 bytes)")));
    }
    if data.len() > policy.max_bytes {
        return Err(too_large(&filename, policy.max_bytes));
    }
    let not_an_image =
        || Error::Unsupported(format!("{filename} is not a JPEG, PNG, WebP or GIF image"));
    let format = image::guess_format(&data).map_err(|_| not_an_image())?;
    let content_type = content_type(format).ok_or_else(not_an_image)?;
    let damaged = |err: image::ImageError| {
        tracing::debug!(%err, "upload failed to decode");
        Error::bad_request(format!(
            "{filename} could not be read as an image: the file is damaged or incomplete"
        ))
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(&data) {
        return Err(damaged(image::ImageError::IoError(
            std::io::ErrorKind::UnexpectedEof.into(),
        )));
    }

    let mut reader = ImageReader::with_format(Cursor::new(&data[..]), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(policy.max_pixels.saturating_mul(8));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > policy.max_pixels {
        return Err(Error::TooLarge(format!(
            "{filename} is {width}\u{d7}{height} pixels; the limit is {} megapixels",
            policy.max_pixels / 1_000_000
        )));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    decoded.apply_orientation(orientation);

    let thumb = decoded.thumbnail(THUMB_MAX_WIDTH, THUMB_MAX_HEIGHT);
    let thumbnail = encode_jpeg(&thumb).map_err(|e| Error::Internal(e.into()))?;
    Ok(Prepared {
        taken_at: exif_taken_at(&data),
        sha256: hex::encode(Sha256::digest(&data)),
        filename,
        content_type,
        width: decoded.width(),
        height: decoded.height(),
        data,
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
        thumbnail,
    })
}

pub fn too_large(filename: &str, max_bytes: usize) -> Error {
    Error::TooLarge(format!(
        "{filename} is larger than the {} MB upload limit",
        max_bytes.div_ceil(1 << 20)
    ))
}

/// A JPEG's entropy-coded data must run on to its end-of-image marker. The decoder
/// pads a cut-off file with grey rather than failing, so truncation is found here.
fn jpeg_is_complete(data: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return false;
        }
        let marker = data[i + 1];
        match marker {
            0xD9 => return true,
            0xFF => i += 1,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
                i += 2 + len;
                if marker == 0xDA {
                    // Skip the scan: a 0xFF in it is followed by 0x00 or a restart marker.
                    while i + 1 < data.len() {
                        if data[i] == 0xFF
                            && data[i + 1] != 0x00
                            && !(0xD0..=0xD7).contains(&data[i + 1])
                        {
                            break;
                        }
                        i += 1;
                    }
                }
            }
        }
    }
    i + 1 < data.len() && data[i] == 0xFF && data[i + 1] == 0xD9
}

fn encode_jpeg(image: &DynamicImage) -> image::ImageResult<Bytes> {
    let rgb = if image.color().has_alpha() {
        flatten_on_white(image)
    } else {
        image.to_rgb8()
    };
    let mut out = Vec::with_capacity(64 * 1024);
    JpegEncoder::new_with_quality(&mut out, THUMB_QUALITY).encode_image(&rgb)?;
    Ok(Bytes::from(out))
}

fn flatten_on_white(image: &DynamicImage) -> image::RgbImage {
    let rgba = image.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// When the photo was taken, from EXIF `DateTimeOriginal` (or `DateTime`), in epoch ms.
/// Without an offset tag the camera's local time is taken as UTC.
fn exif_taken_at(data: &[u8]) -> Option<i64> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(data))
        .ok()?;
    let field = exif
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| exif.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
    let exif::Value::Ascii(ref parts) = field.value else {
        return None;
    };
    let mut dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    if let Some(offset) = exif.get_field(exif::Tag::OffsetTimeOriginal, exif::In::PRIMARY)
        && let exif::Value::Ascii(ref o) = offset.value
        && let Some(o) = o.first()
    {
        let _ = dt.parse_offset(o);
    }
    let date = time::Date::from_calendar_date(
        i32::from(dt.year),
        time::Month::try_from(dt.month).ok()?,
        dt.day,
    )
    .ok()?;
    let clock = time::Time::from_hms(dt.hour, dt.minute, dt.second).ok()?;
    let offset =
        time::UtcOffset::from_whole_seconds(i32::from(dt.offset.unwrap_or(0)) * 60).ok()?;
    let at = time::PrimitiveDateTime::new(date, clock).assume_offset(offset);
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Stores checked uploads: objects first, then every row and job in one transaction.
/// On any failure the objects already written are removed again.
pub async fn store(
    state: &AppState,
    owner: &str,
    folder: Option<&str>,
    prepared: Vec<Prepared>,
) -> Result<Vec<Image>> {
    let (db, storage) = (&state.db, &state.storage);
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let mut written: Vec<String> = Vec::with_capacity(prepared.len() * 2);
    let result = write_all(db, storage, owner, folder, &prepared, &mut written).await;
    match result {
        Ok(ids) => {
            state.wake_workers();
            let mut images = Vec::with_capacity(ids.len());
            for id in ids {
                images.push(super::get(db, owner, &id).await?);
            }
            Ok(images)
        }
        Err(err) => {
            super::delete_objects(storage, written).await;
            Err(err)
        }
    }
}

async fn write_all(
    db: &Db,
    storage: &Storage,
    owner: &str,
    folder: Option<&str>,
    prepared: &[Prepared],
    written: &mut Vec<String>,
) -> Result<Vec<String>> {
    // Written in pairs: original, thumbnail.
    for p in prepared {
        for (data, content_type) in [(&p.data, p.content_type), (&p.thumbnail, "image/jpeg")] {
            let key = storage::new_key(owner);
            storage.put(&key, data.clone(), content_type).await?;
            written.push(key);
        }
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(prepared.len());
    for (p, keys) in prepared.iter().zip(written.chunks_exact(2)) {
        let (object_key, thumb_key) = (&keys[0], &keys[1]);
        let id = new_id();
        sqlx::query(
            "INSERT INTO images (id, owner_id, folder_id, filename, content_type, bytes, width, height, sha256,
                taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', $12, $13, $14, $15)",
        )
        .bind(&id)
        .bind(owner)
        .bind(folder)
        .bind(&p.filename)
        .bind(p.content_type)
        .bind(p.data.len() as i64)
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(&p.sha256)
        .bind(p.taken_at)
        .bind(now)
        .bind(object_key)
        .bind(thumb_key)
        .bind(i64::from(p.thumb_width))
        .bind(i64::from(p.thumb_height))
        .execute(&mut *tx)
        .await?;
        jobs::enqueue(&mut tx, &id, now).await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}
