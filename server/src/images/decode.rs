//! Checking and decoding one upload: the real format from the content, the pixel budget
//! from the header before decoding, a cut-off JPEG found, EXIF read, and from one decode
//! the renditions ([`super::renditions`]).

use std::io::{BufRead, Read};

use bytes::Bytes;
use classifier::preprocess::{self, Sizing};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::exif::Exif;
use super::renditions::{
    DISPLAY_MAX, DISPLAY_QUALITY, THUMB_MAX_HEIGHT, THUMB_MAX_WIDTH, THUMB_QUALITY,
    classifier_rendition, display_scale, encode, fit, fit_ref, orientation_swaps,
};
use crate::error::{Error, Result};
use crate::spool::{Original, Received};

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
