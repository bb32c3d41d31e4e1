//! From file bytes to the network's input: decode (JPEGs at a reduced scale when the
//! model needs far fewer pixels), EXIF orientation, resize of the shorter side, centre
//! crop, normalisation. The same steps as `tools/reference.py` does with Pillow.

use std::io::Cursor;

use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::Error;
use crate::model::{Description, Interpolation, Layout};

/// Largest accepted image, in pixels, to bound memory on hostile input.
const MAX_PIXELS: u64 = 200_000_000;

/// Decodes an image to RGB, upright. A JPEG is decoded by libjpeg-turbo at the largest
/// DCT reduction (1/2, 1/4, 1/8) that keeps both sides at least `min_side` pixels — the
/// rule of Pillow's `Image.draft()`.
pub fn decode(bytes: &[u8], min_side: u32) -> Result<RgbImage, Error> {
    let format = image::guess_format(bytes)
        .map_err(|_| Error::Decode("not a JPEG, PNG, WebP or GIF image".into()))?;
    let image = match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, min_side)?,
        ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif => decode_other(bytes, format)?,
        other => return Err(Error::Decode(format!("{other:?} images are not supported"))),
    };
    Ok(image)
}

fn decode_other(bytes: &[u8], format: ImageFormat) -> Result<RgbImage, Error> {
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|e| Error::Decode(e.to_string()))?;
    check_size(decoder.dimensions())?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| Error::Decode(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(flatten(image))
}

/// Transparent pixels are laid over white (`tools/reference.py` composites the same way).
pub fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over =
            |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

fn check_size((w, h): (u32, u32)) -> Result<(), Error> {
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w == 0 || h == 0 {
        return Err(Error::Decode(format!(
            "the image is {w}\u{d7}{h} pixels, beyond what is accepted"
        )));
    }
    Ok(())
}

/// The DCT reduction `n` (1, 2, 4 or 8) that Pillow's `draft` picks.
pub fn draft_scale(width: u32, height: u32, min_side: u32) -> u32 {
    let fits = (width / min_side.max(1)).min(height / min_side.max(1));
    [8, 4, 2, 1].into_iter().find(|&n| n <= fits).unwrap_or(1)
}

fn decode_jpeg(bytes: &[u8], min_side: u32) -> Result<RgbImage, Error> {
    decode_reduced(bytes, |w, h| draft_scale(w, h, min_side))
}

/// Decodes a JPEG upright by libjpeg-turbo at the DCT reduction (1, 2, 4 or 8) that
/// `scale` picks from its size.
pub fn decode_reduced(bytes: &[u8], scale: impl Fn(u32, u32) -> u32) -> Result<RgbImage, Error> {
    let bad = |e: turbojpeg::Error| Error::Decode(format!("the JPEG could not be decoded: {e}"));
    let mut decompressor = turbojpeg::Decompressor::new().map_err(bad)?;
    let header = decompressor.read_header(bytes).map_err(bad)?;
    check_size((header.width as u32, header.height as u32))?;
    let n = match scale(header.width as u32, header.height as u32) {
        n @ (1 | 2 | 4 | 8) => n,
        _ => 1,
    };
    let factor = turbojpeg::ScalingFactor::new(1, n as usize);
    decompressor.set_scaling_factor(factor).map_err(bad)?;
    let scaled = header.scaled(factor);
    let mut pixels = vec![0u8; scaled.width * scaled.height * 3];
    let output = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: scaled.width,
        pitch: scaled.width * 3,
        height: scaled.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor.decompress(bytes, output).map_err(bad)?;
    let image = RgbImage::from_raw(scaled.width as u32, scaled.height as u32, pixels)
        .ok_or_else(|| Error::Decode("the JPEG decoded to an unexpected size".into()))?;
    let mut image = DynamicImage::ImageRgb8(image);
    image.apply_orientation(jpeg_orientation(bytes));
    Ok(image.into_rgb8())
}

fn jpeg_orientation(bytes: &[u8]) -> Orientation {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|exif| {
            exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
                .value
                .get_uint(0)
        })
        .and_then(|v| Orientation::from_exif(v as u8))
        .unwrap_or(Orientation::NoTransforms)
}

/// The size after resizing the shorter side to `resize` (rounded like the reference).
pub fn resized_size(width: u32, height: u32, resize: u32) -> (u32, u32) {
    let (w, h, r) = (u64::from(width), u64::from(height), u64::from(resize));
    if w <= h {
        (resize, ((h * r + w / 2) / w).max(1) as u32)
    } else {
        (((w * r + h / 2) / h).max(1) as u32, resize)
    }
}

/// Resize, centre crop and normalise into one image's input values, in the model's layout.
pub fn to_input(image: &RgbImage, d: &Description) -> Result<Vec<f32>, Error> {
    let (w, h) = image.dimensions();
    let (rw, rh) = resized_size(w, h, d.resize);
    let src = ImageRef::new(w, h, image.as_raw(), PixelType::U8x3)
        .map_err(|e| Error::Decode(e.to_string()))?;
    let mut dst = FirImage::new(rw, rh, PixelType::U8x3);
    let filter = match d.interpolation {
        Interpolation::Bicubic => FilterType::CatmullRom,
        Interpolation::Bilinear => FilterType::Bilinear,
    };
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)),
        )
        .map_err(|e| Error::Decode(e.to_string()))?;
    let crop = d.crop;
    let (left, top) = ((rw - crop) / 2, (rh - crop) / 2);
    let pixels = dst.buffer();
    let plane = (crop * crop) as usize;
    let mut out = vec![0f32; plane * 3];
    let unit = d.scale / 255.0;
    let (scale, shift): (Vec<f32>, Vec<f32>) = (0..3)
        .map(|c| (unit / d.std[c], -d.mean[c] / d.std[c]))
        .unzip();
    for y in 0..crop {
        let row = ((top + y) * rw + left) as usize * 3;
        for x in 0..crop {
            let at = row + x as usize * 3;
            for c in 0..3 {
                let value = f32::from(pixels[at + c]) * scale[c] + shift[c];
                let i = (y * crop + x) as usize;
                match d.layout {
                    Layout::NCHW => out[c * plane + i] = value,
                    Layout::NHWC => out[i * 3 + c] = value,
                }
            }
        }
    }
    Ok(out)
}
