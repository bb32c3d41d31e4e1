//! The renditions made from one decode: the viewer's (about 2 048 px), the grid's
//! thumbnail and the classifier's input, resized with SIMD and encoded by libjpeg-turbo.

use bytes::Bytes;
use classifier::preprocess::{self, Sizing};
use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::ImageEncoder;

use crate::error::{Error, Result};

/// Thumbnails fit this box: rows of the grid are about 200 CSS pixels high, twice that
/// for high-density screens.
pub(super) const THUMB_MAX_WIDTH: u32 = 800;
pub(super) const THUMB_MAX_HEIGHT: u32 = 400;
pub(super) const THUMB_QUALITY: u8 = 82;
/// The viewer's rendition fits this square: about 2 048 pixels on the long side.
pub(super) const DISPLAY_MAX: u32 = 2048;
/// A JPEG is decoded at the largest DCT reduction whose long side still reaches this, so a
/// 12 MP photo (4000×3000) is decoded at half size (2000×1500) and used as it is.
pub(super) const DISPLAY_MIN_DECODE: u32 = 1800;
pub(super) const DISPLAY_QUALITY: u8 = 84;
/// The classifier's rendition of decoded pixels: resized as the classifier would resize
/// them, and kept losslessly (PNG), so that the classifier's input from it is the input it
/// would make from the original.
pub(super) fn classifier_rendition(pixels: &image::RgbImage, sizing: Sizing) -> Result<Bytes> {
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
pub(super) fn display_scale(width: u32, height: u32) -> u32 {
    let long = width.max(height);
    [8, 4, 2, 1]
        .into_iter()
        .find(|n| long / n >= DISPLAY_MIN_DECODE)
        .unwrap_or(1)
}

pub(super) fn orientation_swaps(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

/// The largest size of `image` that fits `max_w`×`max_h`, never larger than it is,
/// resampled with SIMD (fast_image_resize, Catmull-Rom).
pub(super) fn fit(image: image::RgbImage, max_w: u32, max_h: u32) -> Result<image::RgbImage> {
    let (w, h) = image.dimensions();
    if w <= max_w && h <= max_h {
        return Ok(image);
    }
    fit_ref(&image, max_w, max_h)
}

pub(super) fn fit_ref(image: &image::RgbImage, max_w: u32, max_h: u32) -> Result<image::RgbImage> {
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
pub(super) fn encode(
    image: &image::RgbImage,
    quality: u8,
    subsamp: turbojpeg::Subsamp,
) -> Result<Bytes> {
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
