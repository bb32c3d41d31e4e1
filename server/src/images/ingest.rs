//! Taking in an upload: the real format from the content, the pixel budget checked from
//! the header before decoding, EXIF orientation and date, SHA-256 while it streams in, and
//! from one decode the viewer's rendition and the thumbnail; then
//! objects in storage and rows in one transaction, or nothing at all.

use std::io::{BufRead, BufReader, Cursor, Read, Seek};

use bytes::Bytes;
use classifier::preprocess::{self, Sizing};
use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use super::{Image, Status};
use crate::db::{Db, lock_owner, new_id, now_ms};
use crate::error::{Error, Result};
use crate::folders;
use crate::jobs::{self, Queue};
use crate::storage::{self, Storage};
use crate::{activity, usage};

/// Thumbnails fit this box: rows of the grid are about 200 CSS pixels high, twice that
/// for high-density screens.
const THUMB_MAX_WIDTH: u32 = 800;
const THUMB_MAX_HEIGHT: u32 = 400;
const THUMB_QUALITY: u8 = 82;
/// The viewer's rendition fits this square: about 2 048 pixels on the long side.
const DISPLAY_MAX: u32 = 2048;
/// A JPEG is decoded at the largest DCT reduction whose long side still reaches this, so a
/// 12 MP photo (4000×3000) is decoded at half size (2000×1500) and used as it is.
const DISPLAY_MIN_DECODE: u32 = 1800;
const DISPLAY_QUALITY: u8 = 84;
const MAX_FILENAME_CHARS: usize = 255;

#[derive(Debug, Clone)]
pub struct Policy {
    pub max_bytes: usize,
    pub max_pixels: u64,
    /// Where large uploads wait (the system's temporary folder when `None`).
    pub tmp_dir: Option<std::path::PathBuf>,
    /// How the classifier sizes photos: its rendition is made so.
    pub sizing: Sizing,
}

impl Policy {
    /// The memory one decode may take: four bytes for each allowed pixel, so that an image
    /// of many bytes per pixel (16-bit, alpha) counts for what it really costs.
    pub fn max_decode_bytes(&self) -> u64 {
        self.max_pixels.saturating_mul(4)
    }
}

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
trait Source: BufRead + Seek {}
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

    fn reader(&self) -> std::io::Result<Box<dyn Source + '_>> {
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
    fn bytes(&self) -> std::io::Result<Option<Bytes>> {
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

/// A checked upload, ready to be stored.
pub struct Prepared {
    pub filename: String,
    pub content_type: &'static str,
    pub original: Original,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
    pub taken_at: Option<i64>,
    /// The camera and the lens, from EXIF, for the viewer's info panel.
    pub camera: Option<String>,
    pub lens: Option<String>,
    pub thumbnail: Bytes,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// The viewer's rendition (about 2 048 px on the long side, never larger than the photo).
    pub display: Bytes,
    pub display_width: u32,
    pub display_height: u32,
    /// The classifier's rendition (PNG, shorter side sized as `sizing` says): the photo as
    /// the classifier would prepare it from the original. `None` for the rare JPEG whose
    /// colours it cannot make without a second decode (CMYK); the classifier then reads the
    /// original.
    pub input: Option<Bytes>,
    pub sizing: Sizing,
}

/// The last path component of a client's file name, without control characters.
pub fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = crate::names::without_bidi_controls(base)
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
pub fn prepare(filename: String, received: Received, policy: &Policy) -> Result<Prepared> {
    let Received { original, sha256 } = received;
    if original.is_empty() {
        return Err(Error::bad_request(format!("{filename} is empty (0 bytes)")));
    }
    if original.len() > policy.max_bytes as u64 {
        return Err(too_large(&filename, policy.max_bytes));
    }
    let io = |e: std::io::Error| Error::Internal(e.into());
    let not_an_image =
        || Error::Unsupported(format!("{filename} is not a JPEG, PNG, WebP or GIF image"));
    let mut head = Vec::with_capacity(64);
    original
        .reader()
        .map_err(io)?
        .take(64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let format = image::guess_format(&head).map_err(|_| not_an_image())?;
    let content_type = content_type(format).ok_or_else(not_an_image)?;
    let damaged = |err: image::ImageError| {
        tracing::debug!(%err, "upload failed to decode");
        Error::bad_request(format!(
            "{filename} could not be read as an image: the file is damaged or incomplete"
        ))
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(&mut original.reader().map_err(io)?) {
        return Err(damaged(image::ImageError::IoError(
            std::io::ErrorKind::UnexpectedEof.into(),
        )));
    }

    let mut reader = ImageReader::with_format(original.reader().map_err(io)?, format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(policy.max_decode_bytes());
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > policy.max_pixels {
        return Err(Error::TooLarge(format!(
            "{filename} is {width}\u{d7}{height} pixels; the limit is {} megapixels",
            policy.max_pixels / 1_000_000
        )));
    }
    if decoder.total_bytes() > policy.max_decode_bytes() {
        return Err(Error::TooLarge(format!(
            "{filename} is {width}\u{d7}{height} pixels of {} bytes each: {} MB to decode, more than the {} MB one photo may take",
            decoder.color_type().bytes_per_pixel(),
            decoder.total_bytes().div_ceil(1 << 20),
            policy.max_decode_bytes() >> 20
        )));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // One decode serves every size the gallery makes. A JPEG is decoded by libjpeg-turbo at
    // the smallest DCT scale that still covers the viewer's rendition and the classifier's
    // input (a 12 MP photo at half: a quarter of the pixels). The classifier's input is then
    // what libjpeg-turbo would give at the classifier's own, coarser scale, made from these
    // pixels (`Stored::reduced`). Anything libjpeg-turbo cannot take (CMYK, say) and the
    // other formats are decoded in full, once.
    let resize = policy.sizing.resize;
    let scale = |w: u32, h: u32| display_scale(w, h).min(preprocess::draft_scale(w, h, resize));
    let stored = match format {
        ImageFormat::Jpeg => original
            .bytes()
            .map_err(io)?
            .and_then(|bytes| preprocess::decode_stored(&bytes, scale).ok()),
        _ => None,
    };
    let (upright, for_classifier) = match stored {
        Some(stored) => {
            drop(decoder);
            let draft = preprocess::draft_scale(stored.width, stored.height, resize);
            let input = stored
                .reduced(draft)
                .map(|pixels| preprocess::turn(pixels, stored.orientation));
            (stored.upright(), input)
        }
        None => {
            let mut decoded = DynamicImage::from_decoder(decoder).map_err(damaged)?;
            decoded.apply_orientation(orientation);
            (preprocess::flatten(decoded), None)
        }
    };
    // Other formats: the classifier decodes the original in full too, to these pixels.
    let input = match (&for_classifier, format) {
        (Some(pixels), _) => Some(classifier_rendition(pixels, policy.sizing)?),
        (None, ImageFormat::Jpeg) => None,
        (None, _) => Some(classifier_rendition(&upright, policy.sizing)?),
    };
    // The photo's own size, upright: the header's, turned like the pixels are.
    let (width, height) = if orientation_swaps(orientation) {
        (height, width)
    } else {
        (width, height)
    };

    // The viewer's rendition from the decoded pixels, the thumbnail from the rendition.
    let display = fit(upright, DISPLAY_MAX, DISPLAY_MAX)?;
    let thumb = fit_ref(&display, THUMB_MAX_WIDTH, THUMB_MAX_HEIGHT)?;
    let (display_width, display_height) = display.dimensions();
    let (thumb_width, thumb_height) = thumb.dimensions();
    let exif = Exif::read(&mut original.reader().map_err(io)?);
    Ok(Prepared {
        taken_at: exif.taken_at,
        camera: exif.camera,
        lens: exif.lens,
        sha256,
        filename,
        content_type,
        width,
        height,
        original,
        thumbnail: encode(&thumb, THUMB_QUALITY, turbojpeg::Subsamp::Sub2x2)?,
        thumb_width,
        thumb_height,
        display: encode(&display, DISPLAY_QUALITY, turbojpeg::Subsamp::Sub2x2)?,
        display_width,
        display_height,
        input,
        sizing: policy.sizing,
    })
}

/// The classifier's rendition of decoded pixels: resized as the classifier would resize
/// them, and kept losslessly (PNG), so that the classifier's input from it is the input it
/// would make from the original.
fn classifier_rendition(pixels: &image::RgbImage, sizing: Sizing) -> Result<Bytes> {
    let failed = |e: String| {
        Error::Internal(anyhow::anyhow!(
            "cannot make the classifier's rendition: {e}"
        ))
    };
    let sized = preprocess::resize_shorter(pixels, sizing).map_err(|e| failed(e.to_string()))?;
    let mut out = Vec::with_capacity(sized.as_raw().len() / 2);
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(
        sized.as_raw(),
        sized.width(),
        sized.height(),
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|e| failed(e.to_string()))?;
    Ok(out.into())
}

/// The DCT reduction (1, 2, 4 or 8) of a JPEG of `width`×`height` whose long side still
/// reaches [`DISPLAY_MIN_DECODE`].
fn display_scale(width: u32, height: u32) -> u32 {
    let long = width.max(height);
    [8, 4, 2, 1]
        .into_iter()
        .find(|n| long / n >= DISPLAY_MIN_DECODE)
        .unwrap_or(1)
}

fn orientation_swaps(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

pub fn too_large(filename: &str, max_bytes: usize) -> Error {
    Error::TooLarge(format!(
        "{filename} is larger than the {} MB upload limit",
        max_bytes.div_ceil(1 << 20)
    ))
}

/// A JPEG's entropy-coded data must run on to its end-of-image marker. The decoder
/// pads a cut-off file with grey rather than failing, so truncation is found here, in one
/// pass over the file.
fn jpeg_is_complete(r: &mut impl BufRead) -> bool {
    walk_jpeg(r).unwrap_or(false)
}

fn read_u8(r: &mut impl BufRead) -> std::io::Result<u8> {
    let mut b = [0u8];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn walk_jpeg(r: &mut impl BufRead) -> std::io::Result<bool> {
    if read_u8(r)? != 0xFF || read_u8(r)? != 0xD8 {
        return Ok(false);
    }
    // A marker the scan skipper has already read.
    let mut pending: Option<u8> = None;
    loop {
        let marker = match pending.take() {
            Some(m) => m,
            None => {
                if read_u8(r)? != 0xFF {
                    return Ok(false);
                }
                read_u8(r)?
            }
        };
        match marker {
            0xD9 => return Ok(true),
            // A fill byte: the marker comes next.
            0xFF => pending = Some(read_u8(r)?),
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let len = u64::from(u16::from_be_bytes([read_u8(r)?, read_u8(r)?]));
                let Some(rest) = len.checked_sub(2) else {
                    return Ok(false);
                };
                if std::io::copy(&mut r.by_ref().take(rest), &mut std::io::sink())? < rest {
                    return Ok(false);
                }
                if marker == 0xDA {
                    // Skip the scan: a 0xFF in it is followed by 0x00 or a restart marker.
                    pending = Some(skip_scan(r)?);
                }
            }
        }
    }
}

/// Reads past entropy-coded data; returns the marker that ends it.
fn skip_scan(r: &mut impl BufRead) -> std::io::Result<u8> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let Some(at) = buf.iter().position(|&b| b == 0xFF) else {
            let n = buf.len();
            r.consume(n);
            continue;
        };
        r.consume(at + 1);
        let next = match r.fill_buf()?.first() {
            Some(&b) => b,
            None => return Err(std::io::ErrorKind::UnexpectedEof.into()),
        };
        if next != 0x00 && !(0xD0..=0xD7).contains(&next) {
            r.consume(1);
            return Ok(next);
        }
    }
}

/// The largest size of `image` that fits `max_w`×`max_h`, never larger than it is,
/// resampled with SIMD (fast_image_resize, Catmull-Rom).
fn fit(image: image::RgbImage, max_w: u32, max_h: u32) -> Result<image::RgbImage> {
    let (w, h) = image.dimensions();
    if w <= max_w && h <= max_h {
        return Ok(image);
    }
    fit_ref(&image, max_w, max_h)
}

fn fit_ref(image: &image::RgbImage, max_w: u32, max_h: u32) -> Result<image::RgbImage> {
    let (w, h) = image.dimensions();
    let ratio = (f64::from(max_w) / f64::from(w))
        .min(f64::from(max_h) / f64::from(h))
        .min(1.0);
    let tw = ((f64::from(w) * ratio).round() as u32).max(1);
    let th = ((f64::from(h) * ratio).round() as u32).max(1);
    if (tw, th) == (w, h) {
        return Ok(image.clone());
    }
    let failed = |e: &dyn std::fmt::Display| Error::Internal(anyhow::anyhow!("resize: {e}"));
    let src = ImageRef::new(w, h, image.as_raw(), PixelType::U8x3).map_err(|e| failed(&e))?;
    let mut dst = FirImage::new(tw, th, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    image::RgbImage::from_raw(tw, th, dst.into_vec())
        .ok_or_else(|| failed(&"the resized image has an unexpected size"))
}

/// A JPEG of the pixels by libjpeg-turbo (which the classifier already links), with SIMD.
fn encode(image: &image::RgbImage, quality: u8, subsamp: turbojpeg::Subsamp) -> Result<Bytes> {
    let (w, h) = image.dimensions();
    let jpeg = turbojpeg::compress(
        turbojpeg::Image {
            pixels: image.as_raw().as_slice(),
            width: w as usize,
            pitch: w as usize * 3,
            height: h as usize,
            format: turbojpeg::PixelFormat::RGB,
        },
        i32::from(quality),
        subsamp,
    )
    .map_err(|e| Error::Internal(anyhow::anyhow!("JPEG encoding: {e}")))?;
    Ok(Bytes::copy_from_slice(&jpeg))
}

/// What the gallery shows of a photo's EXIF: when it was taken, with what.
#[derive(Debug, Default, PartialEq)]
struct Exif {
    pub taken_at: Option<i64>,
    pub camera: Option<String>,
    pub lens: Option<String>,
}

impl Exif {
    /// The facts of a photo's EXIF, each `None` where it has none (or no EXIF at all).
    fn read(source: &mut impl Source) -> Self {
        let Ok(exif) = exif::Reader::new().read_from_container(source) else {
            return Self::default();
        };
        let text = |tag| {
            let field = exif.get_field(tag, exif::In::PRIMARY)?;
            let exif::Value::Ascii(ref parts) = field.value else {
                return None;
            };
            let text: String = String::from_utf8_lossy(parts.first()?)
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            let text = text.trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        Self {
            taken_at: taken_at(&exif),
            camera: joined(text(exif::Tag::Make), text(exif::Tag::Model)),
            lens: joined(text(exif::Tag::LensMake), text(exif::Tag::LensModel)),
        }
    }
}

/// A maker and a model as people say them: "Canon EOS 5D", not "Canon Canon EOS 5D".
fn joined(make: Option<String>, model: Option<String>) -> Option<String> {
    match (make, model) {
        (Some(make), Some(model)) => {
            let first = make.split_whitespace().next().unwrap_or_default();
            if model.to_lowercase().starts_with(&first.to_lowercase()) {
                Some(model)
            } else {
                Some(format!("{make} {model}"))
            }
        }
        (make, model) => model.or(make),
    }
}

/// When the photo was taken, from EXIF `DateTimeOriginal` (or `DateTime`), in epoch ms.
/// Without an offset tag the camera's local time is taken as UTC.
fn taken_at(exif: &exif::Exif) -> Option<i64> {
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

/// How many bytes an owner may keep in all: their own quota, else the server's default;
/// `None` for no limit.
pub async fn quota(db: &Db, owner: &str, default: Option<u64>) -> Result<Option<u64>> {
    let own: Option<(Option<i64>,)> = sqlx::query_as("SELECT quota_bytes FROM users WHERE id = $1")
        .bind(owner)
        .fetch_optional(db)
        .await?;
    Ok(own.and_then(|(q,)| q).map(|q| q.max(0) as u64).or(default))
}

async fn used_bytes(db: impl sqlx::Executor<'_, Database = sqlx::Any>, owner: &str) -> Result<u64> {
    let used: Option<(i64,)> = sqlx::query_as("SELECT bytes_used FROM users WHERE id = $1")
        .bind(owner)
        .fetch_optional(db)
        .await?;
    Ok(used.map_or(0, |(u,)| u.max(0) as u64))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn over_quota(quota: u64, used: u64, adding: u64) -> Error {
    let left = quota.saturating_sub(used);
    Error::TooLarge(if adding == 0 {
        format!(
            "your storage is full: {} of your {} are used; delete some photos to make room",
            megabytes(used),
            megabytes(quota)
        )
    } else {
        format!(
            "this upload needs {} but only {} of your {} are left; delete some photos or upload fewer",
            megabytes(adding),
            megabytes(left),
            megabytes(quota)
        )
    })
}

/// Refuses an upload before its body is read when the owner has no room left at all.
pub async fn check_room(db: &Db, owner: &str, quota: Option<u64>) -> Result<()> {
    if let Some(quota) = quota {
        let used = used_bytes(db, owner).await?;
        if used >= quota {
            return Err(over_quota(quota, used, 0));
        }
    }
    Ok(())
}

/// Stores checked uploads: objects first, then every row and job in one transaction.
/// On any failure the objects already written are removed again. An upload that would
/// take the owner past their quota is refused (413) as a whole.
pub async fn store(
    db: &Db,
    storage: &Storage,
    queue: &Queue,
    owner: &str,
    folder: Option<&str>,
    prepared: Vec<Prepared>,
    quota: Option<u64>,
) -> Result<Vec<Image>> {
    if let Some(folder) = folder {
        folders::get(db, owner, folder).await?;
    }
    let adding: u64 = prepared.iter().map(|p| p.original.len()).sum();
    if let Some(quota) = quota {
        let used = used_bytes(db, owner).await?;
        if used + adding > quota {
            return Err(over_quota(quota, used, adding));
        }
    }
    let mut written: Vec<String> = Vec::with_capacity(prepared.len() * 2);
    let result = write_all(db, storage, owner, folder, &prepared, quota, &mut written).await;
    match result {
        Ok(stored) => {
            // This server's workers take the classifier's renditions from memory.
            for (p, (_, input_key)) in prepared.iter().zip(&stored) {
                if let (Some(key), Some(bytes)) = (input_key, &p.input) {
                    queue.keep_rendition(key, bytes.clone());
                }
            }
            queue.wake();
            let ids: Vec<String> = stored.into_iter().map(|(id, _)| id).collect();
            super::get_many(db, owner, &ids).await
        }
        Err(err) => {
            storage::delete_all(storage, written).await;
            Err(err)
        }
    }
}

/// Writes the objects, then the rows in one transaction: each photo's id and the key of its
/// classifier's rendition.
async fn write_all(
    db: &Db,
    storage: &Storage,
    owner: &str,
    folder: Option<&str>,
    prepared: &[Prepared],
    quota: Option<u64>,
    written: &mut Vec<String>,
) -> Result<Vec<(String, Option<String>)>> {
    // The original, the thumbnail, the viewer's and the classifier's renditions.
    let mut keys = Vec::with_capacity(prepared.len());
    for p in prepared {
        let key = storage::new_key(owner);
        match &p.original {
            Original::Memory(data) => storage.put(&key, data.clone(), p.content_type).await?,
            Original::File { path, len } => {
                storage.put_file(&key, path, *len, p.content_type).await?
            }
        }
        written.push(key.clone());
        let thumb = storage::new_key(owner);
        storage
            .put(&thumb, p.thumbnail.clone(), "image/jpeg")
            .await?;
        written.push(thumb.clone());
        let display = storage::new_key(owner);
        storage
            .put(&display, p.display.clone(), "image/jpeg")
            .await?;
        written.push(display.clone());
        let input = match &p.input {
            Some(bytes) => {
                let input = storage::new_key(owner);
                storage.put(&input, bytes.clone(), "image/png").await?;
                written.push(input.clone());
                Some(input)
            }
            None => None,
        };
        keys.push((key, thumb, display, input));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    // The owner's uploads take turns here, so two at once cannot both fit the last room.
    lock_owner(&mut tx, owner).await?;
    if let Some(quota) = quota {
        let adding: u64 = prepared.iter().map(|p| p.original.len()).sum();
        let used = used_bytes(&mut *tx, owner).await?;
        if used + adding > quota {
            return Err(over_quota(quota, used, adding));
        }
    }
    let mut ids = Vec::with_capacity(prepared.len());
    for (p, (object_key, thumb_key, display_key, input_key)) in prepared.iter().zip(&keys) {
        let id = new_id();
        sqlx::query(
            "INSERT INTO images (id, owner_id, folder_id, filename, content_type, bytes, width, height, sha256,
                taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height,
                display_key, display_width, display_height, input_key, input_sizing, camera, lens,
                name_words)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                $20, $21, $22, $23, $24)",
        )
        .bind(&id)
        .bind(owner)
        .bind(folder)
        .bind(&p.filename)
        .bind(p.content_type)
        .bind(p.original.len() as i64)
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(&p.sha256)
        .bind(p.taken_at)
        .bind(now)
        .bind(Status::Queued.as_str())
        .bind(object_key)
        .bind(thumb_key)
        .bind(i64::from(p.thumb_width))
        .bind(i64::from(p.thumb_height))
        .bind(display_key)
        .bind(i64::from(p.display_width))
        .bind(i64::from(p.display_height))
        .bind(input_key)
        .bind(input_key.as_ref().map(|_| p.sizing.to_string()))
        .bind(&p.camera)
        .bind(&p.lens)
        .bind(crate::search::name_words_of(&p.filename))
        .execute(&mut *tx)
        .await?;
        ids.push(id);
    }
    jobs::enqueue_many(&mut tx, &ids, now, jobs::Source::Rendition).await?;
    let bytes: u64 = prepared.iter().map(|p| p.original.len()).sum();
    usage::add(&mut tx, owner, ids.len() as i64, bytes as i64).await?;
    activity::add(&mut *tx, activity::Kind::Uploads, ids.len() as i64, now).await?;
    tx.commit().await?;
    metrics::counter!("gallery_uploads_total").increment(ids.len() as u64);
    metrics::counter!("gallery_upload_bytes_total").increment(bytes);
    Ok(ids
        .into_iter()
        .zip(keys.into_iter().map(|(_, _, _, input)| input))
        .collect())
}

#[cfg(test)]
mod exif_tests {
    use super::joined;

    #[test]
    fn a_camera_is_named_as_people_say_it() {
        let s = |t: &str| Some(t.to_owned());
        assert_eq!(
            joined(s("Canon"), s("Canon EOS 5D Mark IV")).as_deref(),
            Some("Canon EOS 5D Mark IV")
        );
        assert_eq!(
            joined(s("NIKON CORPORATION"), s("NIKON D750")).as_deref(),
            Some("NIKON D750")
        );
        assert_eq!(
            joined(s("FUJIFILM"), s("X-T3")).as_deref(),
            Some("FUJIFILM X-T3")
        );
        assert_eq!(joined(None, s("X-T3")).as_deref(), Some("X-T3"));
        assert_eq!(joined(s("Apple"), None).as_deref(), Some("Apple"));
        assert_eq!(joined(None, None), None);
    }
}
